"""Boundary errors as values: the HTTP layer turns each into a clear 4xx or 503."""

from __future__ import annotations

from pydantic import ValidationError

from schemas.api import ErrorDetail


class BadInput(Exception):
    """400: the request is malformed; `details` name each field at fault."""

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    @classmethod
    def field(cls, field: str, problem: str) -> BadInput:
        return cls(f"{field}: {problem}", [ErrorDetail(field=field, problem=problem)])

    @classmethod
    def from_validation(cls, exc: ValidationError) -> BadInput:
        details = [
            ErrorDetail(field=".".join(str(p) for p in e["loc"]) or "body", problem=e["msg"])
            for e in exc.errors()
        ]
        return cls(
            "invalid input: " + "; ".join(f"{d.field}: {d.problem}" for d in details), details
        )


class TooLarge(Exception):
    """413: the body is over the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit


class ChannelUnavailable(Exception):
    """503: JetStream did not confirm; the channel must retry (nothing was accepted)."""


class BadSignature(Exception):
    """403: the request is not signed by who it claims to come from."""


class UnknownSource(Exception):
    """404: no such form, bot or API channel is configured."""


class NotAuthenticated(Exception):
    """401: no credentials, or credentials that are not (or no longer) valid."""


class Forbidden(Exception):
    """403: who is calling is known, and may not do this."""


class TooManyRequests(Exception):
    """429: over a rate limit; `retry_after` seconds until the next request is heard."""

    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(f"{what}; try again in {max(1, round(retry_after))} s")
        self.retry_after = retry_after


class TooManyTries(TooManyRequests):
    """429: too many failed sign-ins."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many failed sign-ins", retry_after)
