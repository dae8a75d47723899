"""What a web form may submit."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.identity import InvalidIdentity, normalize_email

# A field people never see (hidden by the embed snippet) but form-filling bots complete.
HONEYPOT_FIELD = "website"


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except InvalidIdentity as exc:
        raise PydanticCustomError(
            "value_error", "value is not a valid email address: {reason}", {"reason": str(exc)}
        ) from None


# Validated and normalized in one pass: email_validator is ~40 µs a call, the largest part
# of ingesting a form, and EmailStr followed by normalize_email paid it twice.
Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]


class WebFormSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=20_000)
    name: str | None = Field(default=None, max_length=200)
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=40)
    subject: str | None = Field(default=None, max_length=300)
    # What routing matches queues on (e.g. a select box on the form).
    topic: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    # Call me back (at this time; now or past: as soon as an agent is free), on `phone`.
    callback_at: AwareDatetime | None = None
    # Where the visitor came from (the page's query string and document.referrer): reports
    # count contacts and conversions per source and campaign.
    utm_source: str | None = Field(default=None, max_length=100)
    utm_medium: str | None = Field(default=None, max_length=100)
    utm_campaign: str | None = Field(default=None, max_length=100)
    utm_term: str | None = Field(default=None, max_length=100)
    utm_content: str | None = Field(default=None, max_length=100)
    referrer: str | None = Field(default=None, max_length=500)
    submission_id: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Client-chosen id; a retry with the same id is the same submission",
    )

    @field_validator(
        "name",
        "email",
        "phone",
        "subject",
        "submission_id",
        "topic",
        "language",
        "callback_at",
        mode="before",
    )
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        # A browser sends `email=` for a field left empty.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _reachable(self) -> WebFormSubmission:
        if not self.email and not self.phone:
            raise ValueError("email or phone is required so we can answer")
        if self.callback_at is not None and not self.phone:
            raise ValueError("a callback needs a phone number")
        return self
