"""The documents application: standard answers (and the commands supervisors use on them)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.documents.answer_template import (
    ANY,
    AnswerTemplate,
    Catalog,
    best_variant,
)
from services.documents.document_commands import DocumentCommands
from services.documents.templating import TemplateProblem, check_template, render

ANSWERS = "answers"


class TemplateNotFound(LookupError):
    pass


class TemplateExists(Exception):
    pass


class DocumentsApplication(DocumentCommands):
    name = "documents"  # eventsourcing names tables after it (else after the class)

    # Standard answers ---------------------------------------------------------------

    def create_template(
        self, shortcut: str, channel: str, language: str, title: str, body: str, by: str
    ) -> AnswerTemplate:
        check_template(body)
        template_id = AnswerTemplate.create_id(shortcut, channel, language)
        existing = self._find(template_id)
        if existing is not None and not existing.retired:
            raise TemplateExists(f"/{shortcut} exists for channel {channel}, language {language}")
        if existing is not None:
            existing.revise(title, body, by)
            self.commit(existing)
            return self.template(template_id)
        template = AnswerTemplate(shortcut, channel, language, title, body, by)
        catalog = self._catalog()
        catalog.add(template.id)
        self.commit(template, catalog)
        return template

    def revise_template(
        self, template_id: uuid.UUID, title: str, body: str, by: str
    ) -> AnswerTemplate:
        check_template(body)
        template = self.template(template_id)
        template.revise(title, body, by)
        self.commit(template)
        return template

    def retire_template(self, template_id: uuid.UUID, by: str) -> None:
        template = self.template(template_id)
        if not template.retired:
            template.retire(by)
            self.commit(template)

    def template(self, template_id: uuid.UUID) -> AnswerTemplate:
        found = self._find(template_id)
        if not isinstance(found, AnswerTemplate):
            raise TemplateNotFound(f"template {template_id} not found")
        return found

    def templates(self, include_retired: bool = False) -> list[AnswerTemplate]:
        found = [self.template(i) for i in self._catalog().ids]
        return sorted(
            (t for t in found if include_retired or not t.retired),
            key=lambda t: (t.shortcut, t.channel, t.language),
        )

    def use_answer(
        self,
        shortcut: str,
        channel: str | None,
        language: str | None,
        variables: Mapping[str, Any],
        by: str,
        contact_id: uuid.UUID | None,
    ) -> tuple[AnswerTemplate, str]:
        """Renders the best variant for the conversation and counts the use. A template that
        cannot render raises TemplateProblem and counts nothing."""
        variants = [t for t in self.templates() if t.shortcut == shortcut]
        template = best_variant(variants, channel, language)
        if template is None:
            raise TemplateNotFound(f"no standard answer /{shortcut}")
        text = render(template.body, variables)
        template.use(by, contact_id)
        self.commit(template)
        return template, text

    # Plumbing ------------------------------------------------------------------------

    def _catalog(self) -> Catalog:
        found = self._find(Catalog.create_id(ANSWERS))
        return found if isinstance(found, Catalog) else Catalog(ANSWERS)

    def _find(self, aggregate_id: uuid.UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None


__all__ = [
    "ANY",
    "DocumentsApplication",
    "TemplateExists",
    "TemplateNotFound",
    "TemplateProblem",
]
