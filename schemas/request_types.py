"""Request types ([[routing.request_types]]): what a contact is about (an error, a wish, a
question, a complaint, a sales lead), decided by rules when it opens and changeable by the
agent. A type can send its contacts to a queue and choose their SLA policy (through the
policy's `match`, e.g. `request_type == "complaint"`).

    [[routing.request_types]]
    name = "complaint"
    match = 'channel == "email" or attributes.form_kind == "complaint"'  # form field, channel
    keywords = ["refund", "complaint", "unacceptable"]                  # in subject or text
    queue = "complaints"

The first type whose `match` holds (unset: any contact) and, when it has keywords, whose
keywords appear in the subject or text, is the contact's type; none: no type.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.rules import contact_rule

ContactRule = Annotated[str, AfterValidator(contact_rule)]


Stage = Literal["assigned", "pending", "resolved"]
WRITTEN = ["email", "sms", "whatsapp", "telegram", "api", "messenger", "instagram", "vk"]


class StatusUpdates(BaseModel):
    """[routing.status_updates]: what customers on these channels are told at each stage
    ({reference}: A-7K3Q, {agent}: who took it). A stage set to "" is not told; a request
    type's `messages` override these per stage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: list[str] = Field(default_factory=lambda: list(WRITTEN))
    assigned: str = "Your request {reference} is with {agent} now."
    pending: str = "To go on with your request {reference} we need your answer to our message."
    resolved: str = "Your request {reference} is resolved. Write back if anything is left open."

    def text(self, stage: str, request_type: str | None, routing: Any) -> str | None:
        kind = next((t for t in routing.request_types if t.name == request_type), None)
        chosen = (kind.messages.get(stage) if kind else None) or getattr(self, stage)
        return chosen or None


class RequestTypeChange(BaseModel):
    """The holder sets what the contact is about (null: no type)."""

    model_config = ConfigDict(extra="forbid")

    request_type: str | None


class RequestType(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    # Over channel, source, language, topic, attributes.<x> (form fields, channel attributes).
    match: ContactRule | None = None
    # Whole words or phrases, any case; unset: the rule alone decides.
    keywords: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    # The queue its contacts go to; unset: the queues' own rules decide.
    queue: str | None = None
    # Status updates to the customer, per stage, for this type (see StatusUpdates).
    messages: dict[Stage, str] = Field(default_factory=dict)
