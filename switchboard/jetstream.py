"""The JetStream layout every service relies on, and how events travel on it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import (
    ConsumerConfig,
    DeliverPolicy,
    KeyValueConfig,
    ObjectStoreConfig,
    StreamConfig,
    SubjectTransform,
)
from nats.js.errors import BadRequestError, NotFoundError

from events import EVENTS_BY_NAME, Event
from events.base import TYPE_HEADER, VERSION_HEADER
from events.interactions import INBOUND_SUBJECT_PREFIX

INBOUND = "INBOUND"
EVENTS = "EVENTS"
EVENTS_SUBJECTS = "sb.events.>"
TIMERS = "TIMERS"
DEAD_LETTERS = "DEADLETTERS"

ORIGIN_APP_HEADER = "Sb-Origin-App"
ORIGIN_POSITION_HEADER = "Sb-Origin-Position"
RELAY_BUCKET = "sb_relay"  # outbox relay positions
REPLIES_BUCKET = "sb_replies"  # claims on agents' replies, so none is sent twice
VOICE_BUCKET = "sb_voice"  # what the voice bridge did for each contact's call
LEASE_BUCKET = "sb_leases"  # which replica reads each durable consumer (consumer_leases.py)
RAW_EMAIL_BUCKET = "sb_raw_email"  # inbound e-mails as received (an object store)


def nats_servers(url: str) -> list[str]:
    """SWITCHBOARD_NATS_URL may list a cluster's servers, comma-separated: the client tries
    each to connect, and the cluster tells it about the others."""
    return [u.strip() for u in url.split(",") if u.strip()]


def inbound_partition_subject(partition: int) -> str:
    """Where INBOUND keeps the messages of one partition (all their kinds)."""
    return f"{INBOUND_SUBJECT_PREFIX}.{partition}.>"


def inbound_partitioning(partitions: int) -> SubjectTransform:
    """Adapters publish `sb.inbound.<key token>.<tail>`; the stream stores each message as
    `sb.inbound.<partition>.<tail>`, the partition a hash of the key token (NATS does the
    mapping: every publisher agrees without knowing the partition count)."""
    return SubjectTransform(
        src=f"{INBOUND_SUBJECT_PREFIX}.*.>",
        dest=f"{INBOUND_SUBJECT_PREFIX}.{{{{partition({partitions},1)}}}}.>",
    )


def stream_configs(
    inbound_dedupe_window: float,
    replicas: int = 1,
    max_age_hours: float = 0,
    inbound_partitions: int = 1,
) -> list[StreamConfig]:
    configs = [
        StreamConfig(
            name=INBOUND,
            # Only keyed subjects: a message without a partition key would match no
            # partition's consumer, so the publisher is told at once (no stream answers).
            subjects=[f"{INBOUND_SUBJECT_PREFIX}.*.>"],
            subject_transform=inbound_partitioning(inbound_partitions),
            duplicate_window=inbound_dedupe_window,
            description="Interactions as the channel adapters received them, by partition",
        ),
        StreamConfig(
            name=EVENTS,
            subjects=[EVENTS_SUBJECTS],
            duplicate_window=120.0,
            description="Domain events relayed from each service's event store",
        ),
        StreamConfig(
            name=TIMERS,
            subjects=["sb.timers.>"],
            allow_msg_schedules=True,
            description="Offer and escalation deadlines as NATS message schedules",
        ),
        StreamConfig(
            name=DEAD_LETTERS,
            subjects=["sb.deadletter.>"],
            description="Messages a consumer could not process after repeated attempts",
        ),
    ]
    for config in configs:
        config.num_replicas = replicas
        # Never shorter than the dedupe window, or retries could pass as new.
        config.max_age = (
            max(max_age_hours * 3600, config.duplicate_window or 0) if max_age_hours else 0
        )
    return configs


async def ensure_streams(
    js: JetStreamContext,
    inbound_dedupe_window: float,
    replicas: int = 1,
    max_age_hours: float = 0,
    inbound_partitions: int = 1,
) -> None:
    """Creates (or updates: more replicas, another retention) every stream and bucket."""
    # Before INBOUND starts storing by partition, so the consumers of a deployment from before
    # partitions keep only what was stored the old way (switchboard/inbound_consumers.py).
    await narrow_legacy_consumers(js)
    configs = stream_configs(inbound_dedupe_window, replicas, max_age_hours, inbound_partitions)
    for config in configs:
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
    # The leases' TTL is what frees a dead reader's lease (consumer_leases.py).
    ttls = {LEASE_BUCKET: LEASE_SECONDS}
    for bucket in (RELAY_BUCKET, REPLIES_BUCKET, VOICE_BUCKET, LEASE_BUCKET):
        try:
            await js.key_value(bucket)
        except NotFoundError:
            ttl = ttls.get(bucket)
            await js.create_key_value(
                KeyValueConfig(bucket=bucket, history=1, ttl=ttl, replicas=replicas)
            )
    try:
        await js.object_store(RAW_EMAIL_BUCKET)
    except NotFoundError:
        await js.create_object_store(
            RAW_EMAIL_BUCKET, ObjectStoreConfig(bucket=RAW_EMAIL_BUCKET, replicas=replicas)
        )
    await align_ack_wait(js)


async def align_ack_wait(js: JetStreamContext) -> None:
    """Gives the durable consumers made with an older ACK_WAIT today's: binding to an
    existing durable leaves its configuration as it was."""
    for stream in (INBOUND, EVENTS, TIMERS):
        for info in await js.consumers_info(stream):
            config = info.config
            ours = config.durable_name is not None and config.max_ack_pending == 1
            if ours and config.ack_wait != ACK_WAIT:
                config.ack_wait = ACK_WAIT
                await js.add_consumer(stream, config)  # updates the durable in place


# Before partitions, routing and history each read INBOUND through one consumer, and INBOUND
# stored `sb.inbound.<channel>[.updated]` and `sb.inbound.replies`. Such a consumer is kept
# to those subjects (none of which a partition uses) until it has drained them.
LEGACY_INBOUND_CONSUMERS = ("routing", "history")
LEGACY_INBOUND_SUBJECTS = [f"{INBOUND_SUBJECT_PREFIX}.*", f"{INBOUND_SUBJECT_PREFIX}.*.updated"]


async def narrow_legacy_consumers(js: JetStreamContext) -> None:
    for name in LEGACY_INBOUND_CONSUMERS:
        try:
            info = await js.consumer_info(INBOUND, name)
        except NotFoundError:
            continue
        config = info.config
        if config.filter_subjects == LEGACY_INBOUND_SUBJECTS:
            continue
        # Updates the durable in place.
        await js.add_consumer(INBOUND, with_filters(config, LEGACY_INBOUND_SUBJECTS))


def is_partitioned(subject: str) -> bool:
    """Whether INBOUND stored this message by partition (a number where channels, which
    start with a letter, used to be)."""
    parts = subject.split(".")
    return len(parts) > 3 and parts[2].isdigit()


# How long a delivered message stays claimed without word from its consumer. The Inbox says
# "still working" every third of it while a handler runs, so a slow handler keeps its
# message; a consumer that died (SIGKILL, lost host) holds its one in-flight message, and so
# its whole consumer, only this long before JetStream hands it to a live process.
ACK_WAIT = 6.0
# How long a consumer's lease outlives its holder's last rewrite (consumer_leases.py): a
# killed reader's consumer waits this long for another, beside its messages' ack wait.
LEASE_SECONDS = 2 * ACK_WAIT


def consumer_config(durable: str, *filters: str) -> ConsumerConfig:
    """One message in flight per consumer: tracking positions then only ever grow, and a
    message that must wait (e.g. for another stream to catch up) holds back the ones after it."""
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_ack_pending=1,
        ack_wait=ACK_WAIT,
    )
    return with_filters(config, filters)


def filters_of(config: ConsumerConfig) -> list[str]:
    """A consumer's filters however they are set, sorted."""
    return sorted(config.filter_subjects or [config.filter_subject or ""])


def with_filters(config: ConsumerConfig, filters: Sequence[str]) -> ConsumerConfig:
    """One filter as `filter_subject`, several as `filter_subjects`: the server refuses a
    consumer with both set."""
    config.filter_subject = filters[0] if len(filters) == 1 else None
    config.filter_subjects = list(filters) if len(filters) > 1 else None
    return config


@dataclass(frozen=True)
class Envelope:
    """An event as it travels: subject, body and headers."""

    subject: str
    body: bytes
    headers: dict[str, str]


def envelope(event: Event, subject: str | None = None, **headers: str) -> Envelope:
    return Envelope(
        subject=subject or event.subject,
        body=event.model_dump_json().encode(),
        headers={TYPE_HEADER: event.type_name(), VERSION_HEADER: str(event.version), **headers},
    )


class UnknownEvent(ValueError):
    pass


def decode_event(headers: dict[str, str] | None, body: bytes) -> Event:
    """Turns a message back into its contract; raises ValueError when it is not one."""
    name = (headers or {}).get(TYPE_HEADER)
    cls = EVENTS_BY_NAME.get(name or "")
    if cls is None:
        raise UnknownEvent(f"unknown event type {name!r}")
    data: Any = json.loads(body)
    return cls.model_validate(data)
