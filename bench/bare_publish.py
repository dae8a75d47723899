"""The baseline of `bench.burst`: a bare FastAPI handler doing ingest's JetStream publish.

    python -m bench.bare_publish NATS_URL PORT

No adapter, no validation beyond reading the JSON, no pydantic: a plain dict of the fields
ingest's InteractionReceived carries, json.dumps'ed (the same size, ~430 bytes for wrk's
forms), published to INBOUND on a subject of the same shape with the same three headers
(type, version, Nats-Msg-Id), answered 202 after the ack, under the same uvicorn settings
as `switchboard serve` (switchboard/http_server.py): the ratio is what our code adds to
the same publish.

The same handler also answers on PLAIN_PATH as a Starlette route: without FastAPI's work per
request (dependency solving, exit stacks, telemetry checks), which ingest's channel routes
skip too (switchboard/route_index.py). Against it, the ratio is what ingest's own code
costs, the framework's floor aside.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime

import nats
from fastapi import FastAPI, Request, Response
from nats.js import JetStreamContext
from starlette.routing import Route

from events.interactions import key_token
from switchboard.http_server import run_event_loop, server_config, tune_garbage_collector
from switchboard.jetstream import INBOUND


def event(form: str, fields: dict[str, str]) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "interaction_id": str(uuid.uuid4()),
        "channel": "webform",
        "source": form,
        "external_id": fields["submission_id"],
        "sender": {
            "name": None,
            "email": fields["email"],
            "phone": None,
            "handle": None,
            "verified": {},
        },
        "subject_line": None,
        "text": fields["message"],
        "attributes": {},
        "attachments": [],
        "conversation_key": None,
    }


PLAIN_PATH = "/plain/webform/{form}"


async def answer(js: JetStreamContext, form: str, request: Request) -> Response:
    fields = json.loads(await request.body())
    published = event(form, fields)
    body = json.dumps(published, separators=(",", ":")).encode()
    await js.publish(
        f"sb.inbound.{key_token(fields['email'])}.webform",
        body,
        headers={
            "Sb-Event-Type": "InteractionReceived",
            "Sb-Event-Version": "2",
            "Nats-Msg-Id": f"bare:{form}:{fields['submission_id']}",
        },
        stream=INBOUND,
    )
    reply = {"interaction_id": published["interaction_id"], "duplicate": False}
    return Response(json.dumps(reply).encode(), 202, media_type="application/json")


async def main(nats_url: str, port: int) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    app = FastAPI()

    @app.post("/channels/webform/{form}")
    async def receive(form: str, request: Request) -> Response:
        return await answer(js, form, request)

    async def plain(request: Request) -> Response:
        return await answer(js, request.path_params["form"], request)

    app.router.routes.insert(0, Route(PLAIN_PATH, plain, methods=["POST"]))

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b"ok")

    import uvicorn

    tune_garbage_collector()  # as `switchboard serve` does
    await uvicorn.Server(server_config(app, "127.0.0.1", port)).serve()


if __name__ == "__main__":
    run_event_loop(main(sys.argv[1], int(sys.argv[2])))
