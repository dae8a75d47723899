"""Scoped access (issue 16, item 5): an agent reads and changes only the customers they
were offered, hold or own; a supervisor their subtree's; an integrator by its token's
scope; notes are removed by their author or someone above them; every read is audited
and only admins read the audit. On real nats-server and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.config import ApiToken, Person, SwitchboardConfig
from services.history.app import build_history_core
from switchboard.nats_server import NatsServerProcess
from tests.support.auth import password_hash
from tests.support.stack import ONE_AT_A_TIME, Stack, running_stack, stack_config
from tests.support.waiting import eventually

NARROW_TOKEN = "test-narrow-integrator-0123456789abcdef"


def scoped_config() -> SwitchboardConfig:
    """The test people (alice and bob under sam, sam under hana) and a second team: yan
    under zoe. zoe supervises the default queue; offers stay until answered."""
    base = stack_config(offer_timeout=60, escalation_timeout=120)
    people = [
        *base.people,
        Person(id="zoe", name="Zoe", role="supervisor", password_hash=password_hash("zoe")),
        Person(
            id="yan",
            name="Yan",
            supervisor="zoe",
            password_hash=password_hash("yan"),
            capacity=ONE_AT_A_TIME,
        ),
    ]
    narrow = ApiToken(name="narrow", role="integrator", token=NARROW_TOKEN, scopes=[])
    auth = base.auth.model_copy(update={"tokens": [*base.auth.tokens, narrow]})
    routing = base.routing.model_copy(update={"supervisor": "zoe"})
    return base.model_copy(update={"people": people, "auth": auth, "routing": routing})


@pytest.fixture(params=["postgres"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server, config=scoped_config()) as stack:
        yield stack


async def offered(stack: Stack, agent_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = await eventually(lambda: stack.offers(agent_id))
    return found[0]


async def status(client: httpx.AsyncClient, path: str) -> int:
    return (await client.get(path)).status_code


async def test_each_person_reads_and_changes_only_their_customers(stack: Stack) -> None:
    alice, bob, sam, hana, zoe, yan = [
        await stack.signed_in(p) for p in ("alice", "bob", "sam", "hana", "zoe", "yan")
    ]
    assert (await alice.post("/api/agents/alice/status", json={"status": "available"})).is_success
    r = await stack.post_form(name="Scope One", email="one@example.com", message="hello")
    assert r.status_code == 202
    to_alice = await offered(stack, "alice")
    one = (await eventually(lambda: stack.customer("one@example.com")))["customer_id"]
    card, timeline = f"/api/customers/{one}", f"/api/customers/{one}/timeline"

    # Offered: alice reads the card and the timeline, and notes on it.
    assert await status(alice, card) == 200
    assert await status(alice, timeline) == 200
    note = await alice.post(f"{card}/notes", json={"text": "called back"})
    assert note.status_code == 201, note.text
    [alice_note] = [n for n in note.json()["notes"] if n["by"] == "alice"]

    # Never offered: bob reads nothing of it, nor changes it.
    assert await status(bob, card) == 403
    assert await status(bob, timeline) == 403
    assert (await bob.patch(card, json={"name": "Mallory"})).status_code == 403
    assert (await bob.post(f"{card}/notes", json={"text": "x"})).status_code == 403
    assert (await bob.post(f"{card}/tags", json={"tag": "x"})).status_code == 403
    assert (await bob.delete(f"{card}/notes/{alice_note['note_id']}")).status_code == 403
    found = await bob.get("/api/customers", params={"email": "one@example.com"})
    assert found.status_code == 200 and found.json() == []
    assert await status(bob, "/api/customers/" + str(uuid.uuid4())) == 404
    # Nor through the contact's documents or a standard answer filled from the card.
    documents = f"/api/contacts/{to_alice['contact_id']}/documents"
    assert await status(alice, documents) == 200
    assert await status(bob, documents) == 403
    answer = {"shortcut": "hello", "channel": "web"}
    filled = await bob.post(f"/api/contacts/{to_alice['contact_id']}/answers", json=answer)
    assert filled.status_code == 403, filled.text

    # Once offered to bob (alice declines it), bob reads it.
    assert (await bob.post("/api/agents/bob/status", json={"status": "available"})).is_success
    assert (await alice.post(f"/api/offers/{to_alice['offer_id']}/decline")).is_success
    to_bob = await offered(stack, "bob")
    assert to_bob["contact_id"] == to_alice["contact_id"]
    assert await status(bob, card) == 200
    assert (await bob.post(f"/api/offers/{to_bob['offer_id']}/accept")).is_success
    assert await status(alice, card) == 200  # she was offered it: it stays hers to read

    # A note is removed by its author or someone above them, not by another agent.
    assert (await bob.delete(f"{card}/notes/{alice_note['note_id']}")).status_code == 403
    by_ops = await stack.http.post(f"{card}/notes", json={"text": "from the operator"})
    [ops_note] = [n for n in by_ops.json()["notes"] if n["by"] == "ops"]
    assert (await alice.delete(f"{card}/notes/{ops_note['note_id']}")).status_code == 403
    assert (await sam.delete(f"{card}/notes/{alice_note['note_id']}")).status_code == 204
    assert (await alice.delete(f"{card}/notes/{ops_note['note_id']}")).status_code == 403

    # The other team's customer: yan's, in zoe's team.
    assert (await alice.post("/api/agents/alice/status", json={"status": "away"})).is_success
    assert (await yan.post("/api/agents/yan/status", json={"status": "available"})).is_success
    r = await stack.post_form(name="Scope Two", email="two@example.com", message="hi")
    assert r.status_code == 202
    to_yan = await offered(stack, "yan")
    two = (await eventually(lambda: stack.customer("two@example.com")))["customer_id"]
    assert await status(yan, f"/api/customers/{two}") == 200

    # Supervisors: their subtree's customers (and those above them), not another team's.
    assert await status(sam, card) == 200
    assert await status(hana, card) == 200
    assert await status(zoe, f"/api/customers/{two}") == 200
    assert await status(sam, f"/api/customers/{two}") == 403
    assert await status(sam, f"/api/customers/{two}/timeline") == 403
    assert await status(alice, f"/api/customers/{two}") == 403
    # and their contacts: the transcript and routing of yan's contact are zoe's team's.
    for path in ("", "/messages", "/routing"):
        assert await status(zoe, f"/api/contacts/{to_yan['contact_id']}{path}") == 200
        assert await status(sam, f"/api/contacts/{to_yan['contact_id']}{path}") == 403
        assert await status(alice, f"/api/contacts/{to_yan['contact_id']}{path}") == 403
        assert await status(sam, f"/api/contacts/{to_bob['contact_id']}{path}") == 200

    # Search shows only what the caller may see.
    both = await stack.http.get("/api/customers", params={"q": "Scope"})
    assert {c["customer_id"] for c in both.json()} == {one, two}
    mine = await alice.get("/api/customers", params={"q": "Scope"})
    assert [c["customer_id"] for c in mine.json()] == [one]

    # Integrators: by token scope.
    async with httpx.AsyncClient(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {NARROW_TOKEN}"}
    ) as narrow:
        assert await status(narrow, card) == 403
        assert await status(narrow, timeline) == 403
        assert await status(narrow, f"/api/contacts/{to_bob['contact_id']}") == 403
        r = await narrow.get("/api/customers", params={"email": "one@example.com"})
        assert r.status_code == 200 and r.json() == []

    # Every read is in the audit; only admins read it.
    for client in (alice, sam, zoe):
        assert (await client.get("/api/audit")).status_code == 403
    r = await stack.http.get("/api/audit", params={"person": "alice", "customer": one})
    assert r.status_code == 200, r.text
    reads = r.json()
    assert {e["what"] for e in reads} >= {"card", "timeline", "search"}
    assert all(e["person"] == "alice" and e["customer_id"] == one for e in reads)
    assert [e["seq"] for e in reads] == sorted((e["seq"] for e in reads), reverse=True)
    readers = await stack.http.get("/api/audit", params={"customer": two})
    assert {"yan", "zoe"} <= {e["person"] for e in readers.json()}
    entries = readers.json()
    assert not {"alice", "sam"} & {e["person"] for e in entries if e["what"] != "refused"}
    assert {("alice", "refused"), ("sam", "refused")} <= {(e["person"], e["what"]) for e in entries}


async def test_the_audit_pages_filters_and_names_bad_parameters(stack: Stack) -> None:
    assert (await stack.post_form(email="paged@example.com", message="hi")).status_code == 202
    customer = (await eventually(lambda: stack.customer("paged@example.com")))["customer_id"]
    for _ in range(3):
        assert (await stack.http.get(f"/api/customers/{customer}")).status_code == 200
    first = (await stack.http.get("/api/audit", params={"customer": customer, "limit": 2})).json()
    assert len(first) == 2
    rest = await stack.http.get(
        "/api/audit", params={"customer": customer, "before": first[-1]["seq"]}
    )
    assert len(rest.json()) >= 2  # the third card read, and the search that found it
    assert {e["seq"] for e in first}.isdisjoint(e["seq"] for e in rest.json())
    since = first[0]["at"]
    later = await stack.http.get("/api/audit", params={"customer": customer, "since": since})
    assert [e["seq"] for e in later.json()] == [first[0]["seq"]]
    empty = await stack.http.get(
        "/api/audit", params={"customer": customer, "until": "2000-01-01T00:00:00Z"}
    )
    assert empty.json() == []
    # Kept through a restart and a rebuild of the read model (it is no projection).
    await stack.stop()
    projector = build_history_core(stack.settings, stack.config)
    try:
        projector.rebuild()
    finally:
        projector.close()
    await stack.start()
    again = await stack.http.get("/api/audit", params={"customer": customer, "limit": 2})
    assert again.json() == first

    for params, field in (
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-01-01T00:00:00"}, "until"),
        ({"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "until"),
        ({"customer": "nobody"}, "customer"),
        ({"limit": "0"}, "limit"),
        ({"before": "-1"}, "before"),
        ({"person": ""}, "person"),
    ):
        r = await stack.http.get("/api/audit", params=params)
        assert r.status_code == 400, (params, r.text)
        assert field in r.text, (params, r.text)
