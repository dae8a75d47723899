"""How reports count: which dispositions are a conversion, and the default time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReportsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # A contact completed with one of these dispositions counts as converted (business).
    conversions: list[str] = Field(default_factory=lambda: ["sale"])
    # Buckets (days, weeks) start at midnight here unless a report asks for another zone.
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value
