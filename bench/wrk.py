"""wrk, Debian's C load generator, posting distinct web forms: the client is never what
saturates first (a Python client did, in bench.ingest_channels)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Every request another customer and another submission: `init` gets a numbering offset,
# so rounds of one run never repeat an id (the stream would drop the repeat as a duplicate).
SCRIPT = """
local threads = 0
function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end
function init(args)
  base = tonumber(args[1]) + thread_no * 10000000
  sent = 0
end
function request()
  sent = sent + 1
  local k = string.format("%d", base + sent)
  local body = '{"email":"b' .. k .. '@example.com","message":"burst ' .. TOKEN .. k ..
    '","submission_id":"s-' .. k .. '"}'
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"}, body)
end
"""

# The message carries tests.support.ledger's token, so the history store's timeline of each
# form (recorded, offered when) can be matched to it.
TOKEN = "sb0000b057x"

# The monotonic clock in milliseconds, for PACED and LIMITED.
CLOCK = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } sb_timespec;
           int clock_gettime(int, sb_timespec*); ]]
local now_ts = ffi.new("sb_timespec")
function now_ms()
  ffi.C.clock_gettime(1, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1000000
end
"""

# A fixed rate (Debian's wrk has no -R): one clock for the thread, each request takes the
# next slot of the schedule and waits for it, so up to `connections` are in flight and the
# pace does not fall with the server's latency until every connection is waiting on it.
PACED = """
local interval = nil
local slot = nil
function delay()
  if interval == nil then
    interval = 1000 / tonumber(wrk_rate)
    slot = now_ms()
  end
  slot = slot + interval
  local wait = slot - now_ms()
  if wait < 0 then return 0 end
  return wait
end
"""


# A fixed number of answers (Debian's wrk has no -n): at the `wrk_limit`th the thread says
# how many it had, how many failed and over how long, and ends wrk at once (stopping only the
# thread would leave wrk waiting out its -d). Up to `connections` more may still be in
# flight then; the server counts what it accepted. wrk prints no latencies in this mode.
LIMITED = """
local answered, failed, first = 0, 0, nil
local format_request = request
function request()
  if first == nil then first = now_ms() end
  return format_request()
end
function response(status, headers, body)
  answered = answered + 1
  if status > 299 then failed = failed + 1 end
  if answered >= tonumber(wrk_limit) then
    io.write(string.format("sb_limited %d %d %.1f\\n", answered, failed, now_ms() - first))
    io.flush()
    os.exit(0)
  end
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    """Debian's wrk, installed with apt-get (as ./sb installs chromium) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run([*apt, "update", "-qq"], check=True, env=env)
        subprocess.run([*apt, "install", "-y", "-qq", "wrk"], check=True, env=env)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"wrk is missing and apt-get could not install it: {exc}") from exc
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing and apt-get did not install it")
    return found


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse(output: str) -> WrkResult:
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    if total is None:
        raise RuntimeError(f"wrk said:\n{output}")
    seconds = _ms(total.group(2), total.group(3)) / 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    latency = dict(re.findall(r"^\s+(50|99)\.000%\s+([\d.]+\w+)", output, re.MULTILINE))
    if not latency:
        latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))

    def percentile(key: str) -> float:
        found = re.fullmatch(r"([\d.]+)(\w+)", latency.get(key, "0ms"))
        return _ms(found.group(1), found.group(2)) if found else 0.0

    return WrkResult(
        requests=int(total.group(1)),
        seconds=seconds,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
        p50_ms=percentile("50"),
        p99_ms=percentile("99"),
    )


def post_forms(
    url: str,
    seconds: float,
    connections: int,
    offset: int,
    rate: float | None = None,
    limit: int | None = None,
) -> WrkResult:
    """wrk posting web forms to `url` for `seconds` over `connections` connections (one
    thread: the machine's other core is the server's); at `rate` requests a second in all
    when given (WrkResult.rate says what it achieved), else as fast as they are answered;
    with `limit`, until that many are answered (or `seconds` end)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'TOKEN = "{TOKEN}"\n' + SCRIPT)
        if rate is not None or limit is not None:
            script.write(CLOCK)
        if rate is not None:
            script.write(f"wrk_rate = {rate!r}\n" + PACED)
        if limit is not None:
            script.write(f"wrk_limit = {limit}\n" + LIMITED)
    try:
        done = subprocess.run(
            [
                wrk_binary(),
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                url,
                "--",
                str(offset),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(script.name).unlink()
    return parse_limited(done.stdout) or parse(done.stdout)


def parse_limited(output: str) -> WrkResult | None:
    found = re.search(r"^sb_limited (\d+) (\d+) ([\d.]+)$", output, re.MULTILINE)
    if found is None:
        return None
    nan = float("nan")
    answered, failed, ms = int(found.group(1)), int(found.group(2)), float(found.group(3))
    return WrkResult(answered, ms / 1000, failed, 0, p50_ms=nan, p99_ms=nan)
