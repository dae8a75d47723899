"""Who must approve a document: plain functions of the rules and the hierarchy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from schemas.config import Person
from schemas.documents_config import ApprovalRule


@dataclass(frozen=True)
class Step:
    approvers: tuple[str, ...]
    mode: Literal["any", "all"] = "any"

    def as_dict(self) -> dict[str, object]:
        return {"approvers": list(self.approvers), "mode": self.mode}


def rule_for(
    rules: Sequence[ApprovalRule], template: str, amount: float | None
) -> ApprovalRule | None:
    """The first rule that applies; None: the document needs no approval."""
    for rule in rules:
        if rule.template not in ("*", template):
            continue
        if (amount or 0) >= rule.min_amount:
            return rule
    return None


def approval_steps(
    rule: ApprovalRule | None,
    requester: str,
    amount: float | None,
    people: Mapping[str, Person],
) -> list[Step]:
    """The steps in order; empty when nobody is needed. The requester never approves."""
    if rule is None:
        return []
    if rule.by == "role":
        chosen = tuple(p.id for p in people.values() if p.role == rule.role and p.id != requester)
        return [Step(chosen, rule.mode)] if chosen else []
    levels = (
        2 if rule.second_level_over is not None and (amount or 0) > rule.second_level_over else 1
    )
    steps: list[Step] = []
    current = requester
    for _ in range(levels):
        above = senior_to(current, people)
        if above is None:
            break
        steps.append(Step((above,)))
        current = above
    return steps


def senior_to(person_id: str, people: Mapping[str, Person]) -> str | None:
    person = people.get(person_id)
    return person.supervisor if person is not None else None


def climb(approvers: Sequence[str], requester: str, people: Mapping[str, Person]) -> list[str]:
    """The next senior people above a silent step (never the requester); empty: the top."""
    above = []
    for a in approvers:
        s = senior_to(a, people)
        if s and s != requester and s not in above:
            above.append(s)
    return above
