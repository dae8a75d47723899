"""A throwaway PostgreSQL cluster: initdb + pg_ctl in a temp dir on a free port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import psycopg

from tests.support.ports import free_port


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not versions:
        raise RuntimeError(
            "PostgreSQL binaries not found: install Debian's postgresql (./sb test does)"
        )
    return Path(versions[-1])


class ThrowawayPostgres:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.bin = _bin_dir()
        self.data = base / "pgdata"
        self.port = free_port()
        # initdb refuses to run as root; run the server as the postgres user then.
        self.run_as = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.base)

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.base, user.pw_uid, user.pw_gid)
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        self.pg_ctl("start")

    def pg_ctl(self, action: str, mode: str = "fast") -> None:
        # fsync off: a test cluster trades durability on power loss for speed;
        # a crash of the server process itself still loses nothing committed.
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        args = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", mode]
        if action in ("start", "restart"):
            args += ["-o", options, "-l", str(self.base / "postgres.log")]
        self._run(*args, action)

    def stop(self) -> None:
        self.pg_ctl("stop", mode="immediate")

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
