"""The baseline of `bench.burst`: a bare FastAPI handler doing ingest's JetStream publish.

    python -m bench.bare_publish NATS_URL PORT

No adapter, no validation beyond reading the JSON: it publishes the body to INBOUND with a
Nats-Msg-Id and answers 202 after the ack, under the same uvicorn settings as
`switchboard serve` (switchboard/http_server.py), so the ratio is what our code adds.
"""

from __future__ import annotations

import json
import sys

import nats
from fastapi import FastAPI, Request, Response

from switchboard.http_server import run_event_loop, server_config
from switchboard.jetstream import INBOUND


async def main(nats_url: str, port: int) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    app = FastAPI()

    @app.post("/channels/webform/{form}")
    async def receive(form: str, request: Request) -> Response:
        body = await request.body()
        submission = json.loads(body)["submission_id"]
        await js.publish(
            f"sb.inbound.{submission}.bare",
            body,
            headers={"Nats-Msg-Id": f"bare:{form}:{submission}"},
            stream=INBOUND,
        )
        return Response(b'{"status":"accepted"}', 202, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b"ok")

    import uvicorn

    await uvicorn.Server(server_config(app, "127.0.0.1", port)).serve()


if __name__ == "__main__":
    run_event_loop(main(sys.argv[1], int(sys.argv[2])))
