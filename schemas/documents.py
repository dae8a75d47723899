"""Request and response models of standard answers and documents."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

SHORTCUT = r"^[a-z0-9][a-z0-9_-]{0,39}$"
CHANNEL_OR_ANY = r"^(\*|[a-z][a-z0-9_-]{0,31})$"
LANGUAGE_OR_ANY = r"^(\*|[a-z]{2,3}(-[A-Za-z0-9]{2,8})?)$"


class AnswerTemplateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: str = Field(pattern=SHORTCUT, description="typed after / in the composer")
    channel: str = Field(default="*", pattern=CHANNEL_OR_ANY, description="* for every channel")
    language: str = Field(default="*", pattern=LANGUAGE_OR_ANY, description="* for every one")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000, description="Jinja2 text, sandboxed")


class AnswerTemplateRevision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)


class AnswerTemplateView(BaseModel):
    template_id: uuid.UUID
    shortcut: str
    channel: str
    language: str
    title: str
    body: str
    variables: list[str] = Field(description="the top-level names the body reads")
    uses: int
    retired: bool
    updated_by: str


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: str = Field(pattern=SHORTCUT)
    channel: str | None = Field(default=None, pattern=CHANNEL_OR_ANY)
    language: str | None = Field(default=None, pattern=LANGUAGE_OR_ANY)


class AnswerView(BaseModel):
    template_id: uuid.UUID
    shortcut: str
    text: str = Field(description="the whole rendered answer, for the agent to send or edit")


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(pattern=SHORTCUT, description="a name from documents.templates")
    amount: float | None = Field(default=None, ge=0, description="what approval rules weigh")
    channel: str | None = Field(default=None, pattern=CHANNEL_OR_ANY, description="sent on")


class RevisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=50_000)
    amount: float | None = Field(default=None, ge=0)


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)


class RejectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=2000, description="why: mandatory")


class DelegationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)


class ApprovalView(BaseModel):
    state: str = Field(description="pending, approved or rejected")
    round: int
    step: int
    steps: int
    mode: str
    approvers: list[str] = Field(description="who is asked now")


class DocumentView(BaseModel):
    document_id: uuid.UUID
    contact_id: uuid.UUID
    customer_id: uuid.UUID | None
    template: str
    title: str
    text: str
    amount: float | None
    version: int
    requester: str
    approval: ApprovalView | None
    send: dict[str, str | int | None] | None
