"""How Switchboard runs its event loop and its HTTP server.

uvloop and httptools (uvicorn's fast paths) cut the per-request cost of ingest roughly in
half (bench.burst); both are dependencies, but a platform without wheels for them still
runs, on asyncio's loop and h11, so they are taken when importable rather than required.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvicorn

T = TypeVar("T")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on uvloop's loop where uvloop is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    result: T = uvloop.run(main)
    return result


KEEP_ALIVE_SECONDS = 75


def server_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for every Switchboard HTTP server (and the bench's baseline)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        http="auto",  # httptools when installed
        # Longer than a client's or a proxy's idle keep-alive (httpx's is 5 s, uvicorn's own
        # default; load balancers' 60 s): otherwise the server may close a connection just
        # as the client sends on it, and that request fails with no response.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        **options,
    )


# Young objects (net allocations) between collections: CPython's 700 ran one about every
# seven requests, each walking what 32 requests in flight held and promoting it to be
# walked again; 20,000 (a few MB of request garbage at most) cut ingest's CPU per form by
# ~10 % (bench.burst). Refcounting frees nearly everything anyway: this only times cycles.
GC_YOUNG_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Moves what startup built (modules, the app, config, schemas: ~200,000 objects in
    ingest) out of the garbage collector's sight, for good: it lives as long as the process,
    and each full collection walked all of it. Then collects less often (above)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
