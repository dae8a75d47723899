"""Merges, unmerges and the card, with plain calls on an in-memory store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import Tracking

from events import (
    CustomerIdentified,
    InboundEvent,
    InteractionReceived,
    OfferAccepted,
    Sender,
    contact_id_for,
)
from services.history.application import HistoryApplication, MergeConflict
from services.history.contracts import to_contract
from services.history.merge_suggestion import SuggestionDecided, suggestion_id
from services.history.merging import decide_merge
from services.history.timeline import (
    Change,
    CustomerIndexed,
    Linked,
    SuggestionChanged,
    TimelineRow,
    Unlinked,
    changes_for,
)
from tests.support.aggregate_copies import assert_later_events_leave_the_original
from tests.support.identities import vouched
from tests.support.recent import assert_shared_as_stored

positions = iter(range(1, 1_000_000))
ANA_MAIL, ANA_PHONE = "email:ana@example.com", "phone:+4915112345678"


@pytest.fixture
def app() -> HistoryApplication:
    return HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def received(channel: str = "email", text: str = "hello", **sender: str) -> InteractionReceived:
    n = next(positions)
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, "src", f"m{n}"),
        channel=channel,
        source="src",
        external_id=f"m{n}",
        sender=Sender.model_validate(sender),
        text=text,
    )


def record(app: HistoryApplication, event: InteractionReceived) -> uuid.UUID:
    app.record_interaction(event, Tracking("stream:INBOUND", next(positions)))
    return contact_id_for(event.interaction_id)


def customer_of(app: HistoryApplication, identity: str) -> uuid.UUID:
    card = app.find(identity)
    assert card is not None
    return card.customer_id


def all_changes(app: HistoryApplication) -> list[Change]:
    return [
        c
        for n in app.recorder.select_notifications(start=None, limit=10_000)
        for c in changes_for(n.id, app.mapper.to_domain_event(n))
    ]


def test_merge_policy_is_automatic_only_on_strong_identities() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    older = datetime(2024, 1, 1, tzinfo=UTC)
    created = {a: older + timedelta(days=1), b: older}
    strong = decide_merge({a: [ANA_MAIL], b: [ANA_PHONE]}, created, ["phone", "email"])
    assert (strong.automatic, strong.survivor, strong.absorbed) == (True, b, [a])
    weak = decide_merge({a: [ANA_MAIL], b: ["telegram:42"]}, created, ["phone", "email"])
    assert not weak.automatic
    assert decide_merge(
        {a: [ANA_MAIL], b: ["telegram:42"]}, created, ["email", "telegram"]
    ).automatic


def test_strong_identities_of_two_customers_merge_them_and_unmerge_restores_both(
    app: HistoryApplication,
) -> None:
    record(app, received(email="ana@example.com", name="Ana", text="by mail"))
    record(app, received(channel="voice", phone="+4915112345678", text="Incoming call"))
    ana, caller = customer_of(app, ANA_MAIL), customer_of(app, ANA_PHONE)
    assert ana != caller
    before = {c: app.card(c) for c in (ana, caller)}

    # A signed API message vouches for both (a web form's would only be suggested).
    form = vouched(received(channel="api", email="ana@example.com", phone="+4915112345678"))
    record(app, form)
    merged = app.card(caller)
    assert merged.customer_id == ana  # the longer-known one survives
    assert merged == app.card(ana)
    assert merged.merged_from == [caller]
    assert sorted(merged.identities) == [ANA_MAIL, ANA_PHONE]
    assert customer_of(app, ANA_PHONE) == ana  # lookups by any identity lead to the survivor
    contract = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(start=None, limit=100)
    ]
    assert [c.customer_id for c in contract if c is not None][-1] == ana

    evidence = [
        c for c in all_changes(app) if isinstance(c, TimelineRow) and c.kind == "CustomerMerged"
    ]
    assert len(evidence) == 1 and evidence[0].customer_id == ana
    assert evidence[0].data["evidence"]["matched"] == [ANA_MAIL]
    assert evidence[0].data["evidence"]["other_matched_kinds"] == ["phone"]
    assert "automatically" in evidence[0].summary

    split = app.unmerge(caller, "sam", "two people share the line")
    assert split.id == caller
    # As before, but for the number now known as vouched for (the signed message).
    assert before[caller].verified_by == {ANA_PHONE: "unverified"}
    assert app.card(caller) == before[caller].model_copy(
        update={"verified_by": {ANA_PHONE: "api-signature"}}
    )
    after = app.card(ana)
    assert after.merged_from == [] and after.identities == before[ana].identities
    links = [c for c in all_changes(app) if isinstance(c, Linked | Unlinked)]
    assert [type(c).__name__ for c in links] == ["Linked", "Unlinked"]
    with pytest.raises(MergeConflict):
        app.unmerge(caller, "sam", "again")
    assert_shared_as_stored(app)  # what followers were handed from memory
    assert assert_later_events_leave_the_original(app, {"Customer"}) >= 8


def test_a_weak_match_is_a_suggestion_a_supervisor_confirms_or_rejects(
    app: HistoryApplication,
) -> None:
    record(app, received(email="bo@example.com"))
    record(app, received(channel="telegram", handle="telegram:42"))
    bo, tg = customer_of(app, "email:bo@example.com"), customer_of(app, "telegram:42")
    record(app, vouched(received(channel="api", email="bo@example.com", handle="telegram:42")))
    assert app.card(bo).merged_from == [] and app.card(tg).customer_id == tg
    proposed = [c for c in all_changes(app) if isinstance(c, SuggestionChanged)]
    assert len(proposed) == 1
    assert proposed[0].fields["evidence"]["matched_kinds"] == {
        str(bo): ["email"],
        str(tg): ["telegram"],
    }
    assert "bo@example.com" not in str(proposed[0].fields)  # kinds only: no personal data

    sid = suggestion_id(bo, tg)
    app.confirm_suggestion(sid, "sam")
    assert app.card(tg).customer_id == bo
    with pytest.raises(SuggestionDecided):
        app.reject_suggestion(sid, "sam")
    with pytest.raises(MergeConflict):
        app.merge(bo, tg, "sam", "twice")


def test_card_fields_notes_tags_tier_and_who_took_the_contacts(app: HistoryApplication) -> None:
    contact = record(app, received(email="cy@example.com", name="Cy"))
    cy = customer_of(app, "email:cy@example.com")
    accepted = OfferAccepted(
        contact_id=contact, offer_id=uuid.uuid4(), agent_id="alice", waited_seconds=3
    )
    app.record_contact_event(accepted, Tracking("routing", 1))
    app.update_profile(
        cy,
        {"organization": {"name": "Acme", "does": "anvils", "decision_makers": ["Wile"]}},
        "alice",
    )
    note = app.add_note(cy, "prefers mornings", "alice")
    app.tag(cy, "billing", "alice")
    app.set_tier(cy, "vip", "sam")
    card = app.card(cy)
    assert card.organization is not None and card.organization.decision_makers == ["Wile"]
    assert [n.text for n in card.notes] == ["prefers mornings"]
    assert (card.tags, card.tier) == (["billing"], "vip")
    assert [t.agent_id for t in card.last_contacts] == ["alice"]
    assert card.reason == "hello"

    # What routing is told about this customer's next contact
    record(app, received(email="cy@example.com"))
    identified = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(start=None, limit=1000)
    ]
    latest = [c for c in identified if c is not None][-1]
    assert isinstance(latest, CustomerIdentified)
    assert (latest.tier, latest.last_agent_id) == ("vip", "alice")

    assert app.remove_note(cy, note, "alice")
    assert not app.remove_note(cy, note, "alice")
    app.untag(cy, "billing", "alice")
    kinds = [c.kind for c in all_changes(app) if isinstance(c, TimelineRow)]
    for kind in ("ProfileUpdated", "NoteAdded", "Tagged", "TierChanged", "NoteRemoved", "Untagged"):
        assert kind in kinds
    names = [c.fields for c in all_changes(app) if isinstance(c, CustomerIndexed)]
    assert {"organization": "Acme"} in names
    assert_shared_as_stored(app)
    assert assert_later_events_leave_the_original(app, {"Customer"}) >= 8


def test_a_supervisors_merge_confirms_the_pending_suggestion_for_the_two(
    app: HistoryApplication,
) -> None:
    record(app, received(email="di@example.com"))
    record(app, received(channel="telegram", handle="telegram:7"))
    di, tg = customer_of(app, "email:di@example.com"), customer_of(app, "telegram:7")
    record(app, received(channel="api", email="di@example.com", handle="telegram:7"))
    app.merge(tg, di, "sam", "same person")
    assert app.card(di).customer_id == tg
    decided = [c for c in all_changes(app) if isinstance(c, SuggestionChanged)]
    assert [c.fields["status"] for c in decided] == ["pending", "confirmed"]
    with pytest.raises(SuggestionDecided):
        app.confirm_suggestion(suggestion_id(di, tg), "sam")


def test_with_no_automatic_kinds_every_merge_waits_for_a_supervisor() -> None:
    app = HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, auto_merge_on=[])
    record(app, received(email="ed@example.com"))
    record(app, received(channel="sms", phone="+4915100000009"))
    record(app, received(channel="webform", email="ed@example.com", phone="+4915100000009"))
    ed, sms = customer_of(app, "email:ed@example.com"), customer_of(app, "phone:+4915100000009")
    assert ed != sms
    assert [type(c) for c in all_changes(app) if isinstance(c, SuggestionChanged)] == [
        SuggestionChanged
    ]
