"""A report's query parameters, checked: a bad one is a 400 naming it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.reports.metrics import BUCKETS, DIMENSIONS, MAX_BUCKETS
from switchboard.errors import BadInput

FILTERS = DIMENSIONS
MAX_PAGE = 1000


@dataclass(frozen=True)
class ReportParams:
    start: datetime
    end: datetime
    tz: ZoneInfo
    bucket: str
    group_by: tuple[str, ...]
    filters: dict[str, str | None]
    limit: int
    after: tuple[datetime, str] | None


def _time(query: Mapping[str, str], name: str, tz: ZoneInfo) -> datetime:
    text = query.get(name)
    if not text:
        raise BadInput.field(name, "required (ISO 8601 date or date-time)")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput.field(name, f"not an ISO 8601 date or date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def parse(query: Mapping[str, str], default_tz: str) -> ReportParams:
    unknown = sorted(
        set(query) - {"start", "end", "tz", "bucket", "group_by", "limit", "after", *FILTERS}
    )
    if unknown:
        raise BadInput.field(unknown[0], "unknown parameter")
    try:
        tz = ZoneInfo(query.get("tz") or default_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput.field("tz", f"unknown time zone {query.get('tz')!r}") from None
    start, end = _time(query, "start", tz), _time(query, "end", tz)
    if end <= start:
        raise BadInput.field("end", "must be after start")
    bucket = query.get("bucket") or "day"
    if bucket not in BUCKETS:
        raise BadInput.field("bucket", f"one of {', '.join(BUCKETS)}")
    if BUCKETS[bucket] and (end - start) / BUCKETS[bucket] > MAX_BUCKETS:
        raise BadInput.field(
            "bucket", f"too fine for the range: more than {MAX_BUCKETS} buckets; pick a coarser one"
        )
    group_by = tuple(d for d in (query.get("group_by") or "").split(",") if d)
    if len(group_by) > 2:
        raise BadInput.field("group_by", "at most two dimensions")
    for d in group_by:
        if d not in DIMENSIONS:
            raise BadInput.field(
                "group_by", f"unknown dimension {d!r}: one of {', '.join(DIMENSIONS)}"
            )
    try:
        limit = int(query.get("limit") or 100)
    except ValueError:
        raise BadInput.field("limit", "a whole number") from None
    if not 1 <= limit <= MAX_PAGE:
        raise BadInput.field("limit", f"between 1 and {MAX_PAGE}")
    return ReportParams(
        start=start,
        end=end,
        tz=tz,
        bucket=bucket,
        group_by=group_by,
        # An empty value asks for contacts without one (e.g. `campaign=`).
        filters={k: (query[k] or None) for k in FILTERS if k in query},
        limit=limit,
        after=_after(query.get("after")),
    )


def _after(text: str | None) -> tuple[datetime, str] | None:
    """The drill-down's page key: `<opened_at>|<contact_id>` of the last row seen."""
    if not text:
        return None
    at, _, contact = text.partition("|")
    try:
        return datetime.fromisoformat(at), contact
    except ValueError:
        raise BadInput.field("after", "the `next` value of the previous page") from None
