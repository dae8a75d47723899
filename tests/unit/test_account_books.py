"""Account owners in history, with plain calls on an in-memory store: a customer's own
owner, an organization's owner inherited by its people, the owners' books, and what routing
is told (CustomerIdentified carries the owner)."""

from __future__ import annotations

import pytest

from events import CustomerIdentified
from services.history.application import HistoryApplication, MergeConflict
from services.history.contracts import to_contract
from tests.unit.test_customer_merges import customer_of, received, record


@pytest.fixture
def app() -> HistoryApplication:
    return HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def told_routing(app: HistoryApplication) -> CustomerIdentified:
    """The last CustomerIdentified history published."""
    found = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(start=None, limit=1000)
    ]
    return [c for c in found if isinstance(c, CustomerIdentified)][-1]


def test_an_organization_s_owner_is_inherited_by_its_people(app: HistoryApplication) -> None:
    record(app, received(email="ana@acme.example"))
    record(app, received(email="ben@acme.example"))
    record(app, received(email="cy@other.example"))
    ana, ben, cy = (
        customer_of(app, f"email:{n}")
        for n in ("ana@acme.example", "ben@acme.example", "cy@other.example")
    )
    with pytest.raises(MergeConflict, match="no organization"):
        app.set_organization_owner(ana, "alice", "sam")
    for who in (ana, ben):
        app.update_profile(who, {"organization": {"name": "Acme"}}, "sam")
    app.update_profile(cy, {"organization": {"name": "Other"}}, "sam")

    app.set_organization_owner(ben, "alice", "sam")  # any of its people's cards will do
    assert (app.card(ana).owner_id, app.card(ana).owner_via) == ("alice", "organization")
    assert app.card(cy).owner_id is None
    assert [c.customer_id for c in app.accounts("alice")] == sorted(
        [ana, ben], key=lambda c: (app.card(c).name or "", str(c))
    )
    record(app, received(email="ana@acme.example", text="again"))
    assert told_routing(app).owner_id == "alice"

    # Her own owner comes first; she leaves alice's book.
    app.set_owner(ana, "bob", "sam")
    assert (app.card(ana).owner_id, app.card(ana).owner_via) == ("bob", "customer")
    assert [c.customer_id for c in app.accounts("alice")] == [ben]
    assert [c.customer_id for c in app.accounts("bob")] == [ana]
    record(app, received(email="ana@acme.example", text="and again"))
    assert told_routing(app).owner_id == "bob"

    # ben moves to another organization: no longer alice's.
    app.update_profile(ben, {"organization": {"name": "Other"}}, "sam")
    assert app.card(ben).owner_id is None and app.accounts("alice") == []


def test_clearing_an_owner_empties_their_book(app: HistoryApplication) -> None:
    record(app, received(email="dee@example.com"))
    dee = customer_of(app, "email:dee@example.com")
    app.set_owner(dee, "alice", "sam")
    assert [c.customer_id for c in app.accounts("alice")] == [dee]
    app.set_owner(dee, None, "sam")
    assert app.card(dee).owner_id is None and app.accounts("alice") == []
