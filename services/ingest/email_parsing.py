"""Inbound e-mail as plain data: MIME parsed with the standard library, replies threaded.

Never raises on what a sender sends: a message we cannot make sense of is still recorded,
marked unparseable, with its raw bytes kept, so nobody's e-mail is silently dropped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from events import Attachment, InboundEvent, InteractionReceived, Sender
from schemas.identity import InvalidIdentity, normalize_email
from schemas.verification import UNVERIFIED

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Our replies' Message-IDs carry their conversation's thread token (see reply_message_id),
# so a customer's answer that names only our reply (In-Reply-To, no References, as some
# clients send) still joins its conversation.
OUR_MESSAGE_ID = re.compile(r"^<[^<>\s.]+\.t([0-9a-f]{16})@switchboard>$")
THREAD_PREFIX = "email:"


def thread_token(message_id: str) -> str:
    """The token of the thread whose first message is `message_id`."""
    return hashlib.blake2b(message_id.encode(), digest_size=8).hexdigest()


def reply_message_id(reply_id: str, conversation_key: str | None) -> str:
    """Our reply's Message-ID: stable per reply (a resend is recognisably the same), with
    the conversation's thread token when it has one."""
    token = (conversation_key or "").removeprefix(THREAD_PREFIX)
    if re.fullmatch(r"[0-9a-f]{16}", token):
        # Without the id's dashes the header stays within one line (78 characters): some
        # mail software mishandles a folded Message-ID.
        return f"<{reply_id.replace('-', '')}.t{token}@switchboard>"
    return f"<{reply_id}@switchboard>"


def conversation_of(own_id: str, references: list[str], in_reply_to: list[str]) -> str:
    """The thread a message belongs to: ours, if it names one of our replies; else that of
    the first message it refers to (References lists the thread's root first)."""
    for referenced in [*in_reply_to, *references]:
        ours = OUR_MESSAGE_ID.match(referenced)
        if ours:
            return THREAD_PREFIX + ours.group(1)
    root = (references or in_reply_to or [own_id])[0]
    return THREAD_PREFIX + thread_token(root)


# RFC 3834 and the conventions mail systems follow for mail no person wrote: such mail
# joins a conversation's transcript but never reopens it (auto-replies would loop).
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})


def automatic_reason(msg: EmailMessage) -> str | None:
    submitted = str(msg.get("Auto-Submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if msg.get(header):
            return header
    suppress = str(msg.get("X-Auto-Response-Suppress", "")).lower()
    if any(v in suppress for v in ("all", "oof", "autoreply")):
        return "X-Auto-Response-Suppress"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "mailing list"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "null Return-Path (a bounce)"
    return None


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # "<...>"; a hash of the bytes when the message has none
    sender_email: str | None
    sender_name: str | None
    subject: str | None
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    conversation_key: str = ""
    unparseable: str | None = None
    raw_sha256: str = ""
    automatic: str | None = None  # why no person wrote it, when so


class _TextOfHtml(HTMLParser):
    SKIP = frozenset({"script", "style", "head"})
    BREAK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AttributeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _ids(value: str | None) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def _sender(msg: EmailMessage, mail_from: str) -> tuple[str | None, str | None]:
    for raw_name, raw_address in (getaddresses([str(msg.get("From", ""))]) or []) + [
        parseaddr(mail_from)
    ]:
        try:
            return normalize_email(raw_address), raw_name or None
        except InvalidIdentity:
            continue
    return None, None


def parse_email(raw: bytes, mail_from: str = "") -> ParsedEmail:
    digest = hashlib.sha256(raw).hexdigest()
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return _parse(msg, mail_from, digest)
    except Exception as exc:  # whatever the bytes, the mail is recorded
        address, _ = _safe_envelope(mail_from)
        return ParsedEmail(
            message_id=f"<sha256-{digest[:40]}@switchboard>",
            sender_email=address,
            sender_name=None,
            subject=None,
            text="(an e-mail that could not be read; the raw message is kept)",
            conversation_key=THREAD_PREFIX + thread_token(f"<sha256-{digest[:40]}@switchboard>"),
            unparseable=f"{type(exc).__name__}: {exc}"[:300],
            raw_sha256=digest,
        )


def _safe_envelope(mail_from: str) -> tuple[str | None, None]:
    try:
        return normalize_email(parseaddr(mail_from)[1]), None
    except InvalidIdentity:
        return None, None


def _parse(msg: EmailMessage, mail_from: str, digest: str) -> ParsedEmail:
    own = _ids(msg.get("Message-ID"))
    message_id = own[0] if own else f"<sha256-{digest[:40]}@switchboard>"
    references = _ids(msg.get("References"))
    in_reply_to = _ids(msg.get("In-Reply-To"))
    address, name = _sender(msg, mail_from)
    plain = msg.get_body(preferencelist=("plain",))
    rich = msg.get_body(preferencelist=("html",))
    html = _content(rich) if rich is not None else None
    text = _content(plain) if plain is not None else html_to_text(html or "")
    attachments = [
        Attachment(
            name=part.get_filename(),
            content_type=part.get_content_type(),
            size=len(part.get_payload(decode=True) or b""),
        )
        for part in msg.iter_attachments()
    ]
    return ParsedEmail(
        message_id=message_id,
        sender_email=address,
        sender_name=name,
        subject=str(msg.get("Subject", "")).strip() or None,
        text=text.strip(),
        html=html,
        attachments=attachments,
        conversation_key=conversation_of(message_id, references, in_reply_to),
        unparseable=None if address else "no usable sender address",
        raw_sha256=digest,
        automatic=automatic_reason(msg),
    )


def to_interaction(
    parsed: ParsedEmail, mailbox: str, raw_ref: str, verified: str = UNVERIFIED
) -> InteractionReceived:
    """`verified`: how the From address was vouched for (services/ingest/email_auth.py)."""
    attributes = {"raw_ref": raw_ref}
    if parsed.unparseable:
        attributes["unparseable"] = parsed.unparseable
    if parsed.automatic:
        attributes["automatic"] = "yes"
        attributes["automatic_reason"] = parsed.automatic
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("email", mailbox, parsed.message_id),
        channel="email",
        source=mailbox,
        external_id=parsed.message_id,
        sender=Sender(
            email=parsed.sender_email, name=parsed.sender_name, verified={"email": verified}
        ),
        subject_line=parsed.subject,
        text=parsed.text[:100_000],
        attachments=parsed.attachments,
        conversation_key=parsed.conversation_key,
        attributes=attributes,
    )
