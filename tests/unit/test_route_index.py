"""The channels' route index answers exactly as the ordinary routes would, only sooner."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response

from switchboard.route_index import RouteIndex, plain_app


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


class Refused(Exception):
    pass


def webhooks() -> APIRouter:
    """Endpoints as ingest's are: the request in, a Response out; one that needs a
    dependency, and one refusing what it got."""
    channels = APIRouter(prefix="/channels")

    async def framework(request: Request) -> Response:
        # FastAPI's handler puts its exit stacks in the scope; Starlette's does not.
        return Response(str("fastapi_inner_astack" in request.scope))

    async def refused(request: Request) -> Response:
        raise Refused(request.path_params["form"])

    def caller(request: Request) -> str:
        return request.headers.get("x-caller", "nobody")

    async def guarded(request: Request, who: str = Depends(caller)) -> Response:
        return Response(f"{who}: {await request.body()!r}")

    async def with_headers(request: Request, response: Response) -> Response:
        response.headers["x-merged"] = "yes"  # FastAPI merges these into what is returned
        return Response("answered")

    channels.add_api_route("/framework", framework, methods=["POST"])
    channels.add_api_route("/headers", with_headers, methods=["POST"])
    channels.add_api_route("/refused/{form}", refused, methods=["POST"])
    channels.add_api_route("/guarded", guarded, methods=["POST"])
    return channels


def webhook_app(indexed: bool) -> FastAPI:
    application = FastAPI()

    @application.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> Response:
        return Response(f"refused {exc}", status_code=422)

    application.include_router(webhooks())
    if indexed:
        index = RouteIndex.of("/channels/", [webhooks()])
        assert index is not None
        application.router.routes.insert(0, index)
    return application


async def ask(indexed: bool, path: str) -> tuple[int, str]:
    transport = httpx.ASGITransport(app=webhook_app(indexed))
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as client:
        response = await client.post(path, content=b"hi", headers={"x-caller": "telegram"})
        return response.status_code, response.text


async def test_an_endpoint_of_the_request_alone_is_called_without_fastapis_handler() -> None:
    assert await ask(False, "/channels/framework") == (200, "True")
    assert await ask(True, "/channels/framework") == (200, "False")


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/channels/refused/contact-us", (422, "refused contact-us")),
        ("/channels/guarded", (200, "telegram: b'hi'")),
    ],
)
async def test_refusals_and_dependencies_answer_as_through_fastapi(
    path: str, answer: tuple[int, str]
) -> None:
    assert await ask(False, path) == answer
    assert await ask(True, path) == answer


def test_fastapi_keeps_what_it_has_work_for() -> None:
    index = RouteIndex.of("/channels/", [*routers(), webhooks()])
    assert index is not None
    by_path = {
        route.path: plain_app(route) is not None
        for segment in ("webform", "framework", "refused", "guarded", "headers")
        for route in index.candidates(f"/channels/{segment}/x")
    }
    assert by_path == {
        "/channels/webform/{form_id}": False,  # answers a dict: FastAPI serializes it
        "/channels/{anything}/special": False,
        "/channels/framework": True,
        "/channels/refused/{form}": True,
        "/channels/guarded": False,  # a dependency to solve
        "/channels/headers": False,  # a Response to merge headers from
    }
