"""Composition root of the ingest service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.api import ingest_router
from services.ingest.discourse_sender import DiscourseSender
from services.ingest.email_reply import EmailReplySender
from services.ingest.email_server import InboundMailHandler, RawStore, serve_smtp
from services.ingest.language import LanguageTagger
from services.ingest.meta_sender import MetaSender
from services.ingest.registry import load_adapters
from services.ingest.replies import ReplyDispatcher, ReplySender
from services.ingest.reply_media import ReplyMedia, media_router
from services.ingest.telegram_sender import TelegramSender
from services.ingest.twilio_sender import TwilioMessagingSender
from services.ingest.vk_sender import VkSender
from services.ingest.webform_embed import embed_router
from services.voice.wiring import build_voice
from switchboard.auth import Authenticator
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS
from switchboard.service import Service
from switchboard.settings import Settings
from switchboard.smtp import SmtpMailer


def build_ingest(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
) -> Service:
    language = None
    if config.languages.detection.enabled:
        language = LanguageTagger(config.languages.detection)
    publisher = InboundPublisher(js, language=language)
    adapters, failed = load_adapters(config)
    router = ingest_router(config, publisher, adapters, settings.public_url)
    senders: list[ReplySender] = [a for a in adapters if isinstance(a, ReplySender)]
    if settings.smtp_url:
        mailer = SmtpMailer(settings.smtp_url)
        mailboxes = config.channels.email.mailboxes
        senders.append(EmailReplySender(mailer, settings.smtp_from, mailboxes))
    twilio = voice = media = None
    if config.channels.twilio is not None:
        token = config.channels.twilio.auth_token
        media = ReplyMedia(js, str(token), settings.callback_base()) if token else None
        twilio = TwilioMessagingSender(config.channels.twilio, settings.callback_base(), media)
        senders.append(twilio)
        voice = build_voice(config, broker, js, publisher, settings.callback_base(), auth)
    if config.channels.telegram:
        senders.append(TelegramSender(config.channels.telegram))
    if config.channels.meta:
        senders.append(MetaSender(config.channels.meta))
    if config.channels.vk:
        senders.append(VkSender(config.channels.vk))
    if config.channels.discourse:
        senders.append(DiscourseSender(config.channels.discourse))
    replies = ReplyDispatcher(senders, publisher, js)
    subscribe(
        broker,
        stream=EVENTS,
        durable="ingest-replies",
        subject="sb.events.routing.ReplyRequested",
        handler=replies.reply_requested,
        description="Sends agents' replies through the customer's channel, each at most once",
    )

    async def health() -> str:
        # Ingest holds no store: it is healthy when it can reach JetStream.
        await js.account_info()
        if failed:
            return "degraded: " + "; ".join(f"adapter {n}: {e}" for n, e in failed.items())
        detection = "" if language is None else ", language detection "
        if language is not None:
            # Untagged while loading; the counts say how often it helps and how it fails.
            detection += f"ready: {language.counts()}" if language.ready else "loading"
        trouble = voice.health() if voice is not None else None
        if trouble:
            return f"ok ({trouble}{detection})"  # visible; webhooks still work, calls re-offered
        return f"ok ({len(adapters)} adapters, {publisher.published} accepted{detection})"

    async def aclose() -> None:
        if twilio is not None:
            await twilio.close()
        if voice is not None:
            await voice.close()
        if language is not None:
            language.close()

    loops = []
    if language is not None:
        loops.append(language.load)  # seconds of model loading, off the event loop
    email = config.channels.email
    if settings.smtp_listen_host:
        email = email.model_copy(update={"host": settings.smtp_listen_host})
    if email.enabled:
        mail = InboundMailHandler(publisher, RawStore(js), email)
        loops.append(lambda: serve_smtp(email, mail))
    return Service(
        name="ingest",
        routers=[
            router,
            embed_router(config),
            *(voice.routers if voice else []),
            *([media_router(media)] if media else []),
        ],
        loops=loops,
        health=health,
        aclose=aclose,
    )
