"""A local SMTP server (aiosmtpd) that prints each message: see escalation e-mails in a demo."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller


class PrintingHandler:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        print(f"--- mail to {', '.join(envelope.rcpt_tos)}: {msg['Subject']}")
        print(body.get_content() if body else "", flush=True)
        return "250 Message accepted for delivery"


def run_mailbox(host: str, port: int) -> None:
    controller = Controller(PrintingHandler(), hostname=host, port=port)
    controller.start()
    print(f"mailbox listening on smtp://{host}:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
