"""Agents' replies on the e-mail channel: threaded answers through aiosmtplib."""

from __future__ import annotations

from collections.abc import Collection
from email.message import EmailMessage

import aiosmtplib

from events import ReplyRequested
from services.ingest.email_parsing import reply_message_id
from services.ingest.replies import SendFailed
from switchboard.document_pdf import attachment_pdf
from switchboard.smtp import SmtpMailer


def reply_email(
    reply: ReplyRequested, default_from: str, mailboxes: Collection[str] = ()
) -> EmailMessage:
    """From the mailbox the customer wrote to when it is one of ours (`mailboxes`, checked
    at RCPT TO); never from an address a sender made up: else `default_from`."""
    origin = reply.origin
    sender = origin.get("sender") or {}
    if not sender.get("email"):
        raise SendFailed("the customer left no e-mail address")
    msg = EmailMessage()
    wrote_to = str(origin.get("source") or "").lower()
    msg["From"] = wrote_to if wrote_to in mailboxes else default_from
    msg["To"] = sender["email"]
    subject = origin.get("subject_line") or "Your message"
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    # A stable id: a resend after a crash is recognisably the same message.
    msg["Message-ID"] = reply_message_id(str(reply.reply_id), origin.get("conversation_key"))
    original = origin.get("external_id")
    if original and str(original).startswith("<"):
        msg["In-Reply-To"] = original
        msg["References"] = original
    msg.set_content(reply.text)
    if reply.attachment:
        msg.add_attachment(
            attachment_pdf(reply.attachment),
            maintype="application",
            subtype="pdf",
            filename=str(reply.attachment["file_name"]),
        )
    return msg


class EmailReplySender:
    # A web form asked for an e-mail address (or a phone): the answer goes there.
    reply_channels = frozenset({"email", "webform"})

    def __init__(
        self, mailer: SmtpMailer, default_from: str, mailboxes: Collection[str] = ()
    ) -> None:
        self.mailer = mailer
        self.default_from = default_from
        self.mailboxes = frozenset(mailboxes)

    async def send(self, reply: ReplyRequested) -> str | None:
        message = reply_email(reply, self.default_from, self.mailboxes)
        try:
            await self.mailer.send(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(f"recipient refused: {exc}") from exc
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
            raise SendFailed(f"mail server unreachable: {exc}", retry=True) from exc
        return str(message["Message-ID"])
