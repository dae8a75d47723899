"""The configuration file is validated; the event contracts are exported whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from events import ALL_EVENTS, ContactQueued
from schemas.config import Person, SwitchboardConfig
from switchboard.contracts_doc import asyncapi_document, json_schemas

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_config_loads() -> None:
    config = SwitchboardConfig.load(ROOT / "switchboard.toml")
    assert {p.id for p in config.people} >= {"alice", "sam"}
    assert config.queue_supervisor() == "sam"


@pytest.mark.parametrize(
    ("people", "problem"),
    [
        ([Person(id="a", name="A"), Person(id="a", name="B")], "duplicate id"),
        ([Person(id="a", name="A", supervisor="ghost")], "unknown person 'ghost'"),
        (
            [Person(id="a", name="A", supervisor="b"), Person(id="b", name="B", supervisor="a")],
            "cycle",
        ),
    ],
)
def test_broken_hierarchies_are_refused(people: list[Person], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SwitchboardConfig(people=people)
    assert problem in str(caught.value)


def test_secrets_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_SECRET", "from-the-environment")
    config = SwitchboardConfig.model_validate(
        {"channels": {"api": [{"id": "shop", "secret": "env:SHOP_SECRET"}]}}
    )
    assert config.channels.api[0].secret == "from-the-environment"
    assert "from-the-environment" not in repr(config)
    monkeypatch.delenv("SHOP_SECRET")
    with pytest.raises(ValidationError, match="SHOP_SECRET is not set"):
        SwitchboardConfig.model_validate(
            {"channels": {"api": [{"id": "shop", "secret": "env:SHOP_SECRET"}]}}
        )


def test_every_event_has_its_own_subject_and_a_version() -> None:
    subjects = [e.subject for e in ALL_EVENTS]
    assert len(subjects) == len(set(subjects))
    assert all(isinstance(e.version, int) and e.version >= 1 for e in ALL_EVENTS)


def test_events_are_immutable() -> None:
    import uuid

    event = ContactQueued(
        contact_id=uuid.uuid4(), interaction_id=uuid.uuid4(), channel="sms", queue="q", priority=0
    )
    with pytest.raises(ValidationError):
        event.priority = 5
    with pytest.raises(ValidationError):
        ContactQueued(
            contact_id=uuid.uuid4(),
            interaction_id=uuid.uuid4(),
            channel="SMS!",
            queue="q",
            priority=0,
        )


def test_exports_cover_every_event() -> None:
    schemas = json_schemas()
    assert set(schemas) == {e.type_name() for e in ALL_EVENTS}
    document = asyncapi_document()
    assert document["asyncapi"].startswith("3.")
    assert set(document["channels"]) == {e.type_name() for e in ALL_EVENTS}
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {e.subject for e in ALL_EVENTS}


def test_links_and_callbacks_have_their_own_base() -> None:
    from switchboard.settings import Settings

    local = Settings(http_host="127.0.0.1", http_port=8123)
    assert local.link_base() == local.callback_base() == "http://127.0.0.1:8123"
    public = Settings(public_url="https://in.example", http_port=8123)
    assert public.link_base() == public.callback_base() == "https://in.example"
    split = Settings(public_url="https://in.example", links_url="https://desk.example")
    assert (split.link_base(), split.callback_base()) == (
        "https://desk.example",
        "https://in.example",
    )
