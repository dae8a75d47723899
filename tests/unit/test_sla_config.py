"""Bad [sla] config is refused at load, naming the field at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.config import SwitchboardConfig

GOOD_CALENDAR = {"time_zone": "Europe/Berlin", "hours": {"mon": ["09:00-12:00", "13:00-17:00"]}}


def load(sla: dict[str, Any]) -> SwitchboardConfig:
    return SwitchboardConfig.model_validate({"sla": sla})


def refused(sla: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        load(sla)
    return str(info.value)


def test_a_sound_config_loads() -> None:
    config = load(
        {
            "calendars": {"office": GOOD_CALENDAR},
            "policies": [
                {
                    "name": "vip",
                    "match": 'tier == "vip"',
                    "calendar": "office",
                    "first_response_minutes": 30,
                    "breach": [
                        {"action": "notify"},
                        {"action": "escalate", "after_minutes": 10, "levels": 2},
                    ],
                },
                {"name": "all", "resolution_minutes": 600},
            ],
        }
    )
    assert config.sla.policy("vip") is not None
    assert config.sla.calendars["office"].weekly() == {0: ((540, 720), (780, 1020))}


def test_unknown_calendar_is_named() -> None:
    message = refused(
        {"policies": [{"name": "p", "calendar": "ofice", "first_response_minutes": 5}]}
    )
    assert "sla.policies.p.calendar: unknown calendar 'ofice'" in message


def test_target_zero_is_named() -> None:
    message = refused({"policies": [{"name": "p", "first_response_minutes": 0}]})
    assert "sla.policies.0.first_response_minutes" in message
    assert "greater than 0" in message


def test_a_policy_without_targets_is_refused() -> None:
    assert "needs at least one" in refused({"policies": [{"name": "p"}]})


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        (
            {"mon": ["09:00-12:00", "11:00-13:00"]},
            "mon: 'mon 11:00-13:00' overlaps 'mon 09:00-12:00'",
        ),
        ({"mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}, "tue: 'tue 05:00-09:00' overlaps"),
        ({"sun": ["20:00-04:00"], "mon": ["03:00-09:00"]}, "overlaps"),
        ({"mon": ["08:00-18:00", "09:00-10:00", "12:00-13:00"]}, "overlaps"),
    ],
)
def test_overlapping_hours_are_named(hours: dict[str, list[str]], field: str) -> None:
    message = refused({"calendars": {"office": {"hours": hours}}})
    assert "sla.calendars.office.hours" in message
    assert field in message


@pytest.mark.parametrize(
    ("calendar", "field"),
    [
        ({"hours": {"mon": ["9-17"]}}, "a window is HH:MM-HH:MM"),
        ({"hours": {"monday": ["09:00-17:00"]}}, "unknown weekdays"),
        ({"hours": {"mon": ["09:00-09:00"]}}, "needs a length"),
        ({"time_zone": "Mars/Olympus"}, "sla.calendars.office.time_zone"),
        ({"holidays": {"country": "XX"}}, "sla.calendars.office.holidays"),
    ],
)
def test_bad_calendars_are_named(calendar: dict[str, Any], field: str) -> None:
    assert field in refused({"calendars": {"office": calendar}})


def test_the_shipped_config_loads() -> None:
    SwitchboardConfig.load(Path(__file__).parents[2] / "switchboard.toml")
