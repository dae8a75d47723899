"""One fault scenario: customers write in steadily on every channel, agents accept some
offers and let the rest expire and escalate, a fault strikes, and afterwards the stores are
checked for what must hold — per fault: sent, recorded, lost (0), doubled (0)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from switchboard.settings import Settings
from tests.support.auth import ADMIN
from tests.support.channels import AGENTS, SUPERVISOR, system_toml
from tests.support.ledger import Fate, FateReader, Tally, escalation_mails, tally
from tests.support.mailbox import Mailbox
from tests.support.stores import stored_story
from tests.support.traffic import ACCEPT_MARK, Sent, Traffic

# Heavier variants: more traffic, longer outages, several rounds (see docs/operations.md).
HEAVY = os.environ.get("SWITCHBOARD_HEAVY_FAULTS") == "1"
RATE = 15.0 if HEAVY else 6.0  # new messages a second
ROUNDS = 3 if HEAVY else 1
# The running test's outcome lines, for the run's summary: tests/faults/conftest.py moves
# them onto the test's report, tests/conftest.py prints every report's.
REPORTS: list[str] = []
FAULT_SUMMARY = "fault suite"
# Past its first bound, an outcome's wait ends once nothing was in flight for this long.
QUIET_SECONDS = 5.0


def fault_config(smtp_port: int, twilio_api: str | None = None) -> str:
    """Offers lapse after 1.5 s: one nobody takes moves to the other agent, then climbs to
    sam (an e-mail) and stays with him."""
    return system_toml(smtp_port, twilio_api, offer_timeout=1.5)


class Desk:
    """Agents at their desks: they take the offers whose customer asked for it (the
    ACCEPT_MARK) and let the others lapse. An agent who let one lapse is set not responding
    by routing and comes back at once. Routing may be down: they retry."""

    def __init__(self, routing_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=routing_url, headers=ADMIN, timeout=5.0)
        self.accepted = 0

    async def run(self) -> None:
        while True:
            await self._come_back()
            for agent in AGENTS:
                for offer in await self._get(f"/api/agents/{agent}/offers"):
                    if ACCEPT_MARK in offer["summary"]:
                        self.accepted += await self._ok(f"/api/offers/{offer['offer_id']}/accept")
            await asyncio.sleep(0.1)

    async def _come_back(self) -> None:
        for agent in await self._get("/api/agents"):
            if agent["agent_id"] in AGENTS and agent["status"] != "available":
                await self._ok(f"/api/agents/{agent['agent_id']}/status", {"status": "available"})

    async def _get(self, path: str) -> list[dict[str, Any]]:
        try:
            r = await self._http.get(path)
        except httpx.HTTPError:
            return []
        found: list[dict[str, Any]] = r.json() if r.status_code == 200 else []
        return found

    async def _ok(self, path: str, body: object = None) -> bool:
        try:
            r = await self._http.post(path, json=body)
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    async def close(self) -> None:
        await self._http.aclose()


def finished(fate: Fate | None) -> bool:
    """Accepted by an agent, or climbed to the supervisor who now holds its offer."""
    if fate is None or not fate.recorded:
        return False
    kinds = fate.kinds()
    return bool(kinds["OfferAccepted"]) or SUPERVISOR in fate.escalated_to()


@dataclass
class Outcome:
    tallies: list[Tally]
    unfinished: list[str]
    mails_missing: list[str]
    mails_doubled: dict[str, int]
    traffic: Traffic
    fates: dict[str, Fate] = field(repr=False)
    waited: float = 0.0  # seconds the wait took once the traffic stopped
    # What routing's own store holds for the first unfinished contacts: history shows only
    # what routing relayed and history recorded.
    routing_stories: dict[str, list[str]] = field(default_factory=dict)

    def report(self) -> str:
        lines = [t.line() for t in self.tallies]
        lines.append(
            f"refusals={dict(self.traffic.refusals)} unfinished={len(self.unfinished)} "
            f"mails_missing={len(self.mails_missing)} mails_doubled={len(self.mails_doubled)} "
            f"waited={self.waited:.0f}s"
        )
        return "\n".join(lines)

    def assert_nothing_lost_or_doubled(self) -> None:
        problems = {
            t.name: {"lost": t.lost[:5], "doubled": dict(list(t.doubled.items())[:5])}
            for t in self.tallies
            if t.lost or t.doubled
        }
        assert not problems, problems
        assert not self.traffic.failed, f"never accepted: {len(self.traffic.failed)}"
        for t in self.tallies:
            assert t.offered == t.recorded == t.sent, t.line()
        stuck = {t: _story(self.fates.get(t)) for t in self.unfinished[:3]}
        assert not self.unfinished, (
            f"neither accepted nor escalated: {stuck}; in routing's store: {self.routing_stories}"
        )
        assert not self.mails_missing, f"escalated without an e-mail: {self.mails_missing[:5]}"
        assert not self.mails_doubled, f"escalation e-mailed twice: {self.mails_doubled}"


class Scenario:
    def __init__(self, traffic: Traffic, routing_url: str, rate: float = RATE) -> None:
        self.traffic = traffic
        self.desk = Desk(routing_url)
        self.rate = rate
        self._sending = True
        self._tasks: list[asyncio.Task[None]] = []

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Scenario]:
        self._tasks = [
            asyncio.create_task(self.traffic.steady(self.rate, lambda: self._sending)),
            asyncio.create_task(self.desk.run()),
        ]
        try:
            yield self
        finally:
            self._sending = False
            for task in self._tasks[1:]:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.desk.close()
            await self.traffic.close()

    async def fault(self, name: str, strike: Callable[[], Awaitable[None]]) -> None:
        """Messages sent while `strike` runs (and a moment after) count for `name`."""
        self.traffic.phase = name
        await strike()
        await asyncio.sleep(1.0)
        self.traffic.phase = "steady"

    async def outcome(
        self,
        settings: Settings,
        mailbox: Mailbox | None,
        timeout: float = 90.0,
        in_flight: Callable[[], Awaitable[list[str]]] | None = None,
        busy_limit: float = 300.0,
    ) -> Outcome:
        """Stops sending, waits (bounded) for every contact to be accepted or escalated and
        e-mailed, then accounts for every message per fault. `in_flight`: what the system
        still has to do; past `timeout` the wait goes on while it is not empty, up to
        `busy_limit`. After a kill on a starved machine a consumer may take minutes to work
        off its backlog: that is slow, not lost, and the report says how long it took. A
        contact still unfinished once nothing was in flight for QUIET_SECONDS is stuck for
        good, and fails then."""
        self._sending = False
        await self._tasks[0]
        accepted = self.traffic.accepted()
        reader = FateReader(settings)
        started = time.monotonic()
        quiet_since: float | None = None
        while True:
            # Asked before the stores are read: work that ends between the two is then
            # read, never taken for work that will not come.
            now = time.monotonic()
            past = now - started > timeout
            if past and (in_flight is None or not await in_flight()):
                quiet_since = now if quiet_since is None else quiet_since
            else:
                quiet_since = None
            fates = await asyncio.to_thread(reader.read)
            unfinished = [s.token for s in accepted if not finished(fates.get(s.token))]
            missing, doubled = _mail_check(accepted, fates, mailbox)
            waited = time.monotonic() - started
            if (not unfinished and not missing) or waited > busy_limit:
                break
            # Quiet for a few seconds: no deadline that fires meanwhile is still to come.
            quiet_for = QUIET_SECONDS if in_flight is not None else 0.0
            if quiet_since is not None and now - quiet_since >= quiet_for:
                break
            await asyncio.sleep(1.0)
        phases = list(dict.fromkeys(s.phase for s in self.traffic.sent))
        tallies = [
            tally(phase, [s for s in self.traffic.sent if s.phase == phase], fates)
            for phase in phases
        ]
        outcome = Outcome(tallies, unfinished, missing, doubled, self.traffic, fates, waited)
        for token in unfinished[:3]:
            contact = fates[token].contact_id if token in fates else None
            if contact is not None:
                story = await asyncio.to_thread(stored_story, settings, "routing", contact)
                outcome.routing_stories[token] = story
        REPORTS.append(outcome.report())
        print("\n" + outcome.report())
        return outcome


def _story(fate: Fate | None) -> object:
    """What happened to a contact, to read in a failure: (event, who, until when)."""
    if fate is None:
        return "not recorded"
    return [
        (k, d.get("agent_id") or d.get("to_person_id"), d.get("expires_at"))
        for k, _, d in fate.events
    ]


def _mail_check(
    accepted: list[Sent], fates: dict[str, Fate], mailbox: Mailbox | None
) -> tuple[list[str], dict[str, int]]:
    if mailbox is None:
        return [], {}
    mails = escalation_mails(mailbox.messages)
    missing: list[str] = []
    doubled: dict[str, int] = {}
    for item in accepted:
        fate = fates.get(item.token)
        if fate is None or fate.contact_id is None or SUPERVISOR not in fate.escalated_to():
            continue
        ids = mails.get(str(fate.contact_id), set())
        if not ids:
            missing.append(item.token)
        elif len(ids) > 1:
            doubled[item.token] = len(ids)
    return missing, doubled
