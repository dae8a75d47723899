"""Nothing that listens beyond loopback starts with a known secret.

`./sb up` on 127.0.0.1 is the demo: demo passwords and the demo Twilio token are fine there,
as nobody else can reach it. A process that listens on any other address (HTTP, or inbound
SMTP) must have real secrets, and refuses to start, saying what to set, when it has not.
Plain functions over the settings and the configuration, so each rule is tested directly.
"""

from __future__ import annotations

import ipaddress

from schemas.config import SwitchboardConfig
from switchboard.passwords import verify_password
from switchboard.settings import Settings

# Values that ship in this repository or its documentation: known to everyone.
KNOWN_SECRETS = frozenset(
    {
        "change-me-to-a-long-random-key",
        "demo-only-twilio-token-replace-me",
        "changeme",
        "change-me",
        "secret",
        "password",
    }
)
MIN_SESSION_SECRET = 32


class InsecureStart(SystemExit):
    """Refused: listening beyond loopback with a known or missing secret."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def listening_beyond_loopback(settings: Settings, config: SwitchboardConfig) -> list[str]:
    """Where this process would listen on more than loopback."""
    found = []
    if not is_loopback(settings.http_host):
        found.append(f"HTTP on {settings.http_host}")
    email = config.channels.email
    smtp_host = settings.smtp_listen_host or email.host
    if email.enabled and not is_loopback(smtp_host):
        found.append(f"SMTP on {smtp_host}")
    return found


def known_secrets(settings: Settings, config: SwitchboardConfig) -> list[str]:
    """Each secret that anyone could know, and what to set instead."""
    problems = []
    secret = settings.session_secret
    if not secret:
        problems.append(
            "SWITCHBOARD_SESSION_SECRET is not set (a random key of at least "
            f"{MIN_SESSION_SECRET} characters, the same for every replica)"
        )
    elif len(secret) < MIN_SESSION_SECRET or secret in KNOWN_SECRETS:
        problems.append(
            f"SWITCHBOARD_SESSION_SECRET is short or a known value (at least "
            f"{MIN_SESSION_SECRET} random characters)"
        )
    for person in config.people:
        # The demo's passwords are the people's ids: a real deployment must not keep them.
        if person.password_hash and verify_password(person.id, person.password_hash):
            problems.append(
                f"people.{person.id}.password_hash is the demo password (their id): "
                "set a real one with `switchboard password`"
            )
    email = config.channels.email
    smtp_host = settings.smtp_listen_host or email.host
    if email.enabled and not is_loopback(smtp_host) and not email.mailboxes:
        problems.append(
            "channels.email.mailboxes is empty: name the addresses you take mail for "
            "(anything else is refused, and replies are only ever sent from these)"
        )
    twilio = config.channels.twilio
    if twilio is not None:
        if not twilio.auth_token or twilio.auth_token in KNOWN_SECRETS:
            problems.append(
                "channels.twilio.auth_token is empty or the demo's: set your account's "
                '(auth_token = "env:TWILIO_AUTH_TOKEN")'
            )
        if not twilio.verify_signatures:
            problems.append("channels.twilio.verify_signatures = false: anyone could post calls")
    return problems


def refuse_insecure_start(settings: Settings, config: SwitchboardConfig) -> None:
    """Raises InsecureStart (exit status 1, one line) when this process would listen beyond
    loopback with a known or missing secret."""
    exposed = listening_beyond_loopback(settings, config)
    if not exposed:
        return
    problems = known_secrets(settings, config)
    if problems:
        raise InsecureStart(
            f"refusing to listen ({', '.join(exposed)}) with known secrets: " + "; ".join(problems)
        )
