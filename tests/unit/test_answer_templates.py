"""Standard answers: the sandbox, missing variables and the choice of variant, by plain calls."""

from __future__ import annotations

import uuid

import pytest

from schemas.api import CustomerView
from schemas.config import Person
from schemas.customers import Organization
from services.documents.application import (
    DocumentsApplication,
    TemplateExists,
    TemplateNotFound,
)
from services.documents.templating import TemplateProblem, check_template, render
from services.documents.variables import template_variables

CONTACT = uuid.UUID("12345678-1234-5678-1234-567812345678")


def variables(name: str | None = "Ana Lima") -> dict[str, object]:
    card = CustomerView(
        customer_id=uuid.uuid4(),
        name=name,
        identities=["email:ana@example.com"],
        organization=Organization(name="Acme", decision_makers=["Rui"]),
    )
    agent = Person(id="alice", name="Alice")
    return template_variables(card, CONTACT, "sms", agent)


def test_fills_card_contact_and_agent() -> None:
    text = render(
        "Dear {{ customer.first_name }} ({{ customer.organization.name }}), re"
        " {{ contact.reference }}: {{ agent.name }}",
        variables(),
    )
    assert text == "Dear Ana (Acme), re C-12345678: Alice"


def test_missing_variable_is_an_error_naming_it() -> None:
    with pytest.raises(TemplateProblem) as caught:
        render("Hello {{ customer.name }}, your order {{ order.number }}", variables())
    assert caught.value.field == "body"
    assert "order" in caught.value.problem


def test_unknown_name_of_this_customer_is_missing_not_empty() -> None:
    with pytest.raises(TemplateProblem):
        render("Dear {{ customer.name }},", variables(name=None))
    fallback = "Dear {{ customer.name | default('customer') }},"
    assert render(fallback, variables(name=None)) == "Dear customer,"


ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ customer.__class__ }}",
    "{{ customer.items.__self__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ range(10) | list }}",
    "{{ config }}",
    "{{ request }}",
    "{{ namespace() }}",
    "{% set x = customer.tags.append('x') %}{{ x }}",
    "{{ customer.update({'name': 'x'}) }}",
    "{{ '{0.__class__}'.format(customer) }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 999999 }}",
    "{{ customer | attr('__class__') }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_fail(source: str) -> None:
    with pytest.raises(TemplateProblem):
        render(source, variables())


def test_syntax_checked_when_saved() -> None:
    with pytest.raises(TemplateProblem) as caught:
        check_template("Hello {{ customer.name ")
    assert "line 1" in caught.value.problem


def test_most_specific_variant_wins_and_uses_are_counted() -> None:
    app = DocumentsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.create_template("hi", "*", "*", "Hi", "Hello {{ customer.name }}", "sam")
    app.create_template("hi", "sms", "*", "Hi", "Hi {{ customer.first_name }}", "sam")
    app.create_template("hi", "sms", "tr", "Hi", "Merhaba {{ customer.first_name }}", "sam")
    with pytest.raises(TemplateExists):
        app.create_template("hi", "sms", "tr", "Hi", "again", "sam")
    assert app.use_answer("hi", "sms", "tr", variables(), "alice", CONTACT)[1] == "Merhaba Ana"
    assert app.use_answer("hi", "sms", "en", variables(), "alice", CONTACT)[1] == "Hi Ana"
    template, text = app.use_answer("hi", "email", "en", variables(), "alice", CONTACT)
    assert text == "Hello Ana Lima"
    assert template.uses == 1
    broken = app.create_template("bad", "*", "*", "Bad", "{{ nope }}", "sam")
    with pytest.raises(TemplateProblem):
        app.use_answer("bad", None, None, variables(), "alice", CONTACT)
    assert app.template(broken.id).uses == 0
    app.retire_template(template.id, "sam")
    assert [t.channel for t in app.templates()] == ["*", "sms", "sms"]
    with pytest.raises(TemplateNotFound):
        app.use_answer("hi", "email", "en", variables(), "alice", CONTACT)
