"""What an integrator may post to an API channel (/channels/api/{channel_id}/messages)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

# Ids travel in a NATS header (Nats-Msg-Id) and in identities: printable ASCII, no spaces.
ID_PATTERN = r"^[!-~]+$"


class ApiSender(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    external_user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=ID_PATTERN,
        description="The integrator's own id for this person",
    )

    @model_validator(mode="after")
    def _identified(self) -> ApiSender:
        if not (self.email or self.phone or self.external_user_id):
            raise ValueError("give email, phone or external_user_id so we know who this is")
        return self


class ApiAttachment(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=255)
    content_type: str = Field(max_length=200, pattern=r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")
    size: int | None = Field(default=None, ge=0)
    url: HttpUrl | None = None


class ApiMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=ID_PATTERN,
        description="The integrator's id for this message; a retry with the same id is the same",
    )
    sender: ApiSender
    text: str = Field(max_length=20_000, description="May be empty when attachments are sent")
    subject: str | None = Field(default=None, max_length=300)
    attachments: list[ApiAttachment] = Field(default_factory=list, max_length=20)
    conversation_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Groups the messages of one conversation in the integrator's system",
    )
    attributes: dict[str, str] = Field(default_factory=dict, max_length=50)
