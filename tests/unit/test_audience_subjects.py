"""The live feed asks EVENTS only for the subjects `audience.pushed` names: nothing it leaves
out may be something a desk or console is pushed."""

from __future__ import annotations

from events import EVENTS_BY_NAME, ContactOpened, CustomerIdentified, DocumentStep
from services.notifier.audience import BOARD_EVENTS, pushed, pushes


def test_no_event_left_out_would_have_pushed_anything() -> None:
    subjects = set(pushed(EVENTS_BY_NAME.values()))
    left_out = [c for c in EVENTS_BY_NAME.values() if c.subject not in subjects]
    assert ContactOpened in left_out and CustomerIdentified in left_out
    for cls in left_out:
        # No field is read unless the event has an audience: an empty instance will do.
        assert pushes(cls.model_construct()) == [], cls.__name__


def test_board_events_and_each_document_step_are_asked_for_by_their_class() -> None:
    subjects = set(pushed(EVENTS_BY_NAME.values()))
    assert {c.subject for c in BOARD_EVENTS} <= subjects
    documents = {c.subject for c in EVENTS_BY_NAME.values() if issubclass(c, DocumentStep)}
    assert documents and documents <= subjects
