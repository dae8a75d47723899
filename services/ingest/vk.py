"""VK communities' Callback API events become interactions.

VK posts one JSON event per request to the server configured in the community's "API usage"
settings: `{"type", "group_id", "event_id", "v", "secret", "object"}`. The first is
`type: confirmation`, answered with the community's confirmation code as plain text; every
other event must be answered with the body `ok` (VK retries otherwise, and stops sending
after several errors). `secret` is the "Secret key" of those settings: a request without it
is not from VK.

A `message_new` (API version 5.103 and later: `object.message`) is a customer writing. Its
dedupe id is `<peer_id>:<conversation_message_id>`: the conversation message id counts per
conversation, and is set in group chats too, where the global `id` is 0.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events import Attachment, InboundEvent, InteractionReceived, Sender
from schemas.config import SwitchboardConfig, VkCommunity
from schemas.verification import VK
from services.ingest.adapter import Accepted, InboundRequest, Reply
from switchboard.errors import BadInput, BadSignature, UnknownSource

CHANNEL: Literal["vk"] = "vk"
# peer_id above this is a group chat (2000000000 + chat id), below a person's dialog.
CHAT_PEER_BASE = 2_000_000_000
# client_info.lang_id as VK numbers its interface languages.
LANGUAGES = {0: "ru", 1: "uk", 2: "be", 3: "en", 4: "es", 5: "fi", 6: "de", 7: "it"}


class _VkObject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Callback(_VkObject):
    """What every Callback API request carries."""

    type: str = Field(min_length=1)
    group_id: int
    event_id: str | None = None
    v: str | None = None
    object: dict[str, Any] | None = None


class PhotoSize(_VkObject):
    url: str | None = None
    width: int = 0
    height: int = 0


class VkItem(_VkObject):
    """What an attached photo, document, voice message, link, video or post carries that we
    read (each kind has some of these)."""

    id: int | None = None
    owner_id: int | None = None
    title: str | None = None
    size: int | None = None
    url: str | None = None
    link_ogg: str | None = None
    sizes: list[PhotoSize] = Field(default_factory=list)


class VkAttachment(_VkObject):
    """`{"type": "photo", "photo": {...}}`: the object sits under the type's own name. Kinds
    we do not read (stickers, gifts, polls, ...) keep only their type."""

    type: str
    photo: VkItem | None = None
    doc: VkItem | None = None
    audio_message: VkItem | None = None
    link: VkItem | None = None
    video: VkItem | None = None
    wall: VkItem | None = None
    market: VkItem | None = None

    def item(self) -> VkItem:
        found = getattr(self, self.type, None) if self.type in LINKED_KINDS else None
        return found if isinstance(found, VkItem) else VkItem()


LINKED_KINDS = ("photo", "doc", "audio_message", "link", "video", "wall", "market")


class VkMessage(_VkObject):
    id: int = 0
    date: int | None = None
    from_id: int
    peer_id: int
    text: str = ""
    conversation_message_id: int
    out: int = 0
    attachments: list[VkAttachment] = Field(default_factory=list)
    # Service messages in chats (someone invited, the title changed): not written by anyone.
    action: dict[str, Any] | None = None


class ClientInfo(_VkObject):
    lang_id: int | None = None


class MessageNewObject(_VkObject):
    message: VkMessage
    client_info: ClientInfo | None = None


class MessageNew(_VkObject):
    type: Literal["message_new"]
    group_id: int
    object: MessageNewObject


def attachment_of(attachment: VkAttachment) -> Attachment:
    """A link to what was attached: the files stay with VK."""
    kind, item = attachment.type, attachment.item()
    if kind == "photo":
        sized = [s for s in item.sizes if s.url]
        largest = max(sized, key=lambda s: s.width * s.height, default=PhotoSize())
        return Attachment(content_type="image/jpeg", url=largest.url)
    if kind == "doc":
        return Attachment(
            name=item.title, content_type="application/octet-stream", size=item.size, url=item.url
        )
    if kind == "audio_message":
        return Attachment(content_type="audio/ogg", url=item.link_ogg)
    if kind == "link":
        return Attachment(name=item.title, content_type="text/uri-list", url=item.url)
    if kind in ("video", "wall", "market") and item.owner_id is not None:
        # No file to point at: the item's page on VK.
        url = f"https://vk.com/{kind}{item.owner_id}_{item.id}"
        return Attachment(name=item.title, content_type="text/uri-list", url=url)
    return Attachment(name=kind, content_type="application/octet-stream")


def to_events(community: VkCommunity, event: MessageNew) -> list[InboundEvent]:
    message = event.object.message
    if message.out or message.action is not None or message.from_id == -community.group_id:
        return []  # ours, or a chat's service message: nobody to answer
    group = str(community.group_id)
    external_id = f"{message.peer_id}:{message.conversation_message_id}"
    attributes = {"peer_type": "chat" if message.peer_id > CHAT_PEER_BASE else "user"}
    client = event.object.client_info
    if client is not None and client.lang_id in LANGUAGES:
        attributes["language"] = LANGUAGES[client.lang_id]
    return [
        InteractionReceived(
            interaction_id=InboundEvent.id_for(CHANNEL, group, external_id),
            channel=CHANNEL,
            source=group,
            external_id=external_id,
            sender=Sender(handle=f"vk:{message.from_id}", verified={"handle": VK}),
            text=message.text,
            attachments=[attachment_of(a) for a in message.attachments],
            conversation_key=f"vk:{group}:{message.peer_id}",
            attributes=attributes,
        )
    ]


class VkAdapter:
    """VK Callback API of the configured communities (one server URL per community)."""

    name = "vk"
    path = "/vk/{group_id}"

    def __init__(self, config: SwitchboardConfig) -> None:
        self.communities = {str(c.group_id): c for c in config.channels.vk}

    def _community(self, request: InboundRequest) -> VkCommunity:
        group_id = request.path_params.get("group_id", "")
        community = self.communities.get(group_id)
        if community is None:
            raise UnknownSource(f"unknown VK community {group_id!r}")
        return community

    def verify(self, request: InboundRequest) -> None:
        community = self._community(request)
        fields = request.fields()
        sent = fields.get("secret")
        if sent is None and fields.get("type") == "confirmation":
            return  # VK documents the confirmation without it; the code it gets is no secret
        if not isinstance(sent, str) or not sent:
            raise BadSignature("VK secret missing")
        if not hmac.compare_digest(sent.encode(), community.secret.encode()):
            raise BadSignature("VK secret does not match")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        community = self._community(request)
        fields = request.fields()
        try:
            callback = Callback.model_validate(fields)
        except ValidationError as exc:
            raise BadInput.from_validation(exc) from None
        if callback.group_id != community.group_id:
            raise BadInput.field("group_id", f"this URL is community {community.group_id}'s")
        if callback.type != "message_new":
            return []  # confirmation, message_reply, message_typing_state, ...: answered only
        try:
            event = MessageNew.model_validate(fields)
        except ValidationError as exc:
            raise BadInput.from_validation(exc) from None
        return to_events(community, event)

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        # parse() has checked the event by now: only its type matters here.
        community = self._community(request)
        if request.fields().get("type") == "confirmation":
            return Reply(community.confirmation_code.encode(), media_type="text/plain", status=200)
        return Reply(b"ok", media_type="text/plain", status=200)


def create(config: SwitchboardConfig) -> VkAdapter | None:
    return VkAdapter(config) if config.channels.vk else None
