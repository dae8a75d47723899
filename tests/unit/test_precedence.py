"""Precedence between one process's consumers (switchboard/precedence.py), with plain
calls on an event loop: a deferred consumer's turn waits while the urgent backlog is a
batch or more, ends when it clears, never waits longer than its hold, and not at all once
the consumer itself is far behind."""

from __future__ import annotations

import asyncio
import time

from switchboard.precedence import Precedence, of_running_loop


async def test_a_turn_is_at_once_while_nothing_urgent_waits() -> None:
    precedence = Precedence(threshold=10, hold=5.0)
    precedence.report("routing-p0", 9)  # under a batch: not behind
    started = time.monotonic()
    await precedence.turn()
    assert time.monotonic() - started < 0.5
    assert precedence.deferred == 0


async def test_a_turn_waits_until_the_urgent_backlog_clears() -> None:
    precedence = Precedence(threshold=10, hold=5.0)
    precedence.report("routing-p0", 6)
    precedence.report("history-p0", 6)  # together a batch
    turn = asyncio.ensure_future(precedence.turn())
    await asyncio.sleep(0.2)
    assert not turn.done(), "waited while two urgent consumers were a batch behind"
    precedence.report("history-p0", 0)
    await asyncio.wait_for(turn, 1.0)
    assert (precedence.deferred, precedence.held_out) == (1, 0)
    assert precedence.backlog() == 6


async def test_a_turn_waits_at_most_its_hold() -> None:
    precedence = Precedence(threshold=10, hold=0.3)
    precedence.report("routing-p0", 500)
    started = time.monotonic()
    await precedence.turn()
    await precedence.turn()
    waited = time.monotonic() - started
    assert 0.55 < waited < 2.0, waited
    assert (precedence.deferred, precedence.held_out) == (2, 2)


async def test_a_consumer_far_behind_takes_its_turn_at_once() -> None:
    """In an overload that lasts, a deferred consumer stops waiting once it is
    `most_behind` behind: the reports lag by a bounded amount, not by the overload."""
    precedence = Precedence(threshold=10, hold=5.0, most_behind=1_000)
    precedence.report("routing-p0", 500)
    started = time.monotonic()
    await precedence.turn(behind=1_000)
    assert time.monotonic() - started < 0.5
    assert precedence.deferred == 0
    waiting = asyncio.ensure_future(precedence.turn(behind=999))
    await asyncio.sleep(0.2)
    assert not waiting.done(), "just under the cap it still waits"
    precedence.report("routing-p0", 0)
    await asyncio.wait_for(waiting, 1.0)


async def test_one_precedence_per_event_loop() -> None:
    mine = of_running_loop()
    assert of_running_loop() is mine

    def elsewhere() -> Precedence:
        async def get() -> Precedence:
            return of_running_loop()

        return asyncio.run(get())

    assert await asyncio.to_thread(elsewhere) is not mine
