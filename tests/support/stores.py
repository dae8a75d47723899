"""Reading a service's event store directly, to count what was recorded."""

from __future__ import annotations

import uuid
from typing import Any

from switchboard.settings import Settings
from switchboard.store import TrackedApplication, event_store_env


def tracked_store(settings: Settings, app_name: str) -> TrackedApplication:
    """A bare TrackedApplication on `app_name`'s store, as that service opens it."""
    app_class: Any = type(app_name, (TrackedApplication,), {"name": app_name})
    store: TrackedApplication = app_class(event_store_env(settings, app_name))
    return store


def stored_events(settings: Settings, app_name: str) -> int:
    """The highest notification id of a service's store (= events recorded, no gaps here)."""
    reader = tracked_store(settings, app_name)
    try:
        return reader.recorder.max_notification_id() or 0
    finally:
        reader.close()


def timeline_position(settings: Settings) -> int:
    from services.history.projector import open_timeline_view

    return open_timeline_view(event_store_env(settings, "timeline")).position()


def created_in_order(settings: Settings, app_name: str) -> list[uuid.UUID]:
    """The aggregates a service's store created, in the order it recorded their creation."""
    reader = tracked_store(settings, app_name)
    try:
        created: list[uuid.UUID] = []
        start = 0
        while batch := reader.recorder.select_notifications(start, 500, inclusive_of_start=False):
            created += [uuid.UUID(str(n.originator_id)) for n in batch if n.originator_version == 1]
            start = batch[-1].id
        return created
    finally:
        reader.close()


def opened_contacts(settings: Settings) -> list[uuid.UUID]:
    """The contacts routing opened, in order (every Contact's first event)."""
    reader = tracked_store(settings, "routing")
    try:
        opened: list[uuid.UUID] = []
        start = 0
        while batch := reader.recorder.select_notifications(start, 500, inclusive_of_start=False):
            opened += [
                uuid.UUID(str(n.originator_id))
                for n in batch
                if n.topic.endswith(":Contact.Opened")
            ]
            start = batch[-1].id
        return opened
    finally:
        reader.close()


def stored_story(settings: Settings, app_name: str, originator_id: uuid.UUID) -> list[str]:
    """An aggregate's events in a service's store, by name, to read in a failure: what the
    service itself decided, where another store only shows what reached it. Names only:
    the state is encrypted with keys only the service holds."""
    reader = tracked_store(settings, app_name)
    try:
        return [
            stored.topic.rpartition(":")[2]
            for stored in reader.recorder.select_events(originator_id)
        ]
    finally:
        reader.close()
