"""Request and response models of history's customer API (the card and its changes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Organization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    does: str | None = Field(default=None, max_length=1000, description="what it does")
    decision_makers: list[str] = Field(default_factory=list, max_length=20)


class Note(BaseModel):
    note_id: uuid.UUID
    text: str
    by: str
    at: datetime


class LastContact(BaseModel):
    """Who took one of the customer's contacts, and when."""

    agent_id: str
    at: datetime
    contact_id: uuid.UUID


class OpenConversation(BaseModel):
    """One of the customer's conversations that is not resolved yet."""

    contact_id: uuid.UUID
    channel: str | None
    state: Literal["waiting", "offered", "open", "pending", "snoozed"]
    agent_id: str | None = Field(default=None, description="who has it (or is offered it)")
    since: datetime


class ProfileUpdate(BaseModel):
    """Only the fields given change; null clears one."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    organization: Organization | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=500)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set)


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class TagRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="e.g. billing")


class TierRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tier: str | None = Field(description="one of the configured tiers, or null for none")


class OwnerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: str | None = Field(description="the agent who owns the account, or null for none")


class MergeRequest(BaseModel):
    """`with`: the other customer joins this one; `into`: this one joins the other."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    with_: uuid.UUID | None = Field(default=None, alias="with")
    into: uuid.UUID | None = None
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _one_other(self) -> MergeRequest:
        if (self.with_ is None) == (self.into is None):
            raise ValueError("give exactly one of `with` and `into`")
        return self


class UnmergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


class MergeResult(BaseModel):
    survivor_id: uuid.UUID
    absorbed_id: uuid.UUID


class MergeSuggestionView(BaseModel):
    suggestion_id: uuid.UUID
    a: uuid.UUID
    b: uuid.UUID
    evidence: dict[str, Any]
    status: Literal["pending", "confirmed", "rejected"]
    proposed_at: datetime
    decided_by: str | None
