"""The Telegram adapter: Bot API webhook updates become interactions.

Telegram posts one JSON `Update` per request to the URL given to `setWebhook`, with the
`secret_token` given there in the X-Telegram-Bot-Api-Secret-Token header. It retries an
update until it gets a 2xx, so `update_id` is the dedupe id. A message's interaction id is
derived from its chat and message id instead, so that an `edited_message` (a new update
about the same message) refers to the interaction the original message opened.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events import Attachment, InboundEvent, InteractionReceived, InteractionUpdated, Sender
from schemas.config import SwitchboardConfig, TelegramBot
from schemas.identity import InvalidIdentity, normalize_phone
from schemas.verification import TELEGRAM
from services.ingest.adapter import Accepted, InboundRequest, Reply
from switchboard.errors import BadInput, BadSignature, UnknownSource

CHANNEL: Literal["telegram"] = "telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


# The parts of the Bot API's objects we read, named as Telegram documents them
# (https://core.telegram.org/bots/api#update). Everything else is ignored, so new fields
# Telegram adds do not break us.


class _TelegramObject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_TelegramObject):
    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class Chat(_TelegramObject):
    id: int
    type: str = "private"


class PhotoSize(_TelegramObject):
    file_id: str
    width: int = 0
    height: int = 0
    file_size: int | None = None


class File(_TelegramObject):
    """Document, Voice, Audio, Video, VideoNote, Animation and Sticker share these."""

    file_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class Contact(_TelegramObject):
    phone_number: str
    user_id: int | None = None


class Message(_TelegramObject):
    message_id: int
    chat: Chat
    from_: User = Field(alias="from")
    text: str | None = None
    caption: str | None = None
    photo: list[PhotoSize] | None = None
    document: File | None = None
    voice: File | None = None
    audio: File | None = None
    video: File | None = None
    video_note: File | None = None
    animation: File | None = None
    sticker: File | None = None
    contact: Contact | None = None


class Update(_TelegramObject):
    update_id: int
    message: Message | None = None
    edited_message: Message | None = None


# Telegram gives no MIME type for these; what it sends them as.
DEFAULT_TYPES = {
    "document": "application/octet-stream",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "video_note": "video/mp4",
    "animation": "video/mp4",
    "sticker": "image/webp",
}


def attachments(message: Message) -> list[Attachment]:
    """Metadata only: the file stays with Telegram until an agent asks for it (getFile)."""
    found: list[Attachment] = []
    if message.photo:
        # Telegram sends every size it made; the largest is the photo as taken.
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        found.append(_attachment(largest.file_id, "image/jpeg", largest.file_size))
    seen = {a.url for a in found}
    for kind, default_type in DEFAULT_TYPES.items():
        file: File | None = getattr(message, kind)
        if file is None:
            continue
        attachment = _attachment(
            file.file_id, file.mime_type or default_type, file.file_size, file.file_name
        )
        # An animation is also sent as `document` for old clients: keep it once.
        if attachment.url not in seen:
            seen.add(attachment.url)
            found.append(attachment)
    return found


def _attachment(
    file_id: str, content_type: str, size: int | None, name: str | None = None
) -> Attachment:
    return Attachment(
        name=name, content_type=content_type, size=size, url=f"telegram-file:{file_id}"
    )


def sender_of(message: Message, default_region: str) -> Sender:
    user = message.from_
    name = " ".join(n for n in (user.first_name, user.last_name) if n) or None
    phone = None
    # A customer who shares their own contact card tells us their number: that links this
    # chat to what they did on other channels. Someone else's card is just content.
    if message.contact is not None and message.contact.user_id == user.id:
        # Telegram gives the account's own number in international form, often without "+".
        raw = message.contact.phone_number.strip()
        try:
            phone = normalize_phone(raw if raw.startswith("+") else f"+{raw}", default_region)
        except InvalidIdentity:
            phone = None
    # Telegram vouches for its user id, and for the number of the account's own contact card.
    vouched: dict[str, str] = {"handle": TELEGRAM, "phone": TELEGRAM}
    return Sender(name=name, phone=phone, handle=f"telegram:{user.id}", verified=vouched)


def message_key(message: Message) -> str:
    """The message's own key (message ids are per chat): an edit is a new update about the
    same chat message, and must find the interaction the original opened."""
    return f"{message.chat.id}:{message.message_id}"


def attributes_of(message: Message) -> dict[str, str]:
    found = {
        "username": message.from_.username,
        "language": message.from_.language_code,
        "chat_type": message.chat.type,
    }
    return {k: v for k, v in found.items() if v}


def to_events(bot: str, update: Update, default_region: str) -> list[InboundEvent]:
    if update.message is not None:
        message = update.message
        return [
            InteractionReceived(
                interaction_id=InboundEvent.id_for(CHANNEL, bot, message_key(message)),
                channel=CHANNEL,
                source=bot,
                external_id=str(update.update_id),
                sender=sender_of(message, default_region),
                text=message.text or message.caption or "",
                attachments=attachments(message),
                conversation_key=f"telegram:{message.chat.id}",
                attributes=attributes_of(message),
            )
        ]
    if update.edited_message is not None:
        edited = update.edited_message
        return [
            InteractionUpdated(
                interaction_id=InboundEvent.id_for(CHANNEL, bot, message_key(edited)),
                channel=CHANNEL,
                source=bot,
                external_id=str(update.update_id),
                kind="edited",
                text=edited.text or edited.caption or "",
            )
        ]
    # callback_query, my_chat_member, channel_post, ...: not a customer writing to us.
    return []


class TelegramAdapter:
    """Telegram Bot API webhook (one URL per bot, set with setWebhook and a secret_token)."""

    name = "telegram"
    path = "/telegram/{bot}"

    def __init__(self, config: SwitchboardConfig) -> None:
        self.bots = {b.name: b for b in config.channels.telegram}
        self.default_region = config.ingest.default_region

    def _bot(self, request: InboundRequest) -> TelegramBot:
        name = request.path_params.get("bot", "")
        bot = self.bots.get(name)
        if bot is None:
            raise UnknownSource(f"unknown Telegram bot {name!r}")
        return bot

    def verify(self, request: InboundRequest) -> None:
        bot = self._bot(request)
        sent = request.header(SECRET_HEADER)
        # A missing header never matches, not even a (misconfigured) empty secret.
        if not sent:
            raise BadSignature("X-Telegram-Bot-Api-Secret-Token missing")
        if not hmac.compare_digest(sent.encode(), bot.secret_token.encode()):
            raise BadSignature("X-Telegram-Bot-Api-Secret-Token does not match")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        bot = self._bot(request)
        try:
            update = Update.model_validate(request.fields())
        except ValidationError as exc:
            raise BadInput.from_validation(exc) from None
        return to_events(bot.name, update, self.default_region)

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        # Telegram only needs a 2xx to stop retrying; an update we ignore is answered too.
        return Reply(b'{"ok": true}', status=200)


def create(config: SwitchboardConfig) -> TelegramAdapter | None:
    return TelegramAdapter(config) if config.channels.telegram else None
