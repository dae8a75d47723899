"""Credentials the test systems are configured with."""

from __future__ import annotations

import functools

from schemas.config import ApiToken, AuthConfig
from switchboard.passwords import hash_password

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
INTEGRATOR_TOKEN = "test-integrator-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@functools.cache
def password_hash(password: str) -> str:
    # Few iterations: these hashes guard nothing, and tests sign in often.
    return hash_password(password, iterations=1000)


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
