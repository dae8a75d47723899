"""Chat storm: many customers writing many messages each, on four channels, against
`switchboard up`; one contact per conversation, and how fast a message reaches the desk.

    python -m bench.chat_storm [--customers 1000] [--messages 10] [--rate 150]
                               [--database-url postgresql://...]

Starts `switchboard up` in a temporary directory (child nats-server; SQLite, or PostgreSQL
with --database-url naming an empty database). Two agents sign in and listen to their desk's
live stream as the desk does (server-sent events), accepting every offer as it comes. Each
customer writes `--messages` messages into one thread, on Telegram, the API channel (HMAC),
Twilio SMS (signed) or e-mail (SMTP, replies threaded by References) in turn, every message
sent once the customer's previous one was accepted, at `--rate` messages a second overall.

Then: contacts opened (must equal --customers), messages in their transcripts (must equal
customers x messages, none twice), and message -> holder's desk latency (the channel's
2xx/250 to the `message` push on the desk stream of the agent who has the conversation),
p50/p99, against a JetStream publish -> consume hop on the same nats-server, same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.load import percentile
from bench.routing import jetstream_hops
from switchboard.settings import Settings
from tests.support.auth import ADMIN, auth_toml, password_hash
from tests.support.channels import channels_toml
from tests.support.conversations import CHAT_CHANNELS, send
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess
from tests.support.stores import opened_contacts

CHANNELS = (*CHAT_CHANNELS, "email")
AGENTS = ("alice", "bob")
TOKEN = re.compile(r"\bk(\d+)m(\d+)\b")


def config_text(smtp_port: int) -> str:
    people = "".join(
        f'\n[[people]]\nid = "{a}"\nname = "{a.title()}"\nsupervisor = "sam"\n'
        f'password_hash = "{password_hash(a)}"\n'
        "capacity = { messaging = 100000, email = 100000 }\n"
        for a in AGENTS
    )
    return (
        "[routing]\noffer_timeout_seconds = 600\nescalation_timeout_seconds = 3600\n"
        "max_wait_seconds = 3600\nheartbeat_timeout_seconds = 3600\n"
        + people
        + '\n[[people]]\nid = "sam"\nname = "Sam"\nrole = "supervisor"\n'
        + channels_toml(smtp_port)
        + auth_toml()
    )


class Desk:
    """One agent's desk: its live stream, accepting every offer, timing message pushes."""

    def __init__(self, base_url: str, agent: str) -> None:
        self.agent = agent
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30.0)
        self.pushed: dict[str, float] = {}  # message token -> when its push arrived
        self.accepted = 0

    async def start(self) -> None:
        r = await self.http.post("/api/session", json={"user": self.agent, "password": self.agent})
        r.raise_for_status()
        r = await self.http.post(f"/api/agents/{self.agent}/status", json={"status": "available"})
        r.raise_for_status()

    async def listen(self) -> None:
        async with self.http.stream("GET", "/api/desk/events", timeout=None) as stream:
            kind = ""
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    await self.on(kind, json.loads(line[6:]))

    async def on(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "offer" and data.get("state") == "new":
            r = await self.http.post(f"/api/offers/{data['offer_id']}/accept")
            self.accepted += r.status_code == 200
        elif kind == "message":
            found = TOKEN.search(data.get("summary", ""))
            if found:
                self.pushed.setdefault(found.group(0), time.perf_counter())

    async def close(self) -> None:
        await self.http.aclose()


async def storm(
    system: SwitchboardProcess, smtp_port: int, customers: int, messages: int, rate: float
) -> tuple[dict[str, float], dict[str, float], list[Desk]]:
    desks = [Desk(system.base_url, a) for a in AGENTS]
    for desk in desks:
        await desk.start()
    listening = [asyncio.create_task(d.listen()) for d in desks]
    sent: dict[str, float] = {}
    nxt = dict.fromkeys(range(customers), 0)
    ready = list(range(customers))
    rng = random.Random(7)
    gap = 1.0 / rate
    in_flight: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=system.base_url, timeout=30.0) as http:

        async def one(customer: int) -> None:
            n = nxt[customer]
            channel = CHANNELS[customer % len(CHANNELS)]
            text = f"k{customer}m{n} hello from customer {customer}"
            await send(http, system.base_url, smtp_port, channel, customer, n, text)
            sent[f"k{customer}m{n}"] = time.perf_counter()
            nxt[customer] = n + 1
            if n + 1 < messages:
                ready.append(customer)

        start = time.perf_counter()
        total = customers * messages
        issued = 0
        while issued < total:
            if not ready:
                await asyncio.sleep(0.005)
                continue
            customer = ready.pop(rng.randrange(len(ready)))
            task = asyncio.create_task(one(customer))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            issued += 1
            await asyncio.sleep(max(0.0, start + issued * gap - time.perf_counter()))
        await asyncio.gather(*in_flight)
    # Pushes of the last messages trail the last send.
    await asyncio.sleep(5)
    for task in listening:
        task.cancel()
    pushed = {k: v for d in desks for k, v in d.pushed.items()}
    return sent, pushed, desks


def placed_messages(base_url: str, contacts: list[Any]) -> Counter[str]:
    seen: Counter[str] = Counter()
    with httpx.Client(base_url=base_url, headers=ADMIN, timeout=30.0) as http:
        for contact_id in contacts:
            r = http.get(f"/api/contacts/{contact_id}/messages", params={"limit": 200})
            r.raise_for_status()
            for m in r.json():
                found = TOKEN.search(m["text"]) if m["direction"] == "in" else None
                if found:
                    seen[found.group(0)] += 1
    return seen


def main(customers: int, messages: int, rate: float, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        smtp_port = free_port()
        env = {"SWITCHBOARD_DATABASE_URL": database_url} if database_url else {}
        system = SwitchboardProcess(Path(tmp) / "sb", config_text(smtp_port), None, env=env)
        system.start(60)
        try:
            nats_url = system.nats_url
            began = time.perf_counter()
            sent, pushed, desks = asyncio.run(storm(system, smtp_port, customers, messages, rate))
            seconds = time.perf_counter() - began
            hops = asyncio.run(jetstream_hops(nats_url, 500))
            settings = Settings(data_dir=Path(tmp) / "sb" / "data", database_url=database_url)
            contacts = opened_contacts(settings)
            seen = placed_messages(system.base_url, contacts)
        finally:
            system.terminate()
    latencies = [pushed[k] - t for k, t in sent.items() if k in pushed]
    summary: dict[str, Any] = {
        "bench": "chat_storm",
        "customers": customers,
        "messages_each": messages,
        "rate_asked": rate,
        "rate_achieved": round(len(sent) / seconds, 1),
        "contacts_opened": len(contacts),
        "contacts_expected": customers,
        "messages_placed": sum(seen.values()),
        "messages_sent": len(sent),
        "lost": len(set(sent) - set(seen)),
        "doubled": sum(1 for c in seen.values() if c > 1),
        "offers_accepted": sum(d.accepted for d in desks),
        "desk_pushes_timed": len(latencies),
        "desk_p50_ms": round(percentile(latencies, 0.5), 1),
        "desk_p99_ms": round(percentile(latencies, 0.99), 1),
        "jetstream_hop_p50_ms": round(percentile(hops, 0.5), 2),
        "jetstream_hop_p99_ms": round(percentile(hops, 0.99), 2),
    }
    hop = summary["jetstream_hop_p50_ms"] or 1.0
    summary["desk_p50_over_hop_p50"] = round(summary["desk_p50_ms"] / hop, 1)
    for key, value in summary.items():
        print(f"{key:<24}{value}")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--rate", type=float, default=150.0, help="messages a second, overall")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    main(args.customers, args.messages, args.rate, args.database_url)
