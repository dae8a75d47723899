"""Free loopback ports for throwaway servers."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_handed: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port below the kernel's ephemeral range, not handed out before in this process,
    and bindable now. bind(0) picks from the ephemeral range, where every outgoing
    connection also takes its local port: a port picked there could be taken by some
    client before its server bound it ("address already in use", seen in the fault suite)."""
    low = _ephemeral_low()
    while True:
        port = random.randint(10_000, low - 1)
        if port in _handed:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed.add(port)
        return port
