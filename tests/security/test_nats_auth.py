"""`switchboard up`'s own nats-server takes no anonymous connections (issue 16, item 2 for
the embedded mode): its generated credentials are kept 0600 under the data directory and
never show in the process list."""

from __future__ import annotations

import stat
from pathlib import Path

import nats
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.ports import free_port


def command_line(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


async def test_the_embedded_server_needs_its_generated_credentials(tmp_path: Path) -> None:
    credentials = tmp_path / "data" / "nats-credentials"
    server = NatsServerProcess(tmp_path / "nats", free_port(), credentials=credentials)
    server.start()
    try:
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "nats" / "auth.conf").stat().st_mode) == 0o600
        _user, password = credentials.read_text().split()
        assert len(password) >= 32
        anonymous = f"nats://127.0.0.1:{server.port}"
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(anonymous, allow_reconnect=False, connect_timeout=2)
        nc = await nats.connect(server.url, allow_reconnect=False)
        await nc.jetstream().account_info()
        await nc.close()
        assert server.process is not None
        assert password.encode() not in command_line(server.process.pid)
        # The same credentials on the next start: clients configured with them keep working.
        again = NatsServerProcess(tmp_path / "nats", server.port, credentials=credentials)
        assert again.url == server.url
    finally:
        server.stop()
