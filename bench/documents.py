"""Documents: what filling a template and rendering a PDF cost, and how long an approver
waits for their notification.

    python -m bench.documents [--renders 20000] [--pdfs 300] [--approvals 40]

1. Render. A standard answer (greeting, reference, agent, a loop over decision makers) is
   filled through `templating.render` (sandboxed Jinja2, StrictUndefined, the compiled template
   cached by its text, as the API runs it), compiling every time, and the compiled template's
   render alone; baseline in the same run: the same text by a plain `str.join`.
2. PDF. `render_pdf` of a one-page offer (fpdf2), per second; same baseline.
3. Approval notification latency. The whole system in this process (embedded nats-server,
   SQLite, an SMTP sink): an agent asks for approval over HTTP, one document after another;
   from the request until the approver's e-mail arrives at the SMTP sink: p50/p99. Baseline:
   the submit request's own round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from schemas.documents_config import ApprovalRule, DocumentsConfig, DocumentTemplate
from services.documents.templating import render, sandbox
from switchboard.document_pdf import render_pdf
from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.stack import Stack, stack_config

ANSWER = (
    "Dear {{ customer.first_name }},\n\nthank you for contacting {{ agent.name }} about"
    " {{ contact.reference }}. We informed{% for p in customer.organization.decision_makers %}"
    " {{ p }}{% endfor %} at {{ customer.organization.name }}.\n\nKind regards, {{ agent.name }}"
)
VARIABLES: dict[str, Any] = {
    "customer": {
        "first_name": "Ana",
        "organization": {"name": "Acme", "decision_makers": ["Rui", "Ines", "Tom"]},
    },
    "contact": {"reference": "C-1A2B3C4D"},
    "agent": {"name": "Alice"},
}
OFFER_TEXT = "\n".join(f"{i}. Item {i}: service {i * 10} EUR per month." for i in range(1, 25))


def joined(v: dict[str, Any]) -> str:
    c, org = v["customer"], v["customer"]["organization"]
    people = "".join(" " + p for p in org["decision_makers"])
    return "".join(
        [
            "Dear ", c["first_name"], ",\n\nthank you for contacting ", v["agent"]["name"],
            " about ", v["contact"]["reference"], ". We informed", people, " at ",
            org["name"], ".\n\nKind regards, ", v["agent"]["name"],
        ]
    )  # fmt: skip


def per_second(fn: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def render_rates(n: int, pdfs: int) -> dict[str, float]:
    compiled = sandbox().from_string(ANSWER)
    assert render(ANSWER, VARIABLES) == joined(VARIABLES) == compiled.render(VARIABLES)
    now = datetime.now(UTC)
    return {
        "str.join": per_second(lambda: joined(VARIABLES), n * 10),
        "render (as the API: checked, cached compile)": per_second(
            lambda: render(ANSWER, VARIABLES), n
        ),
        "render (compile every time)": per_second(
            lambda: sandbox().from_string(ANSWER).render(VARIABLES), max(n // 50, 20)
        ),
        "render (compiled template only)": per_second(lambda: compiled.render(VARIABLES), n),
        "PDF one page (fpdf2)": per_second(
            lambda: render_pdf("Offer", OFFER_TEXT, "v1", now), pdfs
        ),
    }


class TimedMailbox(Mailbox):
    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[tuple[float, EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.arrived.append((time.perf_counter(), self.messages[-1]))
        return answer


async def approval_latency(n: int, workdir: Path) -> dict[str, float]:
    nats = NatsServerProcess(workdir / "nats", free_port())
    nats.start()
    mailbox = TimedMailbox()
    mailbox.start()
    template = DocumentTemplate(name="offer", title="Offer {{ document.amount }}", body="Offer.")
    documents = DocumentsConfig(
        templates=[template], approval_rules=[ApprovalRule(template="offer", min_amount=1)]
    )
    config = stack_config(offer_timeout=600, escalation_timeout=600)
    config = config.model_copy(update={"documents": documents})
    stack = Stack(workdir / "data", nats, None, mailbox.url, config)
    await stack.start()
    try:
        alice = await stack.signed_in("alice")
        await stack.status("alice", "available")
        await stack.post_form(name="Ana Lima", email="ana@example.com", message="Offer?")
        while not (offers := await stack.offers("alice")):
            await asyncio.sleep(0.05)
        contact = offers[0]["contact_id"]
        latencies, round_trips = [], []
        for i in range(n):
            amount = 100 + i
            r = await alice.post(
                f"/api/contacts/{contact}/documents", json={"template": "offer", "amount": amount}
            )
            path = f"/api/documents/{r.json()['document_id']}/submit"
            subject = f"[Switchboard] Needs your approval: Offer {amount} (v1)"
            start = time.perf_counter()
            assert (await alice.post(path)).status_code == 200
            round_trips.append(time.perf_counter() - start)
            while not (got := [t for t, m in mailbox.arrived if m["Subject"] == subject]):
                await asyncio.sleep(0.002)
            latencies.append(got[0] - start)
        return {
            "p50 ms": statistics.median(latencies) * 1000,
            "p99 ms": sorted(latencies)[min(n - 1, int(0.99 * n))] * 1000,
            "submit p50 ms": statistics.median(round_trips) * 1000,
        }
    finally:
        await stack.close()
        mailbox.stop()
        nats.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=20_000)
    parser.add_argument("--pdfs", type=int, default=300)
    parser.add_argument("--approvals", type=int, default=40)
    args = parser.parse_args()
    rates = render_rates(args.renders, args.pdfs)
    base = rates["str.join"]
    print("| what | per second | µs each | ratio to str.join |")
    print("| --- | --- | --- | --- |")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {1e6 / rate:,.1f} | {rate / base:.4f} |")
    with tempfile.TemporaryDirectory() as tmp:
        latency = asyncio.run(approval_latency(args.approvals, Path(tmp)))
    print(f"\napproval e-mail after submit ({args.approvals} submissions): ", end="")
    print(", ".join(f"{k} {v:.0f}" for k, v in latency.items()))
    print(json.dumps({"bench": "documents", "per_second": rates, "approval_notification": latency}))


if __name__ == "__main__":
    main()
