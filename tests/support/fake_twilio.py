"""A local HTTP server speaking the part of Twilio's REST API we use (Messages).

Not a mock of our code: the real twilio client talks HTTP to it, as it would to Twilio.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.ports import free_port


class FakeTwilio:
    def __init__(self, account_sid: str = "AC" + "0" * 32) -> None:
        self.account_sid = account_sid
        self.port = free_port()
        self.messages: list[dict[str, str]] = []
        self.refuse: set[str] = set()  # numbers answered with Twilio's 21211
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.app = FastAPI()
        self.app.post("/2010-04-01/Accounts/{sid}/Messages.json")(self._create_message)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _create_message(self, sid: str, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not request.headers.get("authorization", "").startswith("Basic "):
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        if form.get("To") in self.refuse:
            return JSONResponse(
                {
                    "code": 21211,
                    "message": f"The 'To' number {form['To']} is not a valid phone number.",
                    "more_info": "https://www.twilio.com/docs/errors/21211",
                    "status": 400,
                },
                status_code=400,
            )
        self.messages.append(form)
        body: dict[str, Any] = {
            "sid": f"SM{next(self._ids):032d}",
            "account_sid": sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{sid}/Messages.json",
        }
        return JSONResponse(body, status_code=201)

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server and self._task:
            self._server.should_exit = True
            await self._task
