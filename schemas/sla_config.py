"""SLA policies and their business-hours calendars ([sla] in switchboard.toml).

    [sla.calendars.office]
    time_zone = "Europe/Berlin"
    hours = { mon = ["09:00-12:00", "13:00-17:00"], fri = ["09:00-15:00"] }
    holidays = { country = "DE", subdiv = "BY", categories = ["public", "catholic"] }
    closed = ["2026-12-24"]

    [[sla.policies]]
    name = "vip"
    match = 'tier == "vip"'
    calendar = "office"
    first_response_minutes = 30
    next_response_minutes = 60
    resolution_minutes = 480
    warn_at = [0.75, 0.9]
    breach = [{ action = "notify" }, { action = "escalate", after_minutes = 30, levels = 2 }]

Bad entries are refused at load with the field named (an unknown calendar, a target of 0,
windows that overlap).
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.languages import known_time_zone
from schemas.rules import CONTACT_FACTS, Rule

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")
ALWAYS = "always"  # the built-in calendar: every hour of every day, UTC

# The queue rule language (with the contact's tier and request type), plus its queue and
# priority.
SLA_FACTS = CONTACT_FACTS | {"queue", "priority"}


def sla_rule(source: str) -> str:
    Rule(source, SLA_FACTS)
    return source


SlaRule = Annotated[str, AfterValidator(sla_rule)]


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Rule:
    return Rule(source, SLA_FACTS)


def parse_window(text: str) -> tuple[int, int]:
    """ "09:00-17:00" -> (540, 1020) minutes; "22:00-06:00" ends the next day."""
    m = WINDOW.match(text)
    if m is None:
        raise ValueError(f"{text!r}: a window is HH:MM-HH:MM (e.g. 09:00-17:00)")
    start = int(m[1]) * 60 + int(m[2])
    end = int(m[3]) * 60 + int(m[4])
    if end > 1440:
        raise ValueError(f"{text!r}: 24:00 is the latest end")
    if end == start:
        raise ValueError(f"{text!r}: a window needs a length")
    return start, end


class HolidaySource(BaseModel):
    """Public holidays from the `holidays` package (country, optional subdivision)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str = Field(pattern=r"^[A-Z]{2}$")
    subdiv: str | None = None
    # e.g. Bavaria's 15 August needs "catholic"; unset: the package's default (public).
    categories: list[str] = Field(default_factory=list)
    # Substitute days (US: a Saturday holiday observed on Friday).
    observed: bool = True

    @model_validator(mode="after")
    def _known(self) -> HolidaySource:
        import holidays  # the package is large; only configs that use it load it

        try:
            holidays.country_holidays(
                self.country,
                subdiv=self.subdiv,
                categories=tuple(self.categories) or None,
                years=2026,
            )
        except NotImplementedError:
            raise ValueError(f"country {self.country!r}: not in the holidays package") from None
        except (ValueError, KeyError) as exc:
            raise ValueError(str(exc)) from None
        return self


class CalendarConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: Annotated[str, AfterValidator(known_time_zone)] = "UTC"
    # Per weekday (mon..sun) its windows; a window ending at or before its start ends the
    # next day (overnight). Days not named are closed.
    hours: dict[str, list[str]] = Field(default_factory=dict)
    holidays: HolidaySource | None = None
    # Explicit closed dates (company days off) and open ones that override a holiday.
    closed: list[date] = Field(default_factory=list)
    open: list[date] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours_sound(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekdays {unknown} (mon..sun)")
        # Each window on a week-long line of minutes; overnight windows wrap into the next
        # day, Sunday's into Monday.
        spans: list[tuple[int, int, str, str]] = []
        for day, windows in value.items():
            base = WEEKDAYS.index(day) * 1440
            for text in windows:
                start, end = parse_window(text)
                if end <= start:
                    end += 1440
                label = f"{day} {text}"
                spans.append((base + start, base + end, day, label))
                if base + end > 7 * 1440:
                    spans.append((base + start - 7 * 1440, base + end - 7 * 1440, day, label))
        spans.sort()
        reach, reach_label = -1, ""
        for start, end, day, label in spans:
            if start < reach and label != reach_label:
                raise ValueError(f"{day}: {label!r} overlaps {reach_label!r}")
            if end > reach:
                reach, reach_label = end, label
        return value

    def weekly(self) -> dict[int, tuple[tuple[int, int], ...]]:
        return {
            WEEKDAYS.index(day): tuple(sorted(parse_window(w) for w in windows))
            for day, windows in self.hours.items()
        }


BreachAction = Literal["notify", "raise_priority", "requeue", "escalate"]


class BreachStep(BaseModel):
    """One rung of a policy's breach ladder, taken `after_minutes` of business time after
    the breach (or after the rung before it, for escalate rungs past the first).

    - `notify`: the holder and their supervisor are told;
    - `raise_priority`: the contact's priority goes up by `by`;
    - `requeue`: the contact is taken from its holder back to its queue;
    - `escalate`: to the holder's supervisor, then theirs, `levels` rungs up (to the top if
      unset), one rung every `after_minutes`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: BreachAction
    after_minutes: float = Field(default=0, ge=0)
    by: int = Field(default=10, ge=1)
    levels: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _fits(self) -> BreachStep:
        if self.action != "escalate" and self.levels is not None:
            raise ValueError("`levels` belongs to an escalate step")
        if self.action == "escalate" and self.after_minutes <= 0:
            raise ValueError("an escalate step needs after_minutes > 0 (the time per rung)")
        return self


DEFAULT_BREACH = (BreachStep(action="notify"),)


class SlaPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    # Over channel, tier, request_type, queue, priority (as the contact was first queued);
    # unset: every contact. First match wins.
    match: SlaRule | None = None
    calendar: str = ALWAYS
    # Targets in business minutes; unset: not measured.
    first_response_minutes: float | None = Field(default=None, gt=0)
    next_response_minutes: float | None = Field(default=None, gt=0)
    resolution_minutes: float | None = Field(default=None, gt=0)
    # Whether the next-response clock stops while pending on the customer (resolution's
    # always does, first response's never does).
    pause_next_response: bool = True
    # On written channels, tell the customer a short reference and when to expect the first
    # response (due time on the calendar) as the clock starts.
    acknowledge: bool = False
    # Warnings to the holder at these shares of a target.
    warn_at: list[Annotated[float, Field(gt=0, lt=1)]] = Field(default_factory=lambda: [0.75])
    breach: tuple[BreachStep, ...] = DEFAULT_BREACH

    @model_validator(mode="after")
    def _has_target(self) -> SlaPolicy:
        targets = (self.first_response_minutes, self.next_response_minutes)
        if all(t is None for t in (*targets, self.resolution_minutes)):
            raise ValueError(f"sla.policies.{self.name}: needs at least one *_minutes target")
        return self


class SlaConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    calendars: dict[str, CalendarConfig] = Field(default_factory=dict)
    policies: list[SlaPolicy] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> SlaConfig:
        names = [p.name for p in self.policies]
        if len(names) != len(set(names)):
            raise ValueError("sla.policies: duplicate name")
        if ALWAYS in self.calendars:
            raise ValueError(f"sla.calendars.{ALWAYS}: the name is built in (24x7, UTC)")
        for p in self.policies:
            if p.calendar != ALWAYS and p.calendar not in self.calendars:
                known = ", ".join([ALWAYS, *sorted(self.calendars)])
                raise ValueError(
                    f"sla.policies.{p.name}.calendar: unknown calendar {p.calendar!r} ({known})"
                )
        return self

    def policy(self, name: str) -> SlaPolicy | None:
        return next((p for p in self.policies if p.name == name), None)

    def matching(self, facts: dict[str, object]) -> SlaPolicy | None:
        """The first policy whose rule the contact's facts satisfy."""
        for p in self.policies:
            if p.match is None or _compiled(p.match)(facts):
                return p
        return None
