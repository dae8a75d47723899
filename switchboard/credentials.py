"""Passwords that changed since the configuration file was written: rehashed on sign-in
(PBKDF2 to argon2) or set with `switchboard people password`.

They live in a JetStream key-value bucket, replicated like the streams, so every replica
checks the same password and a change ends the person's sessions on all of them at once
(a file under the data directory would be one host's: replicas would disagree). The file
stays the operator's: an entry counts only while the person's `password_hash` in the file
is the one it replaced, so editing the file later wins over anything stored before.

What makes a session's credential is a plain function (`effective`, `session_credential`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Protocol

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from switchboard.sessions import credential_of

CREDENTIALS_BUCKET = "sb_credentials"


@dataclass(frozen=True)
class Credential:
    hash: str
    # Fingerprint of the file's password_hash this replaces ("" for none).
    over: str
    # Changes with the password only, not with a rehash: sessions opened before keep.
    stamp: str


def fingerprint(config_hash: str | None) -> str:
    return credential_of(config_hash) if config_hash else ""


def effective(config_hash: str | None, stored: Credential | None) -> tuple[str | None, str]:
    """(the hash to check, its stamp): the stored one while it replaces today's file entry."""
    base = fingerprint(config_hash)
    if stored is not None and stored.over == base:
        return stored.hash, stored.stamp
    return config_hash, base


def rehashed(config_hash: str | None, stored: Credential | None, new_hash: str) -> Credential:
    """The same password in a stronger hash: the stamp stays, so no session ends."""
    _, stamp = effective(config_hash, stored)
    return Credential(new_hash, fingerprint(config_hash), stamp)


def changed(config_hash: str | None, new_hash: str) -> Credential:
    """A new password: a new stamp, so every session opened with the old one ends."""
    return Credential(new_hash, fingerprint(config_hash), secrets.token_hex(8))


def session_credential(stamp: str, role: str) -> str:
    """What a session remembers of how its person could sign in: a new password or another
    role makes it differ, ending the session."""
    return credential_of(f"{stamp}|{role}")


class CredentialStore(Protocol):
    async def get(self, person_id: str) -> Credential | None: ...
    async def put(self, person_id: str, credential: Credential) -> None: ...


class MemoryCredentials:
    """One process's (tests, plain calls)."""

    def __init__(self) -> None:
        self.entries: dict[str, Credential] = {}

    async def get(self, person_id: str) -> Credential | None:
        return self.entries.get(person_id)

    async def put(self, person_id: str, credential: Credential) -> None:
        self.entries[person_id] = credential


class KvCredentials:
    def __init__(self, js: JetStreamContext, replicas: int = 1) -> None:
        self.js = js
        self.replicas = replicas
        self._kv: KeyValue | None = None

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.js.key_value(CREDENTIALS_BUCKET)
            except BucketNotFoundError:
                config = KeyValueConfig(
                    bucket=CREDENTIALS_BUCKET, history=1, replicas=self.replicas
                )
                self._kv = await self.js.create_key_value(config=config)
        return self._kv

    async def ensure(self) -> None:
        await self._bucket()

    async def get(self, person_id: str) -> Credential | None:
        try:
            entry = await (await self._bucket()).get(person_id)
        except KeyNotFoundError:
            return None
        return Credential(**json.loads(entry.value)) if entry.value else None

    async def put(self, person_id: str, credential: Credential) -> None:
        await (await self._bucket()).put(person_id, json.dumps(asdict(credential)).encode())
