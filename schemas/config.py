"""The operator's configuration file (switchboard.toml), validated."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["agent", "supervisor"]


class Person(BaseModel):
    """An agent or a supervisor. `supervisor` builds the escalation hierarchy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str
    role: Role = "agent"
    email: str | None = None
    phone: str | None = None
    supervisor: str | None = None


class RoutingConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    queue: str = "default"
    offer_timeout_seconds: float = Field(default=20, gt=0)
    escalation_timeout_seconds: float = Field(default=300, gt=0)


class FormConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = ""


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    default_region: str = "US"


class SwitchboardConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    people: list[Person] = Field(default_factory=list)
    routing: RoutingConfig = RoutingConfig()
    ingest: IngestConfig = IngestConfig()
    forms: list[FormConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _hierarchy_is_sound(self) -> SwitchboardConfig:
        ids = [p.id for p in self.people]
        if len(ids) != len(set(ids)):
            raise ValueError("people: duplicate id")
        known = set(ids)
        for p in self.people:
            if p.supervisor is not None and p.supervisor not in known:
                raise ValueError(f"people.{p.id}.supervisor: unknown person {p.supervisor!r}")
        for p in self.people:  # a cycle would make escalation climb forever
            seen: set[str] = set()
            cur: str | None = p.id
            while cur is not None:
                if cur in seen:
                    raise ValueError(f"people.{p.id}: supervisor chain has a cycle")
                seen.add(cur)
                cur = self.person(cur).supervisor
        return self

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    def form(self, form_id: str) -> FormConfig | None:
        return next((f for f in self.forms if f.id == form_id), None)

    @classmethod
    def load(cls, path: Path) -> SwitchboardConfig:
        with path.open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))
