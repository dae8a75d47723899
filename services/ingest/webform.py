"""The web-form adapter: a form post becomes an InteractionReceived."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import ValidationError

from events import InteractionReceived, Sender
from schemas.identity import InvalidIdentity, normalize_email, normalize_phone
from schemas.webform import WebFormSubmission
from switchboard.errors import BadInput

CHANNEL: Literal["webform"] = "webform"


def parse_submission(fields: dict[str, Any], default_region: str) -> WebFormSubmission:
    try:
        submission = WebFormSubmission.model_validate(fields)
    except ValidationError as exc:
        raise BadInput.from_validation(exc) from None
    try:
        phone = normalize_phone(submission.phone, default_region) if submission.phone else None
    except InvalidIdentity as exc:
        raise BadInput.field("phone", str(exc)) from None
    email = normalize_email(submission.email) if submission.email else None
    return submission.model_copy(update={"phone": phone, "email": email})


def external_id(form_id: str, submission: WebFormSubmission) -> str:
    """The form's own id when it sends one; otherwise the content, so that a browser or
    proxy retrying the same post is recognised as the same submission."""
    if submission.submission_id:
        return submission.submission_id
    canonical = json.dumps(
        submission.model_dump(exclude={"submission_id"}), sort_keys=True, default=str
    )
    return "sha256-" + hashlib.sha256(f"{form_id}\n{canonical}".encode()).hexdigest()[:40]


def to_interaction(form_id: str, submission: WebFormSubmission) -> InteractionReceived:
    ext = external_id(form_id, submission)
    return InteractionReceived(
        interaction_id=InteractionReceived.id_for(CHANNEL, form_id, ext),
        channel=CHANNEL,
        source=form_id,
        external_id=ext,
        sender=Sender(name=submission.name, email=submission.email, phone=submission.phone),
        subject_line=submission.subject,
        text=submission.message,
    )
