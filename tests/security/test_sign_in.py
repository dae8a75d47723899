"""Sign-in is throttled per account and per address (429 with Retry-After), and an unknown
user name is answered as a wrong password is (issue 16, item 4)."""

from __future__ import annotations

import asyncio

import httpx

from switchboard.sign_in_throttle import FREE_FAILURES, MAX_WAIT_SECONDS, SignInThrottle, keys_for
from tests.support.stack import Stack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_few_mistakes_are_free_then_each_failure_doubles_the_wait() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    keys = keys_for("Alice", "10.0.0.1")
    waits = []
    for _ in range(FREE_FAILURES + 4):
        waits.append(throttle.retry_after(keys))
        throttle.failed(keys)
        if (wait := throttle.retry_after(keys)) is not None:
            clock.now += wait  # the caller waits as told, then tries again
    assert waits[: FREE_FAILURES + 1] == [None] * (FREE_FAILURES + 1)
    assert throttle.retry_after(keys) is None
    throttle.failed(keys)
    assert throttle.retry_after(keys) == 16.0  # 1, 2, 4, 8, then 16 s
    for _ in range(30):
        throttle.failed(keys)
    assert throttle.retry_after(keys) == MAX_WAIT_SECONDS


def test_an_address_guessing_many_accounts_is_slowed_too() -> None:
    throttle = SignInThrottle(Clock())
    for n in range(FREE_FAILURES + 1):
        throttle.failed(keys_for(f"user{n}", "10.0.0.9"))
    assert throttle.retry_after(keys_for("someone-else", "10.0.0.9")) == 1.0
    assert throttle.retry_after(keys_for("someone-else", "10.0.0.10")) is None


def test_success_clears_the_account_and_time_forgets() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    keys = keys_for("bob", None)
    for _ in range(FREE_FAILURES):
        throttle.failed(keys)
    throttle.succeeded(keys[0])
    throttle.failed(keys)
    assert throttle.retry_after(keys) is None
    for _ in range(FREE_FAILURES + 3):
        throttle.failed(keys)
    clock.now += 2 * 3600
    assert throttle.retry_after(keys) is None


async def test_sign_in_answers_429_with_retry_after_and_hears_nothing_meanwhile(
    stack: Stack,
) -> None:
    async def try_(user: str, password: str) -> httpx.Response:
        return await stack.http.post("/api/session", json={"user": user, "password": password})

    for n in range(FREE_FAILURES + 1):  # the last failure starts the first wait
        r = await try_("alice", f"guess-{n}")
        assert r.status_code == 401, r.text
    blocked = await try_("alice", "alice")  # the right password, while the wait runs
    assert blocked.status_code == 429, blocked.text
    wait = int(blocked.headers["Retry-After"])
    assert wait == 1
    await asyncio.sleep(wait + 0.2)
    assert (await try_("alice", "alice")).status_code == 200


async def test_an_unknown_user_is_answered_as_a_wrong_password(stack: Stack) -> None:
    unknown = await stack.http.post("/api/session", json={"user": "mallory", "password": "x"})
    wrong = await stack.http.post("/api/session", json={"user": "alice", "password": "x"})
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())
