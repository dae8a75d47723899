"""Which partition key each inbound message carries, and the subjects INBOUND uses for it:
one sender's interactions share a key (so they are handled in order); an update shares its
interaction's id, a reply status its contact; partitions never overlap with the subjects a
deployment from before partitions stored."""

from __future__ import annotations

import uuid

from events import (
    InboundEvent,
    InteractionReceived,
    InteractionUpdated,
    ReplyStatusChanged,
    Sender,
    contact_id_for,
)
from events.interactions import key_token
from services.ingest.conformance import _matches
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import (
    LEGACY_INBOUND_SUBJECTS,
    inbound_partition_subject,
    inbound_partitioning,
    is_partitioned,
    stream_configs,
)


def received(n: int, **sender: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("webform", "contact-us", str(n)),
        channel="webform",
        source="contact-us",
        external_id=str(n),
        sender=Sender.model_validate(sender),
        text=f"message {n}",
    )


def key_of(subject: str) -> str:
    return subject.split(".")[2]


def test_one_senders_interactions_share_a_key_and_others_do_not() -> None:
    first = received(1, email="ana@example.com", phone="+4930123456")
    second = received(2, email="ana@example.com")
    other = received(3, email="ben@example.com")
    assert first.partition_key() == second.partition_key() == "ana@example.com"
    assert key_of(first.publish_subject()) == key_of(second.publish_subject())
    assert key_of(other.publish_subject()) != key_of(first.publish_subject())


def test_identities_count_in_the_order_customers_are_matched_by() -> None:
    assert received(1, phone="+4930123456", handle="telegram:7").partition_key() == "+4930123456"
    assert received(1, handle="telegram:7").partition_key() == "telegram:7"


def test_an_anonymous_interaction_is_a_key_of_its_own() -> None:
    a, b = received(1), received(2)
    assert a.partition_key() == str(a.interaction_id)
    assert key_of(a.publish_subject()) != key_of(b.publish_subject())


def test_updates_follow_their_interaction_id_and_reply_statuses_their_contact() -> None:
    call = InboundEvent.id_for("voice", "main", "CA1")
    statuses = [
        InteractionUpdated(
            interaction_id=call,
            channel="voice",
            source="main",
            external_id=f"CA1:{status}",
            kind="status",
            status=status,
        )
        for status in ("ringing", "completed")
    ]
    assert {s.publish_subject() for s in statuses} == {
        f"sb.inbound.{key_token(str(call))}.voice.updated"
    }
    contact = contact_id_for(call)
    replies = [
        ReplyStatusChanged(contact_id=contact, reply_id=uuid.uuid4(), channel="sms", status=s)
        for s in ("sent", "delivered")
    ]
    assert {r.publish_subject() for r in replies} == {
        f"sb.inbound.{key_token(str(contact))}.replies"
    }


def test_published_subjects_match_the_documented_ones() -> None:
    message = received(1, email="ana@example.com")
    assert _matches(InteractionReceived.subject, message.publish_subject())
    # What JetStream stores (the partition in place of the key) matches them too.
    assert _matches(InteractionReceived.subject, "sb.inbound.3.webform")
    assert _matches(InteractionUpdated.subject, "sb.inbound.0.voice.updated")
    assert _matches(ReplyStatusChanged.subject, "sb.inbound.1.replies")


def test_the_key_token_is_a_stable_single_subject_token() -> None:
    token = key_token("ana@example.com")
    assert token == key_token("ana@example.com") and len(token) == 16
    assert token.isalnum() and "ana" not in token  # no address in a subject


def test_inbound_maps_the_key_token_to_a_partition() -> None:
    [inbound] = [c for c in stream_configs(3600, inbound_partitions=6) if c.name == "INBOUND"]
    assert inbound.subjects == ["sb.inbound.*.>"]  # a message without a key is refused
    assert inbound.subject_transform == inbound_partitioning(6)
    assert inbound.subject_transform.src == "sb.inbound.*.>"
    assert inbound.subject_transform.dest == "sb.inbound.{{partition(6,1)}}.>"


def test_one_consumer_per_partition_and_service() -> None:
    assert inbound_consumer_names("routing", 3) == ["routing-p0", "routing-p1", "routing-p2"]
    assert inbound_partition_subject(2) == "sb.inbound.2.>"


def test_old_and_partitioned_subjects_are_told_apart() -> None:
    old = ["sb.inbound.webform", "sb.inbound.voice.updated", "sb.inbound.replies"]
    stored = ["sb.inbound.0.webform", "sb.inbound.12.voice.updated", "sb.inbound.3.replies"]
    assert not any(is_partitioned(s) for s in old)
    assert all(is_partitioned(s) for s in stored)
    # What an old consumer keeps never reaches a partition's consumer, nor the reverse.
    for subject in old:
        assert any(_matches(f, subject) for f in LEGACY_INBOUND_SUBJECTS)
    for subject in stored:
        assert not any(_matches(f, subject) for f in LEGACY_INBOUND_SUBJECTS)
