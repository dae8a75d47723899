"""Inbound e-mail over SMTP (aiosmtpd): 250 only once JetStream has the message.

The raw message goes to a JetStream object store first (keyed by its hash, so a resend is
harmless), then the interaction is published; if either fails the sender gets a 451 and its
mail server retries later, as SMTP intends. Nothing is accepted that was not recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiosmtpd.smtp import SMTP, Envelope, Session
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig
from nats.js.errors import BucketNotFoundError

from events.interactions import key_token
from schemas.config import EmailChannel
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.email_auth import TxtLookup, dkim_verification
from services.ingest.email_parsing import parse_email, to_interaction
from switchboard.errors import ChannelUnavailable
from switchboard.jetstream import RAW_EMAIL_BUCKET
from switchboard.rate_limit import RateLimit

log = logging.getLogger(__name__)

RAW_BUCKET = RAW_EMAIL_BUCKET  # created with the streams, replicated like them


class RawStore:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def put(self, name: str, raw: bytes) -> str:
        try:
            store = await self.js.object_store(RAW_BUCKET)
        except BucketNotFoundError:
            store = await self.js.create_object_store(RAW_BUCKET, ObjectStoreConfig())
        await store.put(name, raw)
        return f"{RAW_BUCKET}/{name}"

    async def get(self, ref: str) -> bytes:
        bucket, name = ref.split("/", 1)
        result = await (await self.js.object_store(bucket)).get(name)
        return bytes(result.data or b"")


class InboundMailHandler:
    def __init__(
        self,
        publisher: InboundPublisher,
        raw: RawStore,
        config: EmailChannel | None = None,
        clock: Callable[[], float] = time.monotonic,
        dkim_lookup: TxtLookup | None = None,
    ) -> None:
        self.publisher = publisher
        self.raw = raw
        self.config = config or EmailChannel()
        self.mailboxes = frozenset(self.config.mailboxes)
        # One bucket per envelope sender and one per client address: a flood from one
        # sender, or from one machine under many sender names, waits its turn.
        self.limit = RateLimit(self.config.sender_burst, self.config.sender_per_hour, clock)
        self.dkim_lookup = dkim_lookup  # None: the internet's DNS
        self.accepted = 0
        self.refused = 0

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.mailboxes and address.lower() not in self.mailboxes:
            self.refused += 1
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        client = str(session.peer[0]) if session.peer else "unknown"
        sender = str(envelope.mail_from or "").lower()
        for key in (f"sender:{sender}", f"client:{client}"):
            if self.limit.take(key) is not None:
                self.refused += 1
                # The sender as a token: a log line must not outlive an erasure with an address.
                log.warning(
                    "mail from sender %s (%s) over its rate, asked to retry later",
                    key_token(sender),
                    client,
                )
                return "451 4.7.1 Too many messages, please try again later"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        parsed = parse_email(raw, str(envelope.mail_from or ""))
        mailbox = (envelope.rcpt_tos or ["unknown@switchboard"])[0].lower()
        try:
            # DNS lookups block: off the event loop, like any other wait on the network.
            how = await asyncio.to_thread(
                dkim_verification, raw, parsed.sender_email, self.dkim_lookup
            )
            ref = await self.raw.put(f"{parsed.raw_sha256}.eml", raw)
            await self.publisher.publish(to_interaction(parsed, mailbox, ref, how))
        except (ChannelUnavailable, NatsError, TimeoutError, OSError) as exc:
            log.warning(
                "mail from sender %s not recorded, will be retried: %s", key_token(sender), exc
            )
            return "451 4.3.0 Temporary failure, please try again later"
        self.accepted += 1
        return "250 OK: recorded"


async def serve_smtp(config: EmailChannel, handler: InboundMailHandler) -> None:
    """Runs until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=config.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="switchboard",
        ),
        host=config.host,
        port=config.port,
    )
    log.info("SMTP on %s:%d", config.host, config.port)
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        await server.wait_closed()
