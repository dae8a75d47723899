"""Password hashes: argon2id through pwdlib for every new one; the PBKDF2-SHA256 hashes made
before (`pbkdf2_sha256$<iterations>$<salt>$<hash>`, standard library) still verify, and a
successful sign-in with one gives its argon2 replacement (verify_and_update)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import extract_parameters
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

SCHEME = "pbkdf2_sha256"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (hashes made before argon2, and tests' cheap ones).
DEFAULT_ITERATIONS = 600_000


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


class Pbkdf2Hasher:
    """Our PBKDF2 format as a pwdlib hasher: verified, never made again (always rehashed)."""

    @classmethod
    def identify(cls, hash: str | bytes) -> bool:
        parts = _text(hash).split("$")
        return len(parts) == 4 and parts[0] == SCHEME and parts[1].isdigit()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        return pbkdf2_hash(_text(password), DEFAULT_ITERATIONS, salt)

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        _, iterations, salt, digest = _text(hash).split("$")
        candidate = hashlib.pbkdf2_hmac(
            "sha256", _text(password).encode(), _unb64(salt), int(iterations)
        )
        return hmac.compare_digest(candidate, _unb64(digest))

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        return True


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Argon2(Argon2Hasher):
    """pwdlib's argon2id (RFC 9106's second recommendation: 64 MiB, 3 passes, 4 lanes).
    Its hashes are not redone when these parameters change: a sign-in migrates a PBKDF2
    hash, and hashes made with other parameters (tests' cheap ones) are kept as they are."""

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        return False


HASHING = PasswordHash((Argon2(), Pbkdf2Hasher()))


def decoy_for(hashes: list[str]) -> str:
    """A hash of a random password costing what checking `hashes` costs: checked against
    for unknown users, so timing tells nobody which user names exist."""
    decoy = secrets.token_hex(16)
    argon2 = [h for h in hashes if Argon2.identify(h)]
    if argon2:
        params = extract_parameters(argon2[0])
        hasher = Argon2Hasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
        )
        return hasher.hash(decoy)
    # PBKDF2 hashes become argon2 on their first sign-in: what most checks will cost.
    return HASHING.hash(decoy)


def pbkdf2_hash(password: str, iterations: int, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def hash_password(password: str, iterations: int | None = None) -> str:
    """argon2id; with `iterations`, the older PBKDF2 format (tests' cheap hashes)."""
    return HASHING.hash(password) if iterations is None else pbkdf2_hash(password, iterations)


def is_password_hash(text: str) -> bool:
    return any(hasher.identify(text) for hasher in HASHING.hashers)


def verify_and_update(password: str, hashed: str) -> tuple[bool, str | None]:
    """Whether the password matches, and the argon2 hash to store instead when the one
    given is of an older kind or weaker parameters. Slow on purpose: off the event loop."""
    try:
        return HASHING.verify_and_update(password, hashed)
    except UnknownHashError:
        return False, None


def verify_password(password: str, hashed: str) -> bool:
    return verify_and_update(password, hashed)[0]
