"""The load generator drives every channel of a real `switchboard up` and accounts for each
message from the event store (a short run: its figures are for bench/, not for assertions)."""

from __future__ import annotations

import asyncio

from bench import load


async def test_load_generator_accounts_for_every_message() -> None:
    summary = await asyncio.to_thread(load.main, 4.0, 3.0, None)
    channels = summary["channels"]
    assert isinstance(channels, dict)
    assert set(channels) == {"webform", "api", "telegram", "twilio-sms", "email", "total"}
    total = channels["total"]
    assert total["accepted"] == total["recorded"] == total["offered"] > 0
    assert total["lost"] == total["duplicated"] == total["never_accepted"] == 0
