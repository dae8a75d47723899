"""Finding a request's route by its path's first segments instead of trying every route.

Starlette and FastAPI match a request against each route in turn; with FastAPI's included
routers each route costs a few microseconds, twice (the router is asked whether it matches,
then which route does). Ingest's channel webhook is the hottest path there is and sat
behind ~40 routes: ~100 µs of a ~300 µs request (bench.burst, py-spy). The index sits first
in the application's routes and answers only for the paths it covers: it tries just the
routes under the request's `/channels/<segment>`, in their original order, and takes a full
match only. Anything else (no route, a wrong method: 404, 405) falls through to the ordinary
routes, which still hold every route (and document them in OpenAPI), so what a request gets
is the same either way; only the search is shorter. A route whose endpoint takes only the
request and answers with a Response is then called as Starlette calls it (`plain_app`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence

from fastapi import APIRouter
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, request_response
from starlette.types import ASGIApp, Receive, Scope, Send


class RouteIndex(BaseRoute):
    def __init__(self, prefix: str, routes: Iterable[APIRoute]) -> None:
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise ValueError("prefix must start and end with '/'")
        self.prefix = prefix
        routes = list(routes)
        segments = [route.path[len(prefix) :].split("/", 1)[0] for route in routes]
        # A parameter right after the prefix could match any path: such a route stays in
        # every bucket at its place, so the first full match is the one the routes would find.
        self._plain = {id(r): plain for r in routes if (plain := plain_app(r)) is not None}
        self._fallback = [r for r, s in zip(routes, segments, strict=True) if "{" in s]
        self._by_segment = {
            segment: [r for r, s in zip(routes, segments, strict=True) if s == segment or "{" in s]
            for segment in segments
            if "{" not in segment
        }

    @classmethod
    def of(cls, prefix: str, routers: Sequence[APIRouter]) -> RouteIndex | None:
        """The APIRoutes under `prefix` in these routers, in the order they were included;
        None (no index: every request searches the ordinary way) when anything else may be
        under it (a mount, a websocket route, a nested router), which the index would pass
        over and so could answer ahead of."""
        found: list[APIRoute] = []
        for router in routers:
            for route in router.routes:
                path = getattr(route, "path", None)
                if not isinstance(route, APIRoute):
                    if path is None or str(path).startswith(prefix):
                        return None
                elif route.path.startswith(prefix):
                    found.append(route)
        return cls(prefix, found)

    def candidates(self, path: str) -> list[APIRoute]:
        if not path.startswith(self.prefix):
            return []
        segment = path[len(self.prefix) :].split("/", 1)[0]
        return self._by_segment.get(segment, self._fallback)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return match, child_scope  # child_scope["route"] is the route
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: APIRoute = scope["route"]
        plain = self._plain.get(id(route))
        if plain is None:
            await route.handle(scope, receive, send)
        else:
            await plain(scope, receive, send)


def plain_app(route: APIRoute) -> ASGIApp | None:
    """The endpoint as Starlette would call it, when FastAPI has nothing to add: it takes
    the request only (no parameters, dependencies or body to validate) and answers with a
    Response of its own (no response model). For such an endpoint FastAPI's work per request
    (dependency solving, exit stacks, telemetry checks) changes nothing and cost ~80 µs of a
    web form's ~370 (bench.burst --ingest-only: a bare handler as a FastAPI route against the
    same as a Starlette route). Exceptions still reach the application's handlers: Starlette
    wraps the endpoint as FastAPI does."""
    dependant = route.dependant
    # Anything else FastAPI would fill in (a path or query parameter, a body, a Response to
    # merge headers from, background tasks) is a parameter of the endpoint's own.
    takes = list(inspect.signature(route.endpoint).parameters)
    if (
        takes != [dependant.request_param_name]
        or route.dependencies
        or dependant.dependencies
        or route.response_model is not None
    ):
        return None
    answers = get_typed_return_annotation(route.endpoint)
    if not (isinstance(answers, type) and issubclass(answers, Response)):
        return None  # FastAPI would serialize whatever it returns
    return request_response(route.endpoint)
