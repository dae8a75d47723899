"""Normalized identity values: adapters validate with them, history matches on them.

An identity is a namespaced string: `email:ana@example.com`, `phone:+4915112345678`,
`telegram:12345`, `whatsapp:+4915112345678`.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidIdentity(ValueError):
    pass


def normalize_phone(raw: str, default_region: str = "US") -> str:
    """E.164, or InvalidIdentity."""
    try:
        number = phonenumbers.parse(raw, None if raw.strip().startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity(f"not a phone number: {exc}") from None
    # Valid, not merely possible: a short or unassigned number would join unrelated people.
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Lower-cased local part and IDNA-encoded domain, or InvalidIdentity."""
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentity(str(exc)) from None
    return f"{info.local_part.lower()}@{info.ascii_domain.lower()}"


def identities(
    *, email: str | None = None, phone: str | None = None, handle: str | None = None
) -> list[str]:
    """The namespaced identities of a sender whose values are already normalized."""
    found = []
    if email:
        found.append(f"email:{email}")
    if phone:
        found.append(f"phone:{phone}")
    if handle:
        found.append(handle)
    return found
