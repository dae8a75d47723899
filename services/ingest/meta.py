"""Meta's Messenger and Instagram messaging webhooks become interactions.

One Meta app posts a batch of `entry[]`, each with `messaging[]` events, to the callback URL
set for the object ("page" for Messenger, "instagram" for Instagram), signed with
X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with the app secret>. Before
that it checks the URL with a GET (`hub.mode=subscribe`, our `hub.verify_token`, a
`hub.challenge` to echo). Meta retries a batch until it gets a 200, so each message's own
`mid` is the dedupe id: a replayed batch is dropped message by message.

Only customers' messages become interactions: echoes of what the page sent, delivery and
read receipts, reactions and postbacks are answered and ignored. An edit (`message_edit`)
updates the interaction its message opened, as Telegram's edits do.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events import Attachment, InboundEvent, InteractionReceived, InteractionUpdated, Sender
from schemas.config import MetaApp, SwitchboardConfig
from schemas.verification import META
from services.ingest.adapter import Accepted, InboundRequest, Reply
from switchboard.errors import BadInput, BadSignature, UnknownSource

MetaChannel = Literal["messenger", "instagram"]
SIGNATURE_HEADER = "x-hub-signature-256"
# The webhook object each channel's callback URL receives.
OBJECT_OF: dict[str, str] = {"messenger": "page", "instagram": "instagram"}


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends for `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


# The parts of the webhook payload we read, named as Meta documents them ("messages",
# "message_echoes", "message_deliveries", "message_reads", "message_edits" webhook events).
# Ids are strings in Meta's JSON; numbers are accepted too.


class _MetaObject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)


class Party(_MetaObject):
    id: str = Field(min_length=1)


class AttachmentPayload(_MetaObject):
    url: str | None = None
    title: str | None = None


class MetaAttachment(_MetaObject):
    type: str
    payload: AttachmentPayload | None = None
    # A "fallback" (a shared link) may carry these at the top level instead.
    title: str | None = None
    url: str | None = None


class Message(_MetaObject):
    mid: str = Field(min_length=1)
    text: str | None = None
    attachments: list[MetaAttachment] = Field(default_factory=list)
    is_echo: bool = False
    is_deleted: bool = False


class MessageEdit(_MetaObject):
    mid: str = Field(min_length=1)
    text: str | None = None
    num_edit: int = 0


class Messaging(_MetaObject):
    sender: Party
    recipient: Party
    timestamp: int | None = None
    message: Message | None = None
    message_edit: MessageEdit | None = None
    # delivery, read, reaction, postback, referral, ...: not a customer writing; ignored.


class Entry(_MetaObject):
    id: str = Field(min_length=1)
    time: int | None = None
    messaging: list[Messaging] = Field(default_factory=list)


class Notification(_MetaObject):
    object: str
    entry: list[Entry]


# What each attachment type is, as far as Meta tells: it gives a URL, not a MIME type.
CONTENT_TYPES = {
    "image": "image/*",
    "video": "video/*",
    "audio": "audio/*",
    "file": "application/octet-stream",
    "sticker": "image/*",
    "reel": "video/*",
    "ig_reel": "video/*",
}
LINK = "text/uri-list"  # shares, posts, fallbacks: a link to something on the platform


def attachments_of(message: Message) -> list[Attachment]:
    """Links only: the files stay with Meta (their URLs expire; an agent opens them)."""
    found = []
    for item in message.attachments:
        payload = item.payload or AttachmentPayload()
        found.append(
            Attachment(
                name=payload.title or item.title,
                content_type=CONTENT_TYPES.get(item.type, LINK),
                url=payload.url or item.url,
            )
        )
    return found


def to_events(channel: MetaChannel, app: MetaApp, note: Notification) -> list[InboundEvent]:
    events: list[InboundEvent] = []
    for entry in note.entry:
        for event in entry.messaging:
            business, customer = event.recipient.id, event.sender.id
            if customer == entry.id:
                continue  # sent by the page or account itself: an echo, whatever it says
            if event.message is not None and not event.message.is_echo:
                if event.message.is_deleted:
                    continue  # Instagram: the customer unsent it; there is nothing to answer
                events.append(_received(channel, app, business, customer, event.message))
            elif event.message_edit is not None:
                edit = event.message_edit
                events.append(
                    InteractionUpdated(
                        interaction_id=InboundEvent.id_for(channel, business, edit.mid),
                        channel=channel,
                        source=business,
                        external_id=f"{edit.mid}:edit:{edit.num_edit}",
                        kind="edited",
                        text=edit.text or "",
                    )
                )
    return events


def _received(
    channel: MetaChannel, app: MetaApp, business: str, customer: str, message: Message
) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, business, message.mid),
        channel=channel,
        source=business,
        external_id=message.mid,
        # Page- and Instagram-scoped ids: the same person has another id on each page.
        sender=Sender(handle=f"{channel}:{customer}", verified={"handle": META}),
        text=message.text or "",
        attachments=attachments_of(message),
        conversation_key=f"{channel}:{business}:{customer}",
        attributes={"app": app.name},
    )


class MetaMessagingAdapter:
    """Messenger or Instagram messaging webhooks of the configured Meta apps."""

    def __init__(self, channel: MetaChannel, config: SwitchboardConfig) -> None:
        self.name: str = channel
        self.path: str = f"/{channel}/{{app}}"
        self.channel: MetaChannel = channel
        self.object = OBJECT_OF[channel]
        self.apps = {a.name: a for a in config.channels.meta}

    def _app(self, request: InboundRequest) -> MetaApp:
        name = request.path_params.get("app", "")
        app = self.apps.get(name)
        if app is None:
            raise UnknownSource(f"unknown Meta app {name!r}")
        return app

    def handshake(self, request: InboundRequest) -> Reply:
        """Meta's check of the callback URL: echo hub.challenge if the verify token is ours."""
        app = self._app(request)
        query = request.query()
        if query.get("hub.mode") != "subscribe":
            raise BadInput.field("hub.mode", "must be subscribe")
        sent = query.get("hub.verify_token", "")
        if not sent or not hmac.compare_digest(sent.encode(), app.verify_token.encode()):
            raise BadSignature("hub.verify_token does not match")
        challenge = query.get("hub.challenge", "")
        if not challenge:
            raise BadInput.field("hub.challenge", "required")
        return Reply(challenge.encode(), media_type="text/plain", status=200)

    def verify(self, request: InboundRequest) -> None:
        app = self._app(request)
        sent = (request.header(SIGNATURE_HEADER) or "").strip().lower()
        if not sent:
            raise BadSignature("X-Hub-Signature-256 missing")
        if not hmac.compare_digest(sent.encode(), sign(app.app_secret, request.body).encode()):
            raise BadSignature("X-Hub-Signature-256 does not match the body")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        app = self._app(request)
        try:
            note = Notification.model_validate(request.fields())
        except ValidationError as exc:
            raise BadInput.from_validation(exc) from None
        if note.object != self.object:
            raise BadInput.field("object", f"must be {self.object!r} on this URL")
        return to_events(self.channel, app, note)

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        # Meta needs a 200 within seconds, whatever the batch held.
        return Reply(b"EVENT_RECEIVED", media_type="text/plain", status=200)


def create_messenger(config: SwitchboardConfig) -> MetaMessagingAdapter | None:
    return MetaMessagingAdapter("messenger", config) if config.channels.meta else None


def create_instagram(config: SwitchboardConfig) -> MetaMessagingAdapter | None:
    return MetaMessagingAdapter("instagram", config) if config.channels.meta else None
