"""A local HTTP server speaking the part of Twilio's REST API we use (Messages; Calls,
Conferences, Participants and Recordings in tests/support/fake_twilio_voice.py).

Not a mock of our code: the real twilio client talks HTTP to it, as it would to Twilio.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.support.fake_twilio_voice import FakeTwilioVoice
from tests.support.local_server import LocalServer
from tests.support.twilio_signing import AUTH_TOKEN


class FakeTwilio(LocalServer):
    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.voice = FakeTwilioVoice(self.app, account_sid, auth_token)
        self.messages: list[dict[str, str]] = []
        self.refuse: set[str] = set()  # numbers answered with Twilio's 21211
        self.delay = 0.0  # seconds before answering: a slow Twilio
        self.failures = 0  # this many next requests get a 500
        self.requests = 0
        self._ids = itertools.count(1)
        self.app.post("/2010-04-01/Accounts/{sid}/Messages.json")(self._create_message)

    async def _create_message(self, sid: str, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.requests += 1
        await asyncio.sleep(self.delay)
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"code": 20500, "message": "Internal error", "status": 500}, 500)
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
