"""The embeddable form and its honeypot, through the running system."""

from __future__ import annotations

from html.parser import HTMLParser

import nats

from switchboard.jetstream import INBOUND
from tests.support.stack import Stack
from tests.support.waiting import eventually


class Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.form_action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.form_action = a.get("action")
        if tag in ("input", "textarea") and a.get("name"):
            self.inputs[str(a["name"])] = a


async def test_embed_page_posts_to_its_form_and_hides_the_honeypot(stack: Stack) -> None:
    r = await stack.http.get("/channels/webform/contact-us/embed")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Fields()
    page.feed(r.text)
    assert page.form_action == "/channels/webform/contact-us"
    assert {"name", "email", "phone", "message", "website", "submission_id"} <= set(page.inputs)
    assert page.inputs["website"].get("tabindex") == "-1"
    assert (await stack.http.get("/channels/webform/nope/embed")).status_code == 404


async def test_a_filled_honeypot_looks_accepted_but_records_nothing(stack: Stack) -> None:
    bot = {"email": "bot@spam.example", "message": "cheap pills", "website": "http://spam"}
    r = await stack.http.post("/channels/webform/contact-us", data=bot)
    assert r.status_code == 202 and r.json()["duplicate"] is False
    person = {"email": "ana@example.com", "message": "hello", "website": ""}
    assert (await stack.http.post("/channels/webform/contact-us", data=person)).status_code == 202
    await eventually(lambda: stack.customer("ana@example.com"))
    nc = await nats.connect(stack.nats_server.url)
    info = await nc.jetstream().stream_info(INBOUND)
    await nc.close()
    assert info.state.messages == 1
    assert await stack.customer("bot@spam.example") is None
