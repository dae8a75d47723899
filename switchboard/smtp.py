"""Sending e-mail: aiosmtplib to the configured server, or the log when there is none.

Shared by the notifier (escalations) and ingest (agents' replies on the e-mail channel)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlparse

import aiosmtplib

from events.interactions import key_token

log = logging.getLogger(__name__)


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> str:
        """Sends; returns how ('smtp', 'log'); raises when the message may not have gone."""
        ...


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SWITCHBOARD_SMTP_URL: unsupported scheme {parsed.scheme!r}")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
        self.use_tls = parsed.scheme == "smtps"
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> str:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=False if self.use_tls else None,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
        )
        return "smtp"


def mailer_for(url: str | None) -> Mailer:
    return SmtpMailer(url) if url else LogMailer()


class LogMailer:
    """Used when no SMTP server is configured, so a demo still shows what would be sent."""

    async def send(self, message: EmailMessage) -> str:
        # The recipient as a token and no subject: a reply's go to customers, and a log
        # line must not keep their address or words past an erasure.
        log.warning(
            "no SWITCHBOARD_SMTP_URL: e-mail to recipient %s not sent",
            key_token(str(message["To"] or "")),
        )
        return "log"
