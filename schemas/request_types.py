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

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.rules import contact_rule

ContactRule = Annotated[str, AfterValidator(contact_rule)]


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
