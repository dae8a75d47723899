"""Where `up`'s NATS messages go: `up` on a nats-server of its own that traces every message
(-V), web forms posted by wrk at a slow steady rate, and the traced messages counted per
contact by subject (ids and numbers folded), most first.

    .venv/bin/python -m bench.nats_trace --forms 20 --rate 2

A count of work, not of time: it shows which hop asks NATS what, per contact, and does not
move with the machine's load (tracing itself slows nats-server; no times are reported).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.support import make_available, stop, warm
from bench.wrk import post_forms, wrk_binary
from switchboard.nats_server import nats_server_binary, port_open
from tests.support.channels import FORM, system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess

# "<<- [PUB subject ...]" from a client, "->> [HMSG subject sid ...]" to one.
LINE = re.compile(r"(<<-|->>) \[(PUB|HPUB|MSG|HMSG) ([^ \]]+)")
IDS = re.compile(r"[A-Za-z0-9]{20,}")
NUMBERS = re.compile(r"\.\d+")


def subjects(trace: str) -> collections.Counter[str]:
    """Traced messages by "KIND subject", an inbox's id and a subject's numbers folded."""
    counts: collections.Counter[str] = collections.Counter()
    for match in LINE.finditer(trace):
        _, kind, subject = match.groups()
        counts[f"{kind} {NUMBERS.sub('.N', IDS.sub('*', subject))}"] += 1
    return counts


def traced_run(forms: int, rate: float) -> tuple[collections.Counter[str], float]:
    """The traced messages of `forms` contacts, and the idle ones of as long a pause."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        log = Path(tmp) / "nats.log"
        command = [nats_server_binary(), "-js", "-sd", f"{tmp}/js", "-a", "127.0.0.1"]
        server = subprocess.Popen([*command, "-p", str(port), "-V", "-l", str(log)])
        try:
            while not port_open("127.0.0.1", port):
                time.sleep(0.05)
            url = f"nats://127.0.0.1:{port}"
            toml = system_toml(free_port(), offer_timeout=3600)
            system = SwitchboardProcess(
                Path(tmp) / "up", toml, None, env={"SWITCHBOARD_NATS_URL": url}
            )
            system.start(120)
            try:
                warm(system.base_url)
                asyncio.run(make_available(system.base_url))
                time.sleep(3)
                seconds = forms / rate
                idle_from = log.stat().st_size
                time.sleep(seconds)
                start = log.stat().st_size
                post_forms(f"{system.base_url}/channels/webform/{FORM}", seconds, 1, 10**9, rate)
                time.sleep(3)  # the last contacts' offers
                text = log.read_bytes()
            finally:
                stop(system)
        finally:
            server.terminate()
            server.wait(10)
    idle = sum(subjects(text[idle_from:start].decode(errors="replace")).values())
    return subjects(text[start:].decode(errors="replace")), idle / seconds


def main(args: argparse.Namespace) -> dict[str, Any]:
    wrk_binary()
    counts, idle_per_s = traced_run(args.forms, args.rate)
    total = sum(counts.values())
    print(f"{total / args.forms:.1f} NATS messages per contact at {args.rate:g}/s")
    print(f"{idle_per_s:.0f} a second idle (polls), {idle_per_s / args.rate:.1f} per contact")
    for subject, n in counts.most_common(args.top):
        print(f"{n / args.forms:8.2f}  {subject}")
    summary = {
        "bench": "nats_trace",
        "forms": args.forms,
        "rate": args.rate,
        "msgs_per_contact": round(total / args.forms, 1),
        "idle_msgs_per_s": round(idle_per_s),
        "top": {s: round(n / args.forms, 2) for s, n in counts.most_common(args.top)},
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="forms a second")
    parser.add_argument("--top", type=int, default=25, help="subjects listed")
    main(parser.parse_args())
