"""Part 1 of `bench.burst`: `switchboard serve ingest` against a bare FastAPI handler doing
the same JetStream publish (bench/bare_publish.py), on one fresh nats-server. The same
bare handler as a Starlette route ("plain") is measured too: ingest's channel routes skip
FastAPI's work per request, so the ratio to it says what ingest's own code costs.

Each server gets `rounds` turns of wrk, alternated (bare, ingest, bare, ingest, ...), so a
change in the machine's load falls on both. With `baseline_ref` (e.g. "main"), `serve
ingest` as that git revision has it runs in the same alternation, from an export of the
revision (`git archive`) ahead on PYTHONPATH: before and after from one machine state.
Every ingest server is measured once its language model has loaded (its /healthz says so):
the seconds of loading on another thread must not fall in a round.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx

from bench.bare_publish import PLAIN_PATH
from bench.scale import cpu_seconds
from bench.wrk import WrkResult, post_forms
from tests.support.channels import FORM, channels_toml
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parent.parent


def export_revision(ref: str, dest: Path) -> Path:
    """The tree of `ref` under dest (`git archive`): its code, importable as it was."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref],
        capture_output=True,
        check=True,
    ).stdout
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def start_server(
    command: list[str], env: dict[str, str], base: str, log: Path, cwd: Path = REPO
) -> subprocess.Popen[bytes]:
    # `python -m` puts the working directory first on sys.path: it decides whose code runs.
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{base}/healthz", timeout=1).text
            if "loading" not in health:  # ingest: its language model is ready
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(log.read_text()[-2000:])


def start_ingest(
    workdir: Path, nats_url: str, code: Path | None = None, smtp_port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`switchboard serve ingest` with the channels of tests.support.channels; from `code`
    (an exported revision) when given, else from this checkout."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "switchboard.toml").write_text(channels_toml(smtp_port or free_port()))
    port = free_port()
    env = {
        **os.environ,
        "SWITCHBOARD_NATS_URL": nats_url,
        "SWITCHBOARD_HTTP_PORT": str(port),
        "SWITCHBOARD_DATA_DIR": str(workdir / "data"),
        "SWITCHBOARD_CONFIG_FILE": str(workdir / "switchboard.toml"),
    }
    if code is not None:
        env["PYTHONPATH"] = str(code)
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "switchboard.cli", "serve", "ingest"]
    return start_server(command, env, base, workdir / "ingest.log", code or REPO), base


def start_bare(nats_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bench.bare_publish", nats_url, str(port)]
    return start_server(command, dict(os.environ), base, log), base


def ingest_alone(
    tmp: Path,
    nats_url: str,
    seconds: float,
    connections: int,
    rounds: int = 2,
    baseline_ref: str | None = None,
) -> dict[str, Any]:
    # name -> (process, URL of its web form); "plain" is the bare server's Starlette route.
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    path = f"/channels/webform/{FORM}"
    try:
        bare, base = start_bare(nats_url, tmp / "bare.log")
        servers["bare"] = bare, base + path
        servers["plain"] = bare, base + PLAIN_PATH.format(form=FORM)
        proc, base = start_ingest(tmp / "ingest", nats_url)
        servers["ingest"] = proc, base + path
        if baseline_ref:
            code = export_revision(baseline_ref, tmp / "baseline-code")
            proc, base = start_ingest(tmp / "baseline", nats_url, code)
            servers["baseline"] = proc, base + path
        runs: dict[str, list[WrkResult]] = {name: [] for name in servers}
        cpu = dict.fromkeys(servers, 0.0)  # the server process's, during its rounds
        for n, (_, url) in enumerate(servers.values()):  # warm-up, ids of their own
            post_forms(url, 1, connections, offset=10**12 + 10**10 * n)
        turn = 0
        for _ in range(rounds):
            for name, (proc, url) in servers.items():
                turn += 1
                before = cpu_seconds(proc.pid)
                runs[name].append(post_forms(url, seconds, connections, turn * 10**9))
                cpu[name] += cpu_seconds(proc.pid) - before
    finally:
        for proc in {proc.pid: proc for proc, _ in servers.values()}.values():
            proc.terminate()
            proc.wait(10)
    result: dict[str, Any] = {"rounds": rounds}
    for name, done in runs.items():
        ok = sum(r.ok for r in done)
        result[name] = {
            "per_s": round(ok / sum(r.seconds for r in done), 1),
            "p50_ms": round(max(r.p50_ms for r in done), 1),
            "p99_ms": round(max(r.p99_ms for r in done), 1),
            "errors": sum(r.non_2xx + r.socket_errors for r in done),
            "per_round": [round(r.rate, 1) for r in done],
            "cpu_us_per_form": round(1e6 * cpu[name] / max(ok, 1)),
        }
    result["ratio"] = round(result["ingest"]["per_s"] / result["bare"]["per_s"], 3)
    # The same comparison in CPU: what one form costs the server. It moves less with the
    # machine's load than the rates do (a loaded core slows both, and not evenly by round).
    bare_cpu = result["bare"]["cpu_us_per_form"]
    result["cpu_ratio"] = round(bare_cpu / result["ingest"]["cpu_us_per_form"], 3)
    plain_cpu = result["plain"]["cpu_us_per_form"]
    result["plain_ratio"] = round(result["ingest"]["per_s"] / result["plain"]["per_s"], 3)
    result["plain_cpu_ratio"] = round(plain_cpu / result["ingest"]["cpu_us_per_form"], 3)
    if baseline_ref:
        result["baseline_ref"] = baseline_ref
        result["baseline_ratio"] = round(result["baseline"]["per_s"] / result["bare"]["per_s"], 3)
        result["baseline_cpu_ratio"] = round(bare_cpu / result["baseline"]["cpu_us_per_form"], 3)
    return result


LABELS = {
    "bare": "bare FastAPI + publish",
    "plain": "bare Starlette route + publish",
    "ingest": "switchboard serve ingest",
    "baseline": "serve ingest at {ref}",
}


def print_table(result: dict[str, Any], connections: int) -> None:
    print(f"ingest alone: wrk -t1 -c{connections}, {result['rounds']} alternated rounds each")
    print(
        f"{'':<34}{'accepted/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
        f"{'CPU µs/form':>13}  per round"
    )
    for name in ("bare", "plain", "baseline", "ingest"):
        if name not in result:
            continue
        row = result[name]
        label = LABELS[name].format(ref=result.get("baseline_ref"))
        print(
            f"{label:<34}{row['per_s']:>12}{row['p50_ms']:>10}{row['p99_ms']:>10}"
            f"{row['errors']:>8}{row['cpu_us_per_form']:>13}  {row['per_round']}"
        )
    if "baseline_ratio" in result:
        print(
            f"ingest at {result['baseline_ref']} / bare: {result['baseline_ratio']} "
            f"(in CPU per form: {result['baseline_cpu_ratio']})"
        )
    print(f"ingest / bare: {result['ratio']} (in CPU per form: {result['cpu_ratio']})")
    print(
        f"ingest / bare Starlette route: {result['plain_ratio']} "
        f"(in CPU per form: {result['plain_cpu_ratio']})"
    )
