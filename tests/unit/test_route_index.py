"""The channels' route index answers exactly as the ordinary routes would, only sooner."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request

from switchboard.route_index import RouteIndex


def routers() -> list[APIRouter]:
    channels = APIRouter(prefix="/channels")

    def answer(name: str):  # type: ignore[no-untyped-def]
        async def endpoint(request: Request) -> dict[str, object]:
            return {"route": name, "params": request.path_params}

        return endpoint

    channels.add_api_route("/telegram/{bot}", answer("telegram"), methods=["POST"])
    channels.add_api_route("/twilio/voice", answer("voice"), methods=["POST"])
    channels.add_api_route("/twilio/voice/status", answer("status"), methods=["POST"])
    channels.add_api_route("/{anything}/special", answer("special"), methods=["POST"])
    channels.add_api_route("/webform/{form_id}", answer("webform"), methods=["POST"])
    channels.add_api_route("/webform/{form_id}", answer("webform-get"), methods=["GET"])
    other = APIRouter()
    other.add_api_route("/api/x", answer("api"), methods=["GET"])
    return [channels, other]


def app(indexed: bool) -> FastAPI:
    application = FastAPI()
    for router in routers():
        application.include_router(router)
    if indexed:
        index = RouteIndex.of("/channels/", routers())
        assert index is not None
        application.router.routes.insert(0, index)
    return application


REQUESTS = [
    ("POST", "/channels/webform/contact-us"),
    ("GET", "/channels/webform/contact-us"),
    ("PUT", "/channels/webform/contact-us"),  # 405 from the ordinary routes
    ("POST", "/channels/telegram/shopbot"),
    ("POST", "/channels/twilio/voice"),
    ("POST", "/channels/twilio/voice/status"),
    ("POST", "/channels/webform/special"),  # two routes match: the first included wins
    ("POST", "/channels/telegram/special"),
    ("POST", "/channels/nowhere/special"),  # only the parameterised route
    ("POST", "/channels/nowhere"),  # 404
    ("POST", "/channels/"),
    ("GET", "/api/x"),
]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
async def test_the_same_answer_with_and_without_the_index(method: str, path: str) -> None:
    answers = []
    for indexed in (False, True):
        transport = httpx.ASGITransport(app=app(indexed))
        async with httpx.AsyncClient(transport=transport, base_url="http://sb") as client:
            response = await client.request(method, path)
            answers.append((response.status_code, response.text))
    assert answers[0] == answers[1]


def test_the_index_tries_only_the_routes_under_the_segment() -> None:
    index = RouteIndex.of("/channels/", routers())
    assert index is not None
    names = [r.path for r in index.candidates("/channels/twilio/voice")]
    assert names == [
        "/channels/twilio/voice",
        "/channels/twilio/voice/status",
        "/channels/{anything}/special",
    ]
    assert [r.path for r in index.candidates("/channels/unknown/x")] == [
        "/channels/{anything}/special"
    ]
    assert index.candidates("/api/x") == []


def test_no_index_where_something_else_lives_under_the_prefix() -> None:
    nested = APIRouter()
    nested.include_router(routers()[0])
    assert RouteIndex.of("/channels/", [nested]) is None
    mounted = APIRouter()
    mounted.mount("/channels/static", FastAPI())
    assert RouteIndex.of("/channels/", [mounted]) is None
    assert RouteIndex.of("/channels/", [routers()[1]]) is not None  # nothing under it
