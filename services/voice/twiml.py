"""What callers hear, always built with twilio.twiml (never string templates)."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from schemas.config import TwilioConfig

# One of the tracks Twilio's own default hold music plays (its default waitUrl is TwiML, which
# <Play> cannot take); `hold_music_url` replaces it.
TWILIO_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


def join_conference(conference: str, announcement: str | None, hold_music: str | None) -> str:
    """Moves the waiting caller into the contact's conference. The caller's leg ends the
    conference when they leave; the agent's does not (a transfer keeps the caller)."""
    response = VoiceResponse()
    if announcement:
        response.say(announcement)  # before recording starts: callers must hear it first
    dial = Dial()
    music = {"wait_url": hold_music} if hold_music else {}  # unset: Twilio's own music
    dial.conference(
        conference,
        participant_label="customer",
        end_conference_on_exit=True,
        start_conference_on_enter=True,
        beep=False,
        **music,
    )
    response.append(dial)
    return str(response)


def hold_loop(twilio: TwilioConfig, gather_action: str, wait_url: str) -> str:
    """The queue's wait music, with a digit to ask for a callback; TwiML behind an
    Enqueue waitUrl may Gather and Redirect, and is asked for again when it runs out."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, action=gather_action, timeout=1)
    gather.say(f"To be called back instead, press {twilio.callback_digit}.")
    gather.play(twilio.hold_music_url or TWILIO_HOLD_MUSIC)
    response.append(gather)
    response.redirect(wait_url)
    return str(response)


def callback_confirmed() -> str:
    response = VoiceResponse()
    response.say("Thank you. We will call you back as soon as an agent is free. Goodbye.")
    response.hangup()
    return str(response)
