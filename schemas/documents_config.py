"""Configuration of documents: their templates and which of them need whose approval."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NAME = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class DocumentTemplate(BaseModel):
    """A document filled from the card (Jinja2 text in the sandbox, like standard answers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME)
    title: str = Field(min_length=1, max_length=200, description="a template too")
    body: str = Field(min_length=1, max_length=50_000)


class ApprovalRule(BaseModel):
    """Documents of `template` (`*`: all) with at least `min_amount` need approval.

    `by = "supervisor"`: the requester's supervisor, then theirs when the amount is over
    `second_level_over` (multi-level, one step each). `by = "role"`: the people with
    `role` (never the requester) in one step; `mode` any (one of them) or all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str = "*"
    min_amount: float = 0
    by: Literal["supervisor", "role"] = "supervisor"
    role: Literal["agent", "supervisor"] = "supervisor"
    second_level_over: float | None = None
    mode: Literal["any", "all"] = "any"


class DocumentsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    templates: list[DocumentTemplate] = Field(default_factory=list)
    approval_rules: list[ApprovalRule] = Field(default_factory=list)
    # An approver silent this long is reminded; silent this long in all, the step climbs
    # to the next senior person.
    remind_after_seconds: float = Field(default=4 * 3600, gt=0)
    climb_after_seconds: float = Field(default=8 * 3600, gt=0)
