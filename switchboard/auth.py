"""Who is calling: people sign in with a password and get a session token (also set as a
cookie for the desk); programs present a configured bearer token. Every API route that is
not a channel (channels verify their own signatures) needs one of the two."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from hmac import compare_digest
from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer

from schemas.config import SwitchboardConfig
from switchboard.errors import Forbidden, NotAuthenticated
from switchboard.passwords import (
    DEFAULT_ITERATIONS,
    hash_password,
    password_iterations,
    verify_password,
)
from switchboard.sessions import (
    MemorySessions,
    Session,
    SessionStore,
    credential_of,
    still_valid,
    touched,
)
from switchboard.settings import Settings
from switchboard.sign_in_throttle import SignInThrottle

Role = Literal["agent", "supervisor", "integrator", "admin"]
SESSION_COOKIE = "sb_session"
# Over HTTPS: a __Host- cookie is only accepted Secure, for this host, for every path.
SECURE_SESSION_COOKIE = "__Host-sb_session"
STAFF: tuple[Role, ...] = ("agent", "supervisor", "admin")
SUPERVISORS: tuple[Role, ...] = ("supervisor", "admin")


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role


def session_secret(settings: Settings) -> str:
    """SWITCHBOARD_SESSION_SECRET, or one kept under the data directory so that sessions
    survive a restart of `switchboard up` (replicas must share the environment variable)."""
    if settings.session_secret:
        return settings.session_secret
    path: Path = settings.data_dir / "session.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


class Authenticator:
    """Signs people in and tells, for a request, who is calling. Usable as a FastAPI
    dependency: `Depends(authenticator)` yields the Principal or answers 401.

    A person's token is a signed session id; the session lives on the server (`sessions`),
    so signing out, a changed password, an idle or an absolute timeout end it at once, on
    every replica. Programs use configured bearer tokens instead."""

    def __init__(
        self,
        config: SwitchboardConfig,
        secret: str,
        sessions: SessionStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.max_age = int(config.auth.session_hours * 3600)
        self.idle = config.auth.idle_minutes * 60
        self.sessions: SessionStore = sessions or MemorySessions()
        self.clock = clock
        self._signer = URLSafeSerializer(secret, salt="switchboard-session")
        self._people = {p.id: p for p in config.people}
        # Checked against for unknown users: the same cost as the people's own hashes.
        iterations = max((password_iterations(p.password_hash) for p in config.people), default=0)
        self._decoy = hash_password(secrets.token_hex(16), iterations or DEFAULT_ITERATIONS)
        self.throttle = SignInThrottle(time.monotonic)

    @classmethod
    def from_settings(
        cls, settings: Settings, config: SwitchboardConfig, sessions: SessionStore | None = None
    ) -> Authenticator:
        return cls(config, session_secret(settings), sessions)

    def check_password(self, user: str, password: str) -> str | None:
        """The person's id when the password is theirs, else None. Slow on purpose (the
        password hash): callers run it off the event loop. An unknown user costs the same
        as a wrong password, so timing tells nobody which user names exist."""
        person = self._people.get(user)
        hashed = person.password_hash if person is not None else None
        matches = verify_password(password, hashed or self._decoy)
        if person is None or hashed is None or not matches:
            return None
        return person.id

    async def open_session(self, person_id: str) -> str:
        """A new session for someone whose password was checked: its token."""
        hashed = self._people[person_id].password_hash or ""
        now = self.clock()
        session_id = secrets.token_urlsafe(24)
        await self.sessions.put(session_id, Session(person_id, now, now, credential_of(hashed)))
        return self._signer.dumps(session_id)

    async def sign_in(self, user: str, password: str) -> str | None:
        """check_password, then open_session (for callers with no event loop to spare)."""
        person_id = self.check_password(user, password)
        return await self.open_session(person_id) if person_id else None

    async def close_session(self, token: str) -> None:
        session_id = self._session_id(token)
        if session_id is not None:
            await self.sessions.delete(session_id)

    async def principal_for(self, token: str) -> Principal | None:
        for api_token in self.config.auth.tokens:
            if compare_digest(api_token.token.encode(), token.encode()):
                return Principal(api_token.name, api_token.role)
        session_id = self._session_id(token)
        session = await self.sessions.get(session_id) if session_id else None
        if session is None or session_id is None:
            return None
        # The role comes from today's config, not the session: a person removed or moved
        # loses their rights at once; a changed password ends their sessions.
        person = self._people.get(session.user)
        now = self.clock()
        hashed = person.password_hash if person else None
        if person is None or not still_valid(session, now, hashed, self.idle, self.max_age):
            await self.sessions.delete(session_id)
            return None
        if (fresh := touched(session, now)) is not None:
            await self.sessions.put(session_id, fresh)
        return Principal(person.id, person.role)

    def _session_id(self, token: str) -> str | None:
        try:
            session_id = self._signer.loads(token)
        except BadSignature:
            return None
        return session_id if isinstance(session_id, str) else None

    async def __call__(self, request: Request) -> Principal:
        token = request_token(request)
        if not token:
            raise NotAuthenticated("sign in first (Authorization: Bearer <token>)")
        principal = await self.principal_for(token)
        if principal is None:
            raise NotAuthenticated("the token is not valid (expired, or signed out)")
        return principal

    def role(self, *roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
        """A dependency that also requires one of `roles`."""

        async def check(request: Request) -> Principal:
            principal = await self(request)
            if principal.role not in roles:
                raise Forbidden(f"{principal.role} may not do this (needs {' or '.join(roles)})")
            return principal

        return check

    def manages(self, principal: Principal, person_id: str) -> bool:
        """Whether `principal` may act for `person_id`: themselves, anyone below them in the
        hierarchy, or anyone at all for an admin."""
        if principal.role == "admin" or principal.id == person_id:
            return True
        seen: set[str] = set()
        current = self._people.get(person_id)
        while current is not None and current.supervisor and current.id not in seen:
            if current.supervisor == principal.id:
                return True
            seen.add(current.id)
            current = self._people.get(current.supervisor)
        return False

    def require_manages(self, principal: Principal, person_id: str) -> None:
        if not self.manages(principal, person_id):
            raise Forbidden(f"{principal.id} may not act for {person_id}")


def request_token(request: Request) -> str | None:
    """The bearer token, else the session cookie (either name: see session_api)."""
    return (
        _bearer(request)
        or request.cookies.get(SECURE_SESSION_COOKIE)
        or request.cookies.get(SESSION_COOKIE)
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
