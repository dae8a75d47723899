"""Composition of the documents module. It runs inside the history service: the card its
templates read is history's, and so is the timeline its steps land on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter

from schemas.api import CustomerView
from schemas.config import SwitchboardConfig
from services.documents.answers_api import answers_router
from services.documents.application import DocumentsApplication
from services.history.application import CustomerErasedError, HistoryApplication
from switchboard.auth import Authenticator
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.store import event_store_env


@dataclass
class DocumentsParts:
    app: DocumentsApplication
    run: SerialExecutor
    routers: list[APIRouter]

    async def health(self) -> str:
        await self.run(self.app.ping)
        return "ok"

    def close(self) -> None:
        self.run.shutdown()
        self.app.close()


def build_documents(
    settings: Settings,
    config: SwitchboardConfig,
    auth: Authenticator,
    history: HistoryApplication,
    history_run: SerialExecutor,
) -> DocumentsParts:
    app = DocumentsApplication(env=event_store_env(settings, "documents"))
    run = SerialExecutor("documents")

    async def card_of_contact(contact_id: uuid.UUID) -> CustomerView | None:
        try:
            return await history_run(history.card_of_contact, contact_id)
        except CustomerErasedError:
            return None

    routers = [answers_router(app, run, auth, config.people, card_of_contact)]
    return DocumentsParts(app, run, routers)
