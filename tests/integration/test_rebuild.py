"""The timeline is a projection: rebuilt from the event store, it matches the live one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from schemas.config import HistoryConfig
from services.history.app import build_history_core
from services.history.timeline import TimelineRow, TimelineView
from switchboard.nats_server import NatsServerProcess
from tests.support.identities import SIGNED_CHANNEL, post_signed
from tests.support.stack import BOTH_STORES, Stack, running_stack, stack_config
from tests.support.waiting import eventually


@BOTH_STORES
async def test_rebuild_matches_the_live_timeline(stack: Stack) -> None:
    await stack.status("alice", "available")
    for n in range(3):
        r = await stack.post_form(email=f"r{n}@example.com", message=f"about order {n}")
        assert r.status_code == 202
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    customers = [await eventually(partial(stack.customer, f"r{n}@example.com")) for n in range(3)]
    await eventually(stack.settled)
    await stack.stop()

    projector = build_history_core(stack.settings)

    def rows() -> list[TimelineRow]:
        return [
            row
            for c in customers
            for row in projector.view.rows(c["customer_id"], None, 1000, None)
        ]

    live = rows()
    assert len(live) >= 3 * 2 + 2  # each: received + queued; one offered and accepted
    last = projector.rebuild()
    assert last == projector.app.recorder.max_notification_id()
    assert rows() == live
    projector.view.clear()
    assert rows() == []  # the comparison above was not between two untouched tables
    projector.rebuild()
    assert rows() == live
    projector.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def email_only_stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    """Merges automatically on e-mail only: a phone match becomes a suggestion."""
    config = stack_config().model_copy(update={"history": HistoryConfig(auto_merge_on=["email"])})
    channels = config.channels.model_copy(update={"api": [SIGNED_CHANNEL]})
    config = config.model_copy(update={"channels": channels})
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


def read_model(view: TimelineView, customers: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "rows": {c: view.rows(c, None, 1000, None) for c in customers},
        "groups": {c: view.group(c) for c in customers},  # type: ignore[attr-defined]
        "search": view.search("example", 100),
        "suggestions": view.suggestions(None),
    }


async def test_rebuild_matches_after_merges_unmerges_notes_and_suggestions(
    email_only_stack: Stack,
) -> None:
    stack = email_only_stack
    a, b, c = (f"{n}@example.com" for n in "abc")
    for email in (a, c):
        r = await stack.post_form(name=email.title(), email=email, message="hi")
        assert r.status_code == 202
    # b's phone is vouched for (a signed message), so it is b's; a web form's would not be.
    r = await post_signed(stack, "b-1", "hi", name=b.title(), email=b, phone="+4915100000002")
    assert r.status_code == 202, r.text
    ids = [(await eventually(partial(stack.customer, e)))["customer_id"] for e in (a, b, c)]
    # a's e-mail with b's phone: a suggestion, not a merge (phone is not strong here)
    r = await stack.post_form(email=a, phone="+4915100000002", message="again")
    assert r.status_code == 202

    async def suggested() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await stack.http.get("/api/customers/merge-suggestions")
        ).json()
        return found

    [suggestion] = await eventually(suggested)
    assert {suggestion["a"], suggestion["b"]} == {ids[0], ids[1]}
    assert suggestion["evidence"]["matched_kinds"] == {ids[0]: ["email"], ids[1]: ["phone"]}
    r = await stack.http.post(
        f"/api/customers/merge-suggestions/{suggestion['suggestion_id']}/confirm"
    )
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == ids[0] and r.json()["merged_from"] == [ids[1]]
    assert (
        await stack.http.post(f"/api/customers/{ids[2]}/merge", json={"into": ids[0]})
    ).status_code == 200
    assert (await stack.http.post(f"/api/customers/{ids[2]}/unmerge")).status_code == 200
    assert (
        await stack.http.post(f"/api/customers/{ids[0]}/notes", json={"text": "n"})
    ).status_code == 201
    assert (
        await stack.http.put(f"/api/customers/{ids[0]}/tier", json={"tier": "vip"})
    ).status_code == 200
    r = await stack.http.patch(f"/api/customers/{ids[2]}", json={"organization": {"name": "Acme"}})
    assert r.status_code == 200, r.text

    async def by_organization() -> list[str]:
        found = (await stack.http.get("/api/customers", params={"q": "acm"})).json()
        return [f["customer_id"] for f in found]

    assert await eventually(by_organization) == [ids[2]]
    await eventually(stack.settled)
    await stack.stop()

    projector = build_history_core(stack.settings)
    customers = [uuid.UUID(i) for i in ids]
    try:
        live = read_model(projector.view, customers)
        assert live["groups"][customers[1]] == [customers[0], customers[1]]
        assert len(live["rows"][customers[0]]) > len(live["rows"][customers[2]])
        projector.rebuild()
        assert read_model(projector.view, customers) == live
    finally:
        projector.close()
