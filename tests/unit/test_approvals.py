"""Approvals by plain calls: the steps the rules give, two levels with a rejection and a
resubmission, self-approval refused, silence reminding then climbing, delegation; and the
public contracts each step becomes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import Tracking

from events.documents import ApprovalClimbed, ApprovalRequested, DocumentApproved
from schemas.config import Person
from schemas.documents_config import ApprovalRule, DocumentTemplate
from services.documents.application import DocumentsApplication
from services.documents.approval import ApprovalError, NotAnApprover
from services.documents.approval_policy import approval_steps, climb, rule_for
from services.documents.contracts import to_contract

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
PEOPLE = {
    p.id: p
    for p in [
        Person(id="alice", name="Alice", supervisor="sam"),
        Person(id="sam", name="Sam", role="supervisor", supervisor="hana"),
        Person(id="hana", name="Hana", role="supervisor"),
        Person(id="vera", name="Vera", role="supervisor"),
    ]
}
RULES = [ApprovalRule(template="offer", min_amount=100, second_level_over=1000)]
OFFER = DocumentTemplate(
    name="offer",
    title="Offer for {{ customer.organization.name }}",
    body="Dear {{ customer.name }}, we offer {{ document.amount }} EUR.",
)
VARIABLES = {"customer": {"name": "Ana", "organization": {"name": "Acme"}}}


def steps(amount: float, requester: str = "alice") -> list[dict[str, object]]:
    rule = rule_for(RULES, "offer", amount)
    return [s.as_dict() for s in approval_steps(rule, requester, amount, PEOPLE)]


def published(app: DocumentsApplication) -> list[object]:
    records = app.recorder.select_notifications(start=1, limit=1000)
    return [c for n in records if (c := to_contract(app.mapper.to_domain_event(n)))]


def test_rules_give_the_steps() -> None:
    assert steps(50) == []
    assert steps(500) == [{"approvers": ["sam"], "mode": "any"}]
    assert steps(5000) == [
        {"approvers": ["sam"], "mode": "any"},
        {"approvers": ["hana"], "mode": "any"},
    ]
    role = ApprovalRule(by="role", role="supervisor", mode="all")
    [step] = approval_steps(role, "sam", None, PEOPLE)
    assert step.approvers == ("hana", "vera") and step.mode == "all"
    assert climb(["sam"], "alice", PEOPLE) == ["hana"]
    assert climb(["hana"], "alice", PEOPLE) == []


def test_two_levels_with_a_rejection_and_resubmission() -> None:
    app = DocumentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    contact = uuid.uuid4()
    doc = app.generate(contact, None, OFFER, VARIABLES, 5000, "alice", NOW)
    assert doc.current["title"] == "Offer for Acme"
    assert doc.current["text"] == "Dear Ana, we offer 5000 EUR."
    app.submit(doc.id, "alice", steps(5000))
    with pytest.raises(ApprovalError):
        app.request_send(doc.id, "alice", NOW)  # not approved yet
    with pytest.raises(NotAnApprover):
        app.approve(doc.id, "alice", None)  # nobody approves their own request
    with pytest.raises(NotAnApprover):
        app.approve(doc.id, "hana", None)  # not her step yet
    app.approve(doc.id, "sam", "fine by me")
    with pytest.raises(ValueError):
        app.reject(doc.id, "hana", "  ")  # a rejection says why
    app.reject(doc.id, "hana", "discount too deep")
    with pytest.raises(ApprovalError):
        app.submit(doc.id, "alice", steps(5000))  # not revised yet
    app.revise(doc.id, "alice", "Dear Ana, we offer 4500 EUR.", 4500, NOW)
    approval = app.submit(doc.id, "alice", steps(4500))
    assert (approval.round, approval.approvers) == (2, ["sam"])
    app.approve(doc.id, "sam", None)
    approval = app.approve(doc.id, "hana", "ok")
    assert approval.state == "approved"
    sent = app.request_send(doc.id, "alice", NOW)
    assert sent.send == {"version": 2, "status": "requested"}
    assert app.request_send(doc.id, "alice", NOW).version == sent.version  # once

    kinds = [(type(c).__name__, getattr(c, "by", None)) for c in published(app)]
    assert kinds == [
        ("DocumentGenerated", "alice"),
        ("ApprovalRequested", "alice"),
        ("DocumentApproved", "sam"),
        ("DocumentRejected", "hana"),
        ("ApprovalRequested", "alice"),
        ("DocumentApproved", "sam"),
        ("DocumentApproved", "hana"),
        ("DocumentSendRequested", "alice"),
    ]
    contracts = published(app)
    first_ask = contracts[1]
    assert isinstance(first_ask, ApprovalRequested)
    assert (first_ask.notify, first_ask.asked, first_ask.document_version) == (["sam"], 1, 1)
    step_two = contracts[2]
    assert isinstance(step_two, DocumentApproved)
    assert (step_two.notify, step_two.asked, step_two.final) == (["alice", "hana"], 2, False)
    assert contracts[3].comment == "discount too deep"  # type: ignore[attr-defined]
    resubmitted = contracts[4]
    assert isinstance(resubmitted, ApprovalRequested)
    assert (resubmitted.document_version, resubmitted.asked) == (2, 3)
    done = contracts[6]
    assert isinstance(done, DocumentApproved) and done.final and done.notify == ["alice"]


def test_silence_reminds_then_climbs_and_delegation() -> None:
    app = DocumentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    doc = app.generate(uuid.uuid4(), None, OFFER, VARIABLES, 500, "alice", NOW)
    app.submit(doc.id, "alice", steps(500))
    app.approval_silent(doc.id, 1, "reminder", [], Tracking("t", 1))
    app.approval_silent(doc.id, 1, "climb", ["hana"], Tracking("t", 2))
    app.approval_silent(doc.id, 1, "climb", ["hana"], Tracking("t", 2))  # redelivered
    approval = app.approval(doc.id)
    assert approval is not None and (approval.approvers, approval.asked) == (["hana"], 2)
    app.approval_silent(doc.id, 1, "climb", ["x"], Tracking("t", 3))  # stale: asked moved on
    with pytest.raises(NotAnApprover):
        app.approve(doc.id, "sam", None)
    app.delegate(doc.id, "hana", "vera")
    with pytest.raises(NotAnApprover):
        app.delegate(doc.id, "vera", "alice")
    assert app.approve(doc.id, "vera", None).state == "approved"
    names = [type(c).__name__ for c in published(app)]
    assert names == [
        "DocumentGenerated",
        "ApprovalRequested",
        "ApprovalReminded",
        "ApprovalClimbed",
        "ApprovalDelegated",
        "DocumentApproved",
    ]
    climbed = published(app)[3]
    assert isinstance(climbed, ApprovalClimbed) and climbed.asked == 2


def test_a_role_in_mode_all_needs_each_of_them() -> None:
    app = DocumentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    rule = ApprovalRule(by="role", role="supervisor", mode="all")
    doc = app.generate(uuid.uuid4(), None, OFFER, VARIABLES, 10, "sam", NOW)
    role_steps = [s.as_dict() for s in approval_steps(rule, "sam", 10, PEOPLE)]
    approval = app.submit(doc.id, "sam", role_steps)
    assert approval.approvers == ["hana", "vera"]  # never the requester
    with pytest.raises(NotAnApprover):
        app.approve(doc.id, "sam", None)
    assert app.approve(doc.id, "vera", None).approvers == ["hana"]
    with pytest.raises(NotAnApprover):
        app.approve(doc.id, "vera", None)  # once each
    assert app.approve(doc.id, "hana", None).state == "approved"
    finals = [c for c in published(app) if isinstance(c, DocumentApproved)]
    assert [(c.by, c.final) for c in finals] == [("vera", False), ("hana", True)]


def test_a_document_needing_no_approval_is_sent_without_one() -> None:
    app = DocumentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    doc = app.generate(uuid.uuid4(), None, OFFER, VARIABLES, 50, "alice", NOW)
    with pytest.raises(ApprovalError):
        app.request_send(doc.id, "alice", NOW, needs_approval=True)
    assert app.request_send(doc.id, "alice", NOW, needs_approval=False).send is not None
