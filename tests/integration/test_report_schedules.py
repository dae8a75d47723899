"""A supervisor subscribes to a daily report; at its time (a NATS message schedule) it is
e-mailed to them through a real SMTP server, with the summary and the contacts as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.integration.test_reports import FORMS, serve_one
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server, smtp_url=mailbox.url) as s:
        yield s


async def test_a_subscribed_daily_report_is_mailed_at_its_local_time(
    stack: Stack, mailbox: Mailbox
) -> None:
    alice = await stack.signed_in("alice")
    await stack.status("alice", "available")
    for n, form in enumerate(FORMS[:2]):
        assert (await stack.post_form(message=f"question {n}", **form)).status_code == 202
    await serve_one(stack, alice, "sale")
    await eventually(stack.settled)

    sam = await stack.signed_in("sam")
    tokyo = ZoneInfo("Asia/Tokyo")
    at = (datetime.now(tokyo) + timedelta(seconds=4)).time().replace(microsecond=0)
    r = await sam.post(
        "/api/reports/subscriptions",
        json={"cadence": "daily", "at": at.isoformat(), "time_zone": "Asia/Tokyo"},
    )
    assert r.status_code == 201, r.text
    due = datetime.fromisoformat(r.json()["next_due"])
    assert due.astimezone(tokyo).time() == at
    bad = await sam.post("/api/reports/subscriptions", json={"cadence": "hourly", "at": "08:00"})
    assert bad.status_code == 400 and "cadence" in bad.text
    agent = await alice.post("/api/reports/subscriptions", json={"cadence": "daily", "at": "08:00"})
    assert agent.status_code == 403

    # Other mail goes out meanwhile (alice's reply to the customer, an escalation to sam).
    async def report_mail() -> list[EmailMessage]:
        return [m for m in mailbox.messages if m["Subject"].startswith("Switchboard daily")]

    [mail] = await eventually(report_mail, timeout=30)
    assert mail["To"] == "sam@example.com"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Contacts" in text and "webform" in text  # grouped by channel
    [attachment] = list(mail.iter_attachments())
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    # Sam's queue: the contact alice took, and the one still waiting.
    assert [(r["source"], r["disposition"]) for r in rows] == [("google", "sale"), ("google", "")]

    async def sent() -> bool:
        [sub] = (await sam.get("/api/reports/subscriptions")).json()
        return sub["last_sent_for"] is not None and sub["next_due"] > sub["last_sent_for"]

    await eventually(sent)
