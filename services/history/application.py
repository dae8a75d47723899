"""The history application: what reaches us, recorded onto customers, and what staff do
with them."""

from __future__ import annotations

from services.history.core import CustomerNotFound, MergeConflict
from services.history.curation import CurationCommands
from services.history.customer import CustomerErasedError
from services.history.recording import RecordingCommands


class HistoryApplication(RecordingCommands, CurationCommands):
    name = "history"  # eventsourcing names tables after it (else after the class)


__all__ = ["CustomerErasedError", "CustomerNotFound", "HistoryApplication", "MergeConflict"]
