"""Free loopback ports for throwaway servers."""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

_handed: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _share() -> tuple[int, int]:
    """This process's residue among pytest-xdist's workers: each worker takes only ports
    congruent to its own number, so two workers never pick the same port between one's
    check and its server's bind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return index % count, count


def free_port() -> int:
    """A port below the kernel's ephemeral range, not handed out before in this process,
    and bindable now. bind(0) picks from the ephemeral range, where every outgoing
    connection also takes its local port: a port picked there could be taken by some
    client before its server bound it ("address already in use", seen in the fault suite)."""
    low = _ephemeral_low()
    residue, count = _share()
    while True:
        port = random.randint(10_000, low - 1)
        if port % count != residue or port in _handed:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed.add(port)
        return port
