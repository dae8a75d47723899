"""Senders: deliver one notification on one channel, and say whether a failure is worth
another try (the server was away) or final (it refused the address)."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from twilio.base.exceptions import TwilioException, TwilioRestException

from schemas.config import TwilioConfig
from services.notifier.notification import Notification
from switchboard.rate_limit import RateLimit
from switchboard.smtp import Mailer
from switchboard.twilio_rest import close_twilio_client, twilio_client, worth_retrying


class DeliveryFailed(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class Sender(Protocol):
    channel: str

    async def send(self, notification: Notification) -> str | None:
        """Delivers; returns the provider's id for it. Raises DeliveryFailed."""
        ...


def email_of(notification: Notification, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = notification.address
    msg["Subject"] = notification.subject
    # Stable per notification: a mail system drops the copy a crash-retry might send.
    msg["Message-ID"] = f"<{notification.id}@switchboard>"
    msg.set_content(notification.body)
    return msg


class EmailSender:
    channel = "email"

    def __init__(self, mailer: Mailer, sender: str) -> None:
        self.mailer = mailer
        self.sender = sender

    async def send(self, notification: Notification) -> str | None:
        message = email_of(notification, self.sender)
        try:
            how = await self.mailer.send(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"recipient refused: {exc}", retry=False) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"mail server unreachable: {exc}", retry=True) from exc
        return f"{how}:{message['Message-ID']}"


class SmsSender:
    channel = "sms"

    def __init__(
        self, config: TwilioConfig, per_hour: int = 20, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not config.from_number:
            raise ValueError("channels.twilio.from_number is needed to send SMS")
        self.from_number = config.from_number
        self.client = twilio_client(config)
        # Per number: a storm of escalations must not become a storm of paid SMS at night.
        self.cap = RateLimit(per_hour, per_hour, clock)

    async def send(self, notification: Notification) -> str | None:
        if self.cap.take(notification.address) is not None:
            raise DeliveryFailed(
                f"hourly SMS cap ({self.cap.burst}) reached for this number", retry=False
            )
        try:
            message = await self.client.messages.create_async(
                to=notification.address, from_=self.from_number, body=notification.body
            )
        except TwilioRestException as exc:
            reason = f"Twilio {exc.status} {exc.code}: {exc.msg}"
            raise DeliveryFailed(reason, retry=worth_retrying(exc.status)) from exc
        except (TwilioException, OSError) as exc:
            raise DeliveryFailed(f"Twilio unreachable: {exc}", retry=True) from exc
        return str(message.sid)

    async def close(self) -> None:
        await close_twilio_client(self.client)
