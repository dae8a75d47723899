"""Right to be forgotten: after erasure, a scan of every table of every store (history's and
routing's event stores, the read model, the notifier's) finds none of the person's e-mail,
phone, name, messages or notes; other customers stay readable, and a rebuild of the read
model still matches."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from services.history.app import build_history_core
from tests.support.stack import BOTH_STORES, Stack
from tests.support.waiting import eventually

pytestmark = BOTH_STORES

GONE = {
    "name": "Gunhild Erasmus",
    "email": "gunhild@example.com",
    "phone": "+4915199887766",
    "message": "my parcel 4711-XY never came",
}
NOTE = "lives at Elm Street 5"
NEEDLES = [*GONE.values(), NOTE]


def _hits(table: str, rows: list[tuple[Any, ...]]) -> set[str]:
    found = set()
    for row in rows:
        for value in row:
            raw = value if isinstance(value, bytes | memoryview) else str(value).encode()
            for needle in NEEDLES:
                if needle.encode() in bytes(raw):
                    found.add(table)
    return found


def scan(stack: Stack) -> set[str]:
    """Every table (of every store) holding any of the person's data."""
    found: set[str] = set()
    if stack.settings.database_url:
        with psycopg.connect(stack.settings.database_url) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
            for (table,) in tables:
                found |= _hits(table, conn.execute(f'SELECT * FROM "{table}"').fetchall())
        return found
    for db in Path(stack.settings.data_dir).glob("*.sqlite"):
        with sqlite3.connect(db) as conn:
            names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for (table,) in names:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
                found |= _hits(f"{db.stem}.{table}", rows)
    return found


async def test_an_erased_customer_cannot_be_read_from_any_store(stack: Stack) -> None:
    r = await stack.post_form(**GONE)
    assert r.status_code == 202
    assert (
        await stack.post_form(name="Kai Kept", email="kai@example.com", message="hi")
    ).status_code == 202
    gone = await eventually(lambda: stack.customer(GONE["email"]))
    kept = await eventually(lambda: stack.customer("kai@example.com"))
    note = await stack.http.post(f"/api/customers/{gone['customer_id']}/notes", json={"text": NOTE})
    assert note.status_code == 201, note.text
    await eventually(stack.settled)
    kept_timeline = await stack.timeline(kept["customer_id"])
    # Before erasure the person is readable in the read model only: both event stores hold
    # their data sealed under keys (the scan would find plain text anywhere else).
    before = {t.split(".")[-1] for t in scan(stack)}
    assert before == {"timeline_entries", "customer_index"}

    sam = await stack.signed_in("sam")
    assert (await sam.delete(f"/api/customers/{gone['customer_id']}")).status_code == 403
    erased = await stack.http.delete(f"/api/customers/{gone['customer_id']}")
    assert erased.status_code == 204, erased.text
    await eventually(stack.settled)

    assert scan(stack) == set()
    assert (await stack.http.get(f"/api/customers/{gone['customer_id']}")).status_code == 410
    assert await stack.customer(GONE["email"]) is None
    assert await stack.customer_by(phone=GONE["phone"]) is None
    assert await stack.timeline(gone["customer_id"]) == []
    assert await stack.timeline(kept["customer_id"]) == kept_timeline
    still_kept = await stack.customer("kai@example.com")
    assert still_kept is not None
    assert still_kept["name"] == "Kai Kept"

    await stack.stop()
    projector = build_history_core(stack.settings)
    try:
        projector.rebuild()
        rows = projector.view.rows(kept["customer_id"], None, 1000, None)
        assert [r.position for r in rows][::-1] == [e["position"] for e in kept_timeline]
        assert projector.view.rows(gone["customer_id"], None, 1000, None) == []
    finally:
        projector.close()
    assert scan(stack) == set()
