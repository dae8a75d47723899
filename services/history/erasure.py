"""Erasing a person from JetStream: the stream messages, raw mails and bucket entries kept
under the ids of their interactions and contacts (the `CustomerErased` trace names them).

The stores seal personal data under per-person keys (switchboard/shredding.py); the streams
carry it in the clear, as channels sent it. So on erasure the streams are scanned once and
each message about one of those ids is deleted with JetStream's secure erase (the server
overwrites it), mails first, by the raw-mail reference their interaction names. Erasures
are rare and the streams' retention bounds the scan; matching by id (not by looking for
the person's address) also finds messages that name them in a form we did not foresee.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from events.base import TYPE_HEADER
from switchboard.jetstream import DEAD_LETTERS, EVENTS, INBOUND, RAW_EMAIL_BUCKET, VOICE_BUCKET

log = logging.getLogger(__name__)

SCANNED = {INBOUND: "sb.inbound.>", EVENTS: "sb.events.>", DEAD_LETTERS: "sb.deadletter.>"}
ID_FIELDS = ("interaction_id", "contact_id", "customer_id", "own_contact_id")
# The trace itself holds only ids, and other services still have to read it.
KEPT_TYPES = frozenset({"CustomerErased"})
IDLE = 2.0  # seconds without a message before a scan takes the stream as read


def about(body: dict[str, Any], ids: set[str]) -> bool:
    """Whether a message names one of `ids` in a field that says whom it is about."""
    return any(str(body.get(field)) in ids for field in ID_FIELDS if body.get(field))


def raw_refs(body: dict[str, Any]) -> list[str]:
    attributes = body.get("attributes")
    ref = attributes.get("raw_ref") if isinstance(attributes, dict) else None
    return [ref] if isinstance(ref, str) and ref.startswith(f"{RAW_EMAIL_BUCKET}/") else []


class StreamEraser:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def erase(
        self, customer_id: uuid.UUID, reached: Iterable[uuid.UUID], raw_refs: Iterable[str] = ()
    ) -> int:
        """Deletes what the streams and buckets hold about them; how many messages."""
        ids = {str(customer_id), *map(str, reached)}
        # Raw mails by the reference history kept too, in case their interaction's message
        # left INBOUND already (the object store keeps no retention of its own).
        for ref in raw_refs:
            if ref.startswith(f"{RAW_EMAIL_BUCKET}/"):
                await self._delete_mail(ref)
        deleted = 0
        for stream, subject in SCANNED.items():
            deleted += await self._scan(stream, subject, ids)
        await self._purge_voice(ids)
        log.info("erasure of customer %s: %d stream messages deleted", customer_id, deleted)
        return deleted

    async def _scan(self, stream: str, subject: str, ids: set[str]) -> int:
        try:
            info = await self.js.stream_info(stream)
        except NotFoundError:
            return 0
        last = info.state.last_seq
        if not info.state.messages or not last:
            return 0
        doomed: list[int] = []
        mails: list[str] = []
        sub = await self.js.subscribe(
            subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=IDLE)
                except (TimeoutError, NatsTimeout):
                    break  # what was last when we began was deleted meanwhile
                seq = msg.metadata.sequence.stream
                if (msg.headers or {}).get(TYPE_HEADER) not in KEPT_TYPES:
                    body = _json(msg.data)
                    if body is not None and about(body, ids):
                        doomed.append(seq)
                        mails += raw_refs(body)
                if seq >= last:
                    break
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        for ref in mails:
            await self._delete_mail(ref)
        for seq in doomed:
            with contextlib.suppress(NotFoundError):  # deleted by an earlier attempt
                # no_erase is left false: the server overwrites the message where it lay.
                await self.js.delete_msg(stream, seq)
        return len(doomed)

    async def _delete_mail(self, ref: str) -> None:
        bucket, name = ref.split("/", 1)
        with contextlib.suppress(NotFoundError):
            store = await self.js.object_store(bucket)
            await store.delete(name)

    async def _purge_voice(self, ids: set[str]) -> None:
        """The voice bridge keeps each call's state under its contact id."""
        try:
            kv = await self.js.key_value(VOICE_BUCKET)
        except NotFoundError:
            return
        for key in ids:
            with contextlib.suppress(NotFoundError):
                if await _exists(kv, key):
                    await kv.purge(key)


async def _exists(kv: Any, key: str) -> bool:
    try:
        await kv.get(key)
    except NotFoundError:
        return False
    return True


def _json(data: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
