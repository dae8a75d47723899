"""Which adapters run: the built-in ones, and any an integrator's package registers under
the `switchboard.adapters` entry-point group (a callable taking the SwitchboardConfig and
returning an adapter, a list of adapters, or None when it is not configured)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

from schemas.config import SwitchboardConfig
from services.ingest.adapter import ChannelAdapter

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "switchboard.adapters"

AdapterFactory = Callable[[SwitchboardConfig], Any]


def _as_list(made: Any) -> list[ChannelAdapter]:
    if made is None:
        return []
    items = made if isinstance(made, Iterable) else [made]
    adapters = []
    for item in items:
        if not isinstance(item, ChannelAdapter):
            raise TypeError(f"{item!r} is not a ChannelAdapter (name, path, verify, parse, reply)")
        adapters.append(item)
    return adapters


def load_adapters(config: SwitchboardConfig) -> tuple[list[ChannelAdapter], dict[str, str]]:
    """The adapters, and the entry points that failed to load with why.

    One broken plugin must not silence every channel: it is left out, logged, and shown on
    /healthz (which then reports degraded) while the other channels keep working."""
    adapters: list[ChannelAdapter] = []
    failed: dict[str, str] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            factory: AdapterFactory = ep.load()
            made = _as_list(factory(config))
        except Exception as exc:
            log.exception("adapter entry point %s failed to load", ep.name)
            failed[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        log.info("adapter entry point %s: %s", ep.name, [a.name for a in made])
        adapters.extend(made)
    names = [a.name for a in adapters]
    paths = [a.path for a in adapters]
    for what, values in (("name", names), ("path", paths)):
        dupes = {v for v in values if values.count(v) > 1}
        if dupes:
            raise ValueError(f"two adapters share the {what} {sorted(dupes)}")
    return adapters, failed
