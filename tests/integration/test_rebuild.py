"""The timeline is a projection: rebuilt from the event store, it matches the live one."""

from __future__ import annotations

from services.history.app import build_history_core
from services.history.timeline import TimelineRow
from tests.support.stack import Stack
from tests.support.waiting import eventually


async def test_rebuild_matches_the_live_timeline(stack: Stack) -> None:
    await stack.status("alice", "available")
    for n in range(3):
        r = await stack.post_form(email=f"r{n}@example.com", message=f"about order {n}")
        assert r.status_code == 202
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    customers = [
        await eventually(lambda n=n: stack.customer(f"r{n}@example.com")) for n in range(3)
    ]
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
    projector.app.close()
