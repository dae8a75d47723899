"""Normalized identity values: adapters validate with them, history matches on them.

An identity is a namespaced string: `email:ana@example.com`, `phone:+4915112345678`,
`telegram:12345`, `whatsapp:+4915112345678`.
"""

from __future__ import annotations

import functools
import re

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
    address = raw.strip()
    plain = PLAIN_ADDRESS.fullmatch(address)
    if plain is not None and len(address) <= EMAIL_MAX_LENGTH:
        domain = _plain_domain(plain.group(2))
        if domain is not None:
            return f"{plain.group(1).lower()}@{domain}"
    return _validated_email(address)


def _validated_email(address: str) -> str:
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentity(str(exc)) from None
    return f"{info.local_part.lower()}@{info.ascii_domain.lower()}"


# Most addresses are plain ASCII: a dot-atom local part, which email_validator accepts as
# it is (its DOT_ATOM_TEXT), at an ASCII domain. Checking the domain is most of its cost
# (~40 µs an address, the largest part of ingesting a web form) and says the same for
# every address there, so it is asked once per domain: same verdicts, same normal form.
# Anything else (quotes, non-ASCII, an invalid domain: for its message) takes the full way.
_ATEXT = r"a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~"
PLAIN_ADDRESS = re.compile(rf"([{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@([a-zA-Z0-9.-]+)")
EMAIL_MAX_LENGTH = 254  # email_validator's; an ASCII address is as long as its ASCII form


@functools.lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> str | None:
    """The domain's ASCII form when email_validator accepts it, else None."""
    try:
        return _validated_email(f"postmaster@{domain}").partition("@")[2]
    except InvalidIdentity:
        return None  # not cached as a verdict on the address: the full way says why


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
