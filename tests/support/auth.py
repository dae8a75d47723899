"""Credentials the test systems are configured with."""

from __future__ import annotations

import functools

from pwdlib.hashers.argon2 import Argon2Hasher

from schemas.config import ApiToken, AuthConfig

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
INTEGRATOR_TOKEN = "test-integrator-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


# argon2 at its cheapest: these hashes guard nothing, and tests sign in often (a PBKDF2
# hash would be rehashed at full cost on each first sign-in).
CHEAP_ARGON2 = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)


@functools.cache
def password_hash(password: str) -> str:
    return CHEAP_ARGON2.hash(password)


def test_auth() -> AuthConfig:
    return AuthConfig(
        tokens=[
            ApiToken(name="ops", role="admin", token=ADMIN_TOKEN),
            ApiToken(name="crm", role="integrator", token=INTEGRATOR_TOKEN),
        ]
    )


def auth_toml() -> str:
    return (
        f'\n[[auth.tokens]]\nname = "ops"\nrole = "admin"\ntoken = "{ADMIN_TOKEN}"\n'
        f'\n[[auth.tokens]]\nname = "crm"\nrole = "integrator"\ntoken = "{INTEGRATOR_TOKEN}"\n'
    )
