"""Calendars from the [sla.calendars] config: public holidays from the `holidays` package,
computed per year on first use and frozen (the package's objects mutate on lookup)."""

from __future__ import annotations

from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from schemas.sla_config import ALWAYS, CalendarConfig, HolidaySource, SlaConfig
from services.sla.business_time import Calendar


def _public_holidays(source: HolidaySource, year: int) -> frozenset[date]:
    import holidays

    found = holidays.country_holidays(
        source.country,
        subdiv=source.subdiv,
        categories=tuple(source.categories) or None,
        observed=source.observed,
        years=year,
    )
    # Observed substitutes may fall in a neighbouring year (US 2027-12-31 is 2028's New
    # Year's Day observed): keep only this year's dates, the other year brings its own.
    return frozenset(d for d in found if d.year == year)


def build_calendar(config: CalendarConfig) -> Calendar:
    calendar = Calendar(
        zone=ZoneInfo(config.time_zone),
        weekly=config.weekly(),
        closed=frozenset(config.closed),
        opened=frozenset(config.open),
    )
    if config.holidays is not None:
        calendar.holidays_for = partial(_public_holidays, config.holidays)
    return calendar


def build_calendars(config: SlaConfig) -> dict[str, Calendar]:
    built = {name: build_calendar(c) for name, c in config.calendars.items()}
    built[ALWAYS] = Calendar.always_open()
    return built
