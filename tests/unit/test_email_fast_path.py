"""normalize_email asks email_validator about each domain once: the verdicts and the normal
form must be exactly what email_validator says about the whole address."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email

from schemas.identity import InvalidIdentity, normalize_email
from schemas.webform import WebFormSubmission
from services.ingest.webform import parse_submission
from switchboard.errors import BadInput

ADDRESSES = [
    "Ana@Example.COM",
    "b1000000000001@example.com",
    "o'neil+tag@mail.co.uk",
    "a/b=c{d}@d.io",
    "POSTMASTER@Example.com",
    "x" * 70 + "@b.com",  # over 64 before the @: email_validator allows it (not strict)
    "x" * 200 + "@" + "b" * 50 + ".com",  # over 254 in all
    "a@" + ("b" * 60 + ".") * 4 + "com",  # a domain over 253
    "a@" + "b" * 64 + ".com",  # a label over 63
    "a@b.local",  # special-use domains
    "a@localhost",
    "a@b.invalid",
    "a@b.test",
    "a@b.onion",
    "a@example",  # no dot: not globally deliverable
    "a@b.123",
    "a@1.2",
    ".a@b.com",
    "a.@b.com",
    "a..b@c.com",
    "a@-b.com",
    "a@b-.com",
    "a@b..com",
    "a@.b.com",
    "a@b.com.",
    "a@b.c_m",
    "a@b@c.com",
    "a@ab--c.com",
    "a@xn--80ak6aa92e.com",
    "a@xn--a.com",
    "a@xn--ab.com",
    "user@[1.2.3.4]",
    '"quoted"@b.com',
    "ä@b.com",
    "a@bü.com",
    "Ana <a@b.com>",
    "a@b.com x",
    "@b.com",
    "a@",
]


def expected(address: str) -> str | None:
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{info.local_part.lower()}@{info.ascii_domain.lower()}"


def normalized(address: str) -> str | None:
    try:
        return normalize_email(address)
    except InvalidIdentity:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_same_verdict_and_form_as_email_validator(address: str) -> None:
    assert normalized(address) == expected(address)
    assert normalized(address) == expected(address)  # again, its domain now known


def test_a_known_good_domain_does_not_pass_a_bad_local_part() -> None:
    assert normalized("fine@example.com") == "fine@example.com"
    assert normalized("a..b@example.com") is None
    assert normalized('"a b"@example.com') == expected('"a b"@example.com')


def test_a_form_gets_the_address_normalized_once_and_bad_ones_named() -> None:
    form = WebFormSubmission.model_validate({"message": "hi", "email": " Ana@Example.COM "})
    assert form.email == "ana@example.com"
    with pytest.raises(BadInput) as refused:
        parse_submission({"message": "hi", "email": "a@b.local"}, "US")
    [detail] = refused.value.details
    assert detail.field == "email"
    assert "not a valid email address" in detail.problem
