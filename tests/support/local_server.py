"""A FastAPI app served on a free loopback port inside the test's event loop: the base of
the local servers that speak third-party clouds' protocols."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI

from tests.support.ports import free_port


class LocalServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.app = FastAPI()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server and self._task:
            self._server.should_exit = True
            await self._task
