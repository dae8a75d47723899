"""A py-spy profile of a running process, summarised as the share of samples in which each
function was on the stack (so a commit's fsync counts for the handler that committed)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Frames worth naming: ours, the event store's, the drivers', the web stack's.
INTERESTING = re.compile(
    r"(^|[(/ ])(switchboard|services|events|eventsourcing|sqlite3|psycopg|faststream|nats|"
    r"uvicorn|starlette|fastapi|pydantic|cryptography)/"
)


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


class Profile:
    """py-spy recording `pid` (raw collapsed stacks) until `stop`."""

    def __init__(self, pid: int, output: Path, gil: bool = False) -> None:
        """`gil`: only the thread holding the GIL is sampled, which is where Python spends
        CPU. Without it every thread not idle counts, and a thread waiting to take the GIL
        back after a SQLite call or a socket read counts as busy in that call: at a steady
        25 forms/s `BEGIN` alone took 14 % of such samples and 2 % of the GIL's."""
        self.output = output
        binary = py_spy()
        command = ["record", "--nonblocking", "-r", "50", "-f", "raw", "-o", str(output)]
        if gil:
            command.append("--gil")
        self._proc = (
            subprocess.Popen(
                [str(binary), *command, "-p", str(pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if binary
            else None
        )

    def stop(self) -> dict[str, float]:
        """Stops recording; the functions on the stack in the most samples, as shares."""
        if self._proc is None:
            return {}
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(60)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            return {}
        return summarise(self.output) if self.output.exists() and self.output.stat().st_size else {}


def by_package(collapsed: Path) -> dict[str, float]:
    """Share of busy samples whose innermost frame is in each package (self time)."""
    own: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit() and stack:
            leaf = stack.split(";")[-1]
            found = re.search(r"\((?:.*?/site-packages/|.*?/lib/python3[.\d]*/)?([\w.<>-]+)", leaf)
            own[found.group(1) if found else "?"] += int(count)
    total = sum(own.values()) or 1
    return {name: round(n / total, 3) for name, n in own.most_common(15)}


def summarise(collapsed: Path, top: int = 20) -> dict[str, float]:
    on_stack: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        seen = set()
        for frame in stack.split(";"):
            name = re.sub(r":\d+\)$", ")", frame.strip())
            if INTERESTING.search(name) and name not in seen:
                seen.add(name)
                on_stack[name] += samples
    if not total:
        return {}
    return {
        re.sub(r"\(.*?/site-packages/", "(", name): round(count / total, 3)
        for name, count in on_stack.most_common(top)
    }
