"""A steady stream of customers writing in on every channel, retrying as channels do.

Each message carries a unique token in its text, so what the stores hold can be matched to
what was sent whatever the channel. A message counts as accepted once the system answered
2xx (HTTP) or 250 (SMTP); until then it is retried with the same channel id, as the channel
would, honouring Retry-After. Used by the fault suite and by `bench.load`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import aiosmtplib
import httpx

from tests.support import channels

# What share of messages each channel carries (all channels, web forms most).
DEFAULT_MIX: dict[str, int] = {"webform": 4, "api": 1, "telegram": 1, "twilio-sms": 1, "email": 1}
ACCEPT_MARK = "takeme"  # agents in the fault suite accept offers whose summary has it


@dataclass
class Sent:
    n: int
    channel: str
    token: str
    phase: str
    accepted_at: float = 0.0  # wall clock (time.time) of the accepting answer
    latency: float = 0.0  # first attempt to acceptance, retries included
    attempts: int = 0

    @property
    def wants_accept(self) -> bool:
        return ACCEPT_MARK in self.text

    @property
    def text(self) -> str:
        mark = f" {ACCEPT_MARK}" if self.n % 3 == 0 else ""
        return f"{self.token} hello from {self.channel}{mark}"


@dataclass
class Traffic:
    base_url: str
    smtp_port: int | None
    mix: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIX))
    phase: str = "steady"
    give_up_after: float = 120.0
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    sent: list[Sent] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)  # "503", "connect", "smtp 451", ...
    retry_after_seen: bool = False
    failed: list[Sent] = field(default_factory=list)  # never accepted: counted, not hidden
    first: int = 1  # message numbers (the channels' own ids) start here: senders side by side
    _numbers: itertools.count[int] = field(init=False)
    _cycle: Iterator[str] = field(init=False)
    _http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self._numbers = itertools.count(self.first)
        if self.smtp_port is None:
            self.mix.pop("email", None)
        self._cycle = itertools.cycle([c for c, weight in self.mix.items() for _ in range(weight)])
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=10.0)

    async def close(self) -> None:
        await self._http.aclose()

    def accepted(self) -> list[Sent]:
        return [s for s in self.sent if s.accepted_at]

    async def send_one(self) -> Sent:
        n = next(self._numbers)
        item = Sent(n, next(self._cycle), f"sb{self.run}x{n}", self.phase)
        self.sent.append(item)
        start = time.perf_counter()
        deadline = start + self.give_up_after
        while time.perf_counter() < deadline:
            item.attempts += 1
            wait = await self._attempt(item)
            if wait is None:
                item.accepted_at = time.time()
                item.latency = time.perf_counter() - start
                return item
            await asyncio.sleep(wait)
        self.failed.append(item)
        return item

    async def _attempt(self, item: Sent) -> float | None:
        """None when accepted, else how long to wait before the channel retries."""
        if item.channel == "email":
            assert self.smtp_port is not None
            try:
                await aiosmtplib.send(
                    channels.email(item.n, item.text),
                    hostname="127.0.0.1",
                    port=self.smtp_port,
                    timeout=10,
                )
                return None
            except aiosmtplib.SMTPResponseException as exc:
                self.refusals[f"smtp {exc.code}"] += 1
                return 0.5
            except (aiosmtplib.SMTPException, OSError):
                self.refusals["connect"] += 1
                return 0.3
        _, build = channels.HTTP_CHANNELS[item.channel]
        path, body, headers = build(item.n, item.text, self.base_url)
        try:
            r = await self._http.post(path, content=body, headers=headers)
        except httpx.HTTPError:
            self.refusals["connect"] += 1
            return 0.3
        if r.status_code < 300:
            return None
        self.refusals[str(r.status_code)] += 1
        if r.status_code != 503:
            raise AssertionError(f"{item.channel} answered {r.status_code}: {r.text[:300]}")
        if "retry-after" in r.headers:
            self.retry_after_seen = True
            return float(r.headers["retry-after"])
        return 1.0

    async def steady(self, rate: float, keep_going: Callable[[], bool]) -> None:
        """`rate` new messages a second while `keep_going()`; each retries on its own, so an
        outage does not slow the arrivals (customers keep writing), then all are awaited."""
        pending: set[asyncio.Task[Sent]] = set()
        interval = 1.0 / rate
        next_at = time.perf_counter()
        while keep_going():
            task = asyncio.create_task(self.send_one())
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        if pending:
            await asyncio.gather(*pending)
