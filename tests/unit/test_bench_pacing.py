"""The capacity benches' own arithmetic: wrk paced to a rate never runs ahead of its
schedule, and every form it posts carries another ledger token; wrk limited to a number of
answers ends at it; the memory slope."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.memory import slope
from bench.wrk import post_forms
from tests.support.ledger import TOKEN


class Recorder(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/channels/webform/f"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="Debian's wrk is not installed")
def test_paced_wrk_keeps_to_its_schedule_and_numbers_every_form(recorder: str) -> None:
    result = post_forms(recorder, 2, 8, offset=5 * 10**9, rate=20)
    # The schedule allows 20 a second from the first request; each of the 8 connections may
    # have one more in flight when wrk stops.
    assert 0 < len(Recorder.bodies) <= 20 * 2 + 8
    assert result.requests <= len(Recorder.bodies)
    tokens = [TOKEN.search(json.loads(body)["message"]) for body in Recorder.bodies]
    found = [t.group() for t in tokens if t is not None]
    assert len(found) == len(set(found)) == len(Recorder.bodies)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="Debian's wrk is not installed")
def test_limited_wrk_ends_at_its_nth_answer(recorder: str) -> None:
    started = time.monotonic()
    result = post_forms(recorder, 60, 8, offset=6 * 10**9, limit=50)
    assert result.requests == 50 and result.non_2xx == 0
    assert 50 <= len(Recorder.bodies) <= 50 + 8  # the rest of the connections' last
    assert 0 < result.seconds < time.monotonic() - started < 60, "not waiting out its -d"
    paced = post_forms(recorder, 60, 8, offset=7 * 10**9, rate=100, limit=30)
    assert paced.requests == 30 and paced.seconds >= 0.25  # 30 at 100 a second


def test_slope_is_least_squares_per_contact() -> None:
    assert slope([(1000, 200.0), (2000, 210.0), (3000, 220.0)]) == pytest.approx(0.01)
    assert slope([(1000, 200.0)]) == 0.0
