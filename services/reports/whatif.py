"""`switchboard simulate --from-history START..END`: the window's recorded contacts from
the reports read model, replayed with the proposed config or staffing, beside what
happened."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.config import Person, SwitchboardConfig
from services.reports.query import RowFilter
from services.reports.replay import Figures, actual, arrivals_from, replay
from switchboard.errors import BadInput
from switchboard.settings import Settings


def window(text: str) -> tuple[datetime, datetime]:
    start_text, sep, end_text = text.partition("..")
    if not sep:
        raise BadInput.field("--from-history", "START..END, e.g. 2026-11-01..2026-11-08")
    try:
        start, end = (datetime.fromisoformat(t) for t in (start_text, end_text))
    except ValueError:
        raise BadInput.field("--from-history", "ISO dates or date-times") from None
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    if end <= start:
        raise BadInput.field("--from-history", "END must be after START")
    return start, end


def staffing(config: SwitchboardConfig, agents: int | None) -> list[Person]:
    """The proposed config's people, or `agents` interchangeable ones."""
    if agents is None:
        return list(config.people)
    return [Person(id=f"agent{i:03d}", name=f"agent{i:03d}") for i in range(agents)]


def compare(
    settings: Settings,
    recorded: SwitchboardConfig,
    proposed: SwitchboardConfig,
    span: str,
    agents: int | None,
) -> str:
    from services.reports.api import PAGE
    from services.reports.app import build_reports_core

    start, end = window(span)
    view = build_reports_core(settings).view
    try:
        rows, after = [], None
        f = RowFilter(start, end)
        while page := view.page(f, after, PAGE):
            rows += page
            assert page[-1].opened_at is not None
            after = (page[-1].opened_at, str(page[-1].contact_id))
    finally:
        view.close()
    sla = proposed.routing.sla_seconds
    happened = actual(rows, recorded.routing.sla_seconds)
    predicted = replay(
        arrivals_from(rows, start), staffing(proposed, agents), proposed.routing, sla
    )
    return table(happened, predicted, sla)


def table(happened: Figures, predicted: Figures, sla: float) -> str:
    def cell(value: float | int | None) -> str:
        return f"{'-':>14}" if value is None else f"{value:>14.3f}"

    lines = [f"{'':<28}{'actual':>14}{'predicted':>14}"]
    for label, name in (
        ("contacts", "contacts"),
        (f"service level ({sla:.0f} s)", "service_level"),
        ("average speed of answer (s)", "average_speed_of_answer"),
        ("abandonment", "abandonment"),
    ):
        lines.append(f"{label:<28}{cell(getattr(happened, name))}{cell(getattr(predicted, name))}")
    return "\n".join(lines)
