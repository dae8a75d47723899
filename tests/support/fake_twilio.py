"""A local HTTP server speaking the part of Twilio's REST API we use (Messages).

Not a mock of our code: the real twilio client talks HTTP to it, as it would to Twilio.
"""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.support.local_server import LocalServer


class FakeTwilio(LocalServer):
    def __init__(self, account_sid: str = "AC" + "0" * 32) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.messages: list[dict[str, str]] = []
        self.refuse: set[str] = set()  # numbers answered with Twilio's 21211
        self.unavailable = 0  # the next this many requests get a 503, as in an outage
        self.requests = 0
        self._ids = itertools.count(1)
        self.app.post("/2010-04-01/Accounts/{sid}/Messages.json")(self._create_message)

    async def _create_message(self, sid: str, request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.requests += 1
        if self.unavailable > 0:
            self.unavailable -= 1
            return JSONResponse(
                {"code": 20503, "message": "Service unavailable", "status": 503}, status_code=503
            )
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
