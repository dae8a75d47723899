"""The Approval aggregate: one document's approval, across every version resubmitted.

A round is one submission (a document version); it walks the steps in order. A step in
mode "any" is done by one approval, in mode "all" by each of its approvers. One rejection
ends the round; the requester revises and resubmits, starting a new round in the same
history. Each event carries `ctx` (contact, document, title, version), so its public
contract (and the customer's timeline) needs nothing else to say what happened."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events.base import derived_id

Ctx = dict[str, Any]


class ApprovalError(Exception):
    """The request does not fit the approval's state (409)."""


class MissingComment(ValueError):
    """A rejection without a comment (400 naming `comment`)."""


class NotAnApprover(Exception):
    """The person may not decide this step (403): not asked, or the requester."""


class Approval(Aggregate):
    @staticmethod
    def create_id(document_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return derived_id("approval", str(document_id))

    @event("Requested")
    def __init__(
        self, document_id: uuid.UUID, requester: str, steps: list[dict[str, Any]], ctx: Ctx
    ) -> None:
        self.document_id = document_id
        self.requester = requester
        self.round = 0
        self.asked = 0
        self._start(steps, ctx)

    def _start(self, steps: list[dict[str, Any]], ctx: Ctx) -> None:
        # The first ask's ctx is the caller's; every later event's is derived (_ctx).
        self.ctx = {k: v for k, v in ctx.items() if k not in ("asked", "step")}
        self.steps = [dict(s) for s in steps]
        self.step = 0
        self.approved_by: list[str] = []
        self.state = "pending" if steps else "approved"
        self.round += 1
        self.asked += 1

    # What people see -------------------------------------------------------------------

    @property
    def approvers(self) -> list[str]:
        """Who is asked now (in mode "all": those who have not approved yet)."""
        if self.state != "pending":
            return []
        asked = list(self.steps[self.step]["approvers"])
        return [a for a in asked if a not in self.approved_by]

    @property
    def mode(self) -> str:
        return str(self.steps[self.step]["mode"]) if self.steps else "any"

    def _ctx(self, **extra: Any) -> Ctx:
        """What this approval's next event tells the world besides its own arguments."""
        return {**self.ctx, "asked": self.asked, "step": self.step, **extra}

    def may_decide(self, person_id: str) -> None:
        if person_id == self.requester:
            raise NotAnApprover("nobody approves their own request")
        if self.state != "pending":
            raise ApprovalError(f"the approval is {self.state}")
        if person_id not in self.approvers:
            raise NotAnApprover(f"{person_id} is not asked to approve this step")

    # Decisions -----------------------------------------------------------------------

    def approve(self, by: str, comment: str | None) -> None:
        self.may_decide(by)
        rest = [a for a in self.approvers if a != by] if self.mode == "all" else []
        advances = not rest and self.step + 1 < len(self.steps)
        final = not rest and not advances
        following = self.steps[self.step + 1]["approvers"] if advances else []
        ctx = self._ctx(next_approvers=list(following))
        self._approved(by, comment, self.step, final, advances, ctx)

    @event("Approved")
    def _approved(
        self, by: str, comment: str | None, step: int, final: bool, advances: bool, ctx: Ctx
    ) -> None:
        self.approved_by = [*self.approved_by, by]
        if advances:
            self.step += 1
            self.approved_by = []
            self.asked += 1
        elif final:
            self.state = "approved"

    def reject(self, by: str, comment: str) -> None:
        if not comment.strip():
            raise MissingComment("a rejection says why")
        self.may_decide(by)
        self._rejected(by, comment, self.step, self._ctx())

    @event("Rejected")
    def _rejected(self, by: str, comment: str, step: int, ctx: Ctx) -> None:
        self.state = "rejected"

    def resubmit(self, by: str, steps: list[dict[str, Any]], ctx: Ctx) -> None:
        if by != self.requester:
            raise NotAnApprover("only the requester resubmits")
        if self.state != "rejected":
            raise ApprovalError(f"only a rejected document is resubmitted (it is {self.state})")
        ctx = {**ctx, "document_id": str(self.document_id), "requester": self.requester}
        self._resubmitted(by, steps, {**ctx, "asked": self.asked + 1})

    @event("Resubmitted")
    def _resubmitted(self, by: str, steps: list[dict[str, Any]], ctx: Ctx) -> None:
        self._start(steps, ctx)

    # Silence and absence ---------------------------------------------------------------

    def remind(self) -> None:
        if self.state == "pending":
            self._reminded(self.approvers, self._ctx())

    @event("Reminded")
    def _reminded(self, approvers: list[str], ctx: Ctx) -> None:
        pass

    def climb(self, to: list[str]) -> None:
        if self.state == "pending" and to:
            self._climbed(self.step, to, self._ctx())

    @event("Climbed")
    def _climbed(self, step: int, to: list[str], ctx: Ctx) -> None:
        self._replace_step(step, list(to))
        self.approved_by = []
        self.asked += 1

    def delegate(self, by: str, to: str, why: str | None = None) -> None:
        """An approver away or offline hands their part of this step to someone else
        (`why`: the status that handed it on for them)."""
        self.may_decide(by)
        if to == self.requester:
            raise NotAnApprover("a request cannot be delegated to its requester")
        if to in self.steps[self.step]["approvers"]:
            raise ApprovalError(f"{to} is already asked")
        self._delegated(by, to, self.step, self._ctx(), why)

    @event("Delegated")
    def _delegated(self, by: str, to: str, step: int, ctx: Ctx, why: str | None = None) -> None:
        self._replace_step(step, [to if a == by else a for a in self.steps[step]["approvers"]])

    def _replace_step(self, step: int, approvers: list[str]) -> None:
        self.steps = [
            {**s, "approvers": approvers} if i == step else s for i, s in enumerate(self.steps)
        ]
