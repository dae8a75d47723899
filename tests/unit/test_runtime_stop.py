"""Stopping a loop whose cancellation a library swallowed (before Python 3.12, wait_for
inside nats-py's requests returns the reply when the cancellation lands with it)."""

from __future__ import annotations

import asyncio
import time

from switchboard.runtime import _bounded


async def test_a_swallowed_cancellation_is_asked_again_not_waited_out() -> None:
    swallowed = 0

    async def loop() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1  # as wait_for does when the reply came at the same moment

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.05)
    task.cancel()
    began = time.monotonic()
    await _bounded(task, "loop", timeout=10.0)
    assert task.cancelled()
    assert swallowed == 1
    assert time.monotonic() - began < 5.0


async def test_a_step_that_ends_by_itself_is_not_cancelled() -> None:
    async def step() -> str:
        await asyncio.sleep(0.05)
        return "done"

    task = asyncio.ensure_future(step())
    await _bounded(task, "step", timeout=10.0)
    assert task.result() == "done"
