"""Sessions kept on the server, so signing out, a password change or a timeout ends them
everywhere at once: the token a person holds is only a signed session id.

The store is a JetStream key-value bucket shared by every replica (a session opened through
one container is checked, refreshed and revoked by any other); tests and plain calls use the
in-memory one. What makes a session valid is a plain function (`still_valid`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Protocol

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

SESSIONS_BUCKET = "sb_sessions"
# A session in use is refreshed at most this often: not a write per request.
TOUCH_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Session:
    user: str
    created: float
    last_seen: float
    # Of the password and role the person signed in with: changing either ends the session.
    credential: str


def credential_of(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def still_valid(
    session: Session, now: float, credential: str | None, idle: float, absolute: float
) -> bool:
    """Valid while its person can still sign in with the same password and role
    (`credential`: switchboard/credentials.session_credential, None when they cannot sign
    in), was active within `idle` seconds, and signed in within `absolute` seconds."""
    return (
        credential is not None
        and session.credential == credential
        and now - session.last_seen <= idle
        and now - session.created <= absolute
    )


def touched(session: Session, now: float) -> Session | None:
    """The session seen now, when it is time to store that; None when not yet."""
    if now - session.last_seen < TOUCH_EVERY_SECONDS:
        return None
    return replace(session, last_seen=now)


class SessionStore(Protocol):
    async def put(self, session_id: str, session: Session) -> None: ...
    async def get(self, session_id: str) -> Session | None: ...
    async def delete(self, session_id: str) -> None: ...


class MemorySessions:
    """One process's sessions (tests, plain calls)."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}

    async def put(self, session_id: str, session: Session) -> None:
        self.sessions[session_id] = session

    async def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    async def delete(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)


class KvSessions:
    """Sessions in a JetStream bucket; entries expire with the absolute timeout."""

    def __init__(self, js: JetStreamContext, ttl_seconds: float, replicas: int = 1) -> None:
        self.js = js
        self.ttl = ttl_seconds
        self.replicas = replicas
        self._kv: KeyValue | None = None

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.js.key_value(SESSIONS_BUCKET)
            except BucketNotFoundError:
                config = KeyValueConfig(
                    bucket=SESSIONS_BUCKET, history=1, ttl=self.ttl, replicas=self.replicas
                )
                self._kv = await self.js.create_key_value(config=config)
        return self._kv

    async def ensure(self) -> None:
        """Creates the bucket when missing (services limited to their subjects cannot)."""
        await self._bucket()

    async def put(self, session_id: str, session: Session) -> None:
        await (await self._bucket()).put(session_id, json.dumps(asdict(session)).encode())

    async def get(self, session_id: str) -> Session | None:
        try:
            entry = await (await self._bucket()).get(session_id)
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        return Session(**json.loads(entry.value))

    async def delete(self, session_id: str) -> None:
        await (await self._bucket()).purge(session_id)
