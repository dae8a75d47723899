"""The web-form adapter: a form post becomes an InteractionReceived."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError

from events import InboundEvent, InteractionReceived, Sender
from schemas.config import SwitchboardConfig
from schemas.identity import InvalidIdentity, normalize_phone
from schemas.webform import HONEYPOT_FIELD, WebFormSubmission
from services.ingest.adapter import Accepted, InboundRequest, Reply, interaction_reply
from services.ingest.endpoints import language_of_form, region_of_form
from switchboard.errors import BadInput, UnknownSource

log = logging.getLogger(__name__)

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
    return submission.model_copy(update={"phone": phone}) if phone else submission


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
        attributes={
            k: v
            for k, v in (("topic", submission.topic), ("language", submission.language))
            if v is not None
        }
        | callback_attributes(submission)
        | {k: v for k in LEAD_SOURCE_FIELDS if (v := getattr(submission, k))},
    )


# Where the visitor came from: attributes that reports group contacts by.
LEAD_SOURCE_FIELDS = (
    *("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer"),
)


def callback_attributes(submission: WebFormSubmission) -> dict[str, str]:
    """A callback asked for: routing calls `callback_to` back at `callback_at`."""
    if submission.callback_at is None or not submission.phone:
        return {}
    return {"callback_to": submission.phone, "callback_at": submission.callback_at.isoformat()}


class WebFormAdapter:
    name = "webform"
    path = "/webform/{form_id}"
    # Anyone may post it (no signature): it is rate-limited per client address.
    public = True

    def __init__(self, config: SwitchboardConfig) -> None:
        self.config = config
        self.dropped_by_honeypot = 0

    def verify(self, request: InboundRequest) -> None:
        # Forms are public; what we check is that the form exists.
        form_id = request.path_params.get("form_id", "")
        if self.config.form(form_id) is None:
            raise UnknownSource(f"unknown form {form_id!r}")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        fields = request.fields()
        form_id = request.path_params["form_id"]
        submission = parse_submission(fields, region_of_form(self.config, form_id))
        if submission.language is None and (language := language_of_form(self.config, form_id)):
            submission = submission.model_copy(update={"language": language})
        if str(fields.get(HONEYPOT_FIELD) or "").strip():
            log.info("web form %s: honeypot filled, dropped", request.path_params["form_id"])
            self.dropped_by_honeypot += 1
            return []
        return [to_interaction(request.path_params["form_id"], submission)]

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        if accepted:
            [first] = accepted
            return interaction_reply(first.event, first.duplicate)
        # A bot gets the answer a person would, so it learns nothing from it.
        region = region_of_form(self.config, request.path_params["form_id"])
        submission = parse_submission(request.fields(), region)
        return interaction_reply(to_interaction(request.path_params["form_id"], submission), False)


def create(config: SwitchboardConfig) -> WebFormAdapter | None:
    return WebFormAdapter(config) if config.forms else None
