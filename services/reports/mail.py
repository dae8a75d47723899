"""A scheduled report as an e-mail: the summary table in the body, the rows as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

SUMMARY = (
    ("contacts", "Contacts"),
    ("answered", "Answered"),
    ("abandonment_rate", "Abandoned"),
    ("service_level", "Service level"),
    ("average_speed_of_answer_seconds", "ASA s"),
    ("average_handle_time_seconds", "AHT s"),
    ("resolved", "Resolved"),
    ("conversion_rate", "Conversion"),
)


def _cell(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name.endswith("_rate") or name == "service_level":
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def summary_lines(rows: list[dict[str, Any]], group_by: str) -> list[list[str]]:
    head = [group_by or "all", *(label for _, label in SUMMARY)]
    body = [
        [str(r.get(group_by) or "(none)") if group_by else "all"]
        + [_cell(name, r[name]) for name, _ in SUMMARY]
        for r in rows
    ]
    return [head, *body]


def text_table(lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def report_message(
    sender: str,
    to: str,
    cadence: str,
    start: datetime,
    end: datetime,
    lines: list[list[str]],
    attachment: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    period = f"{start:%Y-%m-%d}" if cadence == "daily" else f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    message["Subject"] = f"Switchboard {cadence} report {period}"
    message.set_content(
        f"Your {cadence} report for {start.isoformat()} to {end.isoformat()}:\n\n"
        f"{text_table(lines)}\n\nEvery contact of the period is in the attached CSV.\n"
    )
    message.add_attachment(
        attachment.encode(),
        maintype="text",
        subtype="csv",
        filename=f"contacts-{start:%Y-%m-%d}.csv",
    )
    return message
