"""Signed status links: a customer follows their own request's stages without signing in.
The token is the contact id signed with the service secret (itsdangerous, its own salt), so
it names one request and cannot be forged or turned into another's. It travels in the
URL's fragment (`/status#<token>`), which browsers never send: it stays out of access logs."""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "switchboard-status-link"


class StatusLinks:
    def __init__(self, secret: str, base_url: str) -> None:
        self._signer = URLSafeSerializer(secret, salt=SALT)
        self.base_url = base_url.rstrip("/")

    def token(self, contact_id: uuid.UUID) -> str:
        return str(self._signer.dumps(str(contact_id)))

    def url(self, contact_id: uuid.UUID) -> str:
        return f"{self.base_url}/status#{self.token(contact_id)}"

    def contact_of(self, token: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self._signer.loads(token)))
        except (BadSignature, ValueError):
            return None
