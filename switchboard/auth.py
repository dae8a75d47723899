"""Who is calling: people sign in with a password and get a session token (also set as a
cookie for the desk); programs present a configured bearer token. Every API route that is
not a channel (channels verify their own signatures) needs one of the two."""

from __future__ import annotations

import asyncio
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
from switchboard.credentials import (
    CredentialStore,
    MemoryCredentials,
    changed,
    effective,
    rehashed,
    session_credential,
)
from switchboard.errors import Forbidden, NotAuthenticated
from switchboard.passwords import decoy_for, verify_and_update
from switchboard.sessions import (
    MemorySessions,
    Session,
    SessionStore,
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
        credentials: CredentialStore | None = None,
    ) -> None:
        self.config = config
        self.max_age = int(config.auth.session_hours * 3600)
        self.idle = config.auth.idle_minutes * 60
        self.sessions: SessionStore = sessions or MemorySessions()
        self.clock = clock
        self._signer = URLSafeSerializer(secret, salt="switchboard-session")
        self.credentials: CredentialStore = credentials or MemoryCredentials()
        self._people = {p.id: p for p in config.people}
        self._decoy: str | None = None
        self.throttle = SignInThrottle(time.monotonic)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        config: SwitchboardConfig,
        sessions: SessionStore | None = None,
        credentials: CredentialStore | None = None,
    ) -> Authenticator:
        return cls(config, session_secret(settings), sessions, credentials=credentials)

    def decoy(self) -> str:
        """Checked against for unknown users: the cost of the people's own hashes."""
        if self._decoy is None:
            self._decoy = decoy_for(
                [p.password_hash for p in self.config.people if p.password_hash]
            )
        return self._decoy

    async def _password(self, person_id: str) -> tuple[str | None, str]:
        """(the person's password hash, its stamp): a stored one (rehashed or changed since)
        while it replaces the file's, else the file's."""
        person = self._people.get(person_id)
        if person is None:
            return None, ""
        return effective(person.password_hash, await self.credentials.get(person_id))

    async def check_password(self, user: str, password: str) -> str | None:
        """The person's id when the password is theirs, else None. The hash (slow on purpose)
        runs off the event loop; an unknown user costs the same as a wrong password, so
        timing tells nobody which user names exist. A PBKDF2 hash that matched is replaced
        by its argon2 rehash, for every replica."""
        person = self._people.get(user)
        hashed, _ = await self._password(user)
        matches, updated = await asyncio.to_thread(self._verify, password, hashed)
        if person is None or hashed is None or not matches:
            return None
        if updated is not None:
            stored = await self.credentials.get(user)
            await self.credentials.put(user, rehashed(person.password_hash, stored, updated))
        return person.id

    def _verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        # In a worker thread: the decoy too is made there, the first time it is needed.
        return verify_and_update(password, hashed or self.decoy())

    async def set_password(self, person_id: str, new_hash: str) -> None:
        """A new password for every replica at once; the person's sessions end."""
        person = self._people[person_id]
        await self.credentials.put(person_id, changed(person.password_hash, new_hash))

    async def _session_credential(self, person_id: str) -> str | None:
        person = self._people.get(person_id)
        hashed, stamp = await self._password(person_id)
        if person is None or hashed is None:
            return None
        return session_credential(stamp, person.role)

    async def open_session(self, person_id: str) -> str:
        """A new session for someone whose password was checked: its token."""
        credential = await self._session_credential(person_id)
        assert credential is not None, person_id
        now = self.clock()
        session_id = secrets.token_urlsafe(24)
        await self.sessions.put(session_id, Session(person_id, now, now, credential))
        return self._signer.dumps(session_id)

    async def sign_in(self, user: str, password: str) -> str | None:
        """check_password, then open_session."""
        person_id = await self.check_password(user, password)
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
        # The role comes from today's config, not the session: a person removed loses their
        # rights at once; a changed password or role ends their sessions.
        person = self._people.get(session.user)
        now = self.clock()
        credential = await self._session_credential(session.user)
        if person is None or not still_valid(session, now, credential, self.idle, self.max_age):
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
