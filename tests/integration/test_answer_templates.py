"""Standard answers over HTTP on a real nats-server, on SQLite and PostgreSQL: supervisors
manage them, an agent fills one for a contact from the customer's card."""

from __future__ import annotations

from tests.support.stack import Stack
from tests.support.waiting import eventually


async def test_agent_fills_a_standard_answer_from_the_card(stack: Stack) -> None:
    sam = await stack.signed_in("sam")
    alice = await stack.signed_in("alice")
    await stack.status("alice", "available")
    r = await stack.post_form(name="Ana Lima", email="ana@example.com", message="Refund?")
    assert r.status_code == 202, r.text
    [offer] = await eventually(lambda: stack.offers("alice"))
    contact = offer["contact_id"]

    hello = {
        "shortcut": "refund",
        "title": "Refund on its way",
        "body": "Dear {{ customer.first_name }}, your refund ({{ contact.reference }}) is"
        " on its way. {{ agent.name }}",
    }
    denied = await alice.post("/api/answer-templates", json=hello)
    assert denied.status_code == 403  # agents use answers; supervisors manage them
    created = await sam.post("/api/answer-templates", json=hello)
    assert created.status_code == 201, created.text
    assert created.json()["variables"] == ["agent", "contact", "customer"]
    again = await sam.post("/api/answer-templates", json=hello)
    assert again.status_code == 409

    filled = await alice.post(f"/api/contacts/{contact}/answers", json={"shortcut": "refund"})
    assert filled.status_code == 200, filled.text
    reference = "C-" + contact.replace("-", "")[:8].upper()
    assert filled.json()["text"] == (f"Dear Ana, your refund ({reference}) is on its way. Alice")

    broken = await sam.post(
        "/api/answer-templates",
        json={"shortcut": "order", "title": "Order", "body": "Order {{ order.number }} shipped"},
    )
    assert broken.status_code == 201
    missing = await alice.post(f"/api/contacts/{contact}/answers", json={"shortcut": "order"})
    assert missing.status_code == 400
    assert missing.json()["details"][0]["field"] == "body"
    assert "order" in missing.json()["details"][0]["problem"]

    escape = await sam.put(
        f"/api/answer-templates/{broken.json()['template_id']}",
        json={"title": "Order", "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
    )
    assert escape.status_code == 200  # it parses; it cannot run
    refused = await alice.post(f"/api/contacts/{contact}/answers", json={"shortcut": "order"})
    assert refused.status_code == 400
    assert "not allowed" in refused.json()["details"][0]["problem"]

    unparsable = await sam.post(
        "/api/answer-templates",
        json={"shortcut": "oops", "title": "Oops", "body": "Hi {{ customer.name "},
    )
    assert unparsable.status_code == 400
    assert unparsable.json()["details"][0]["field"] == "body"

    [listed, *_] = (await alice.get("/api/answer-templates")).json()
    assert (listed["shortcut"], listed["uses"]) == ("order", 0)
    uses = {t["shortcut"]: t["uses"] for t in (await alice.get("/api/answer-templates")).json()}
    assert uses == {"order": 0, "refund": 1}
    gone = await sam.delete(f"/api/answer-templates/{created.json()['template_id']}")
    assert gone.status_code == 204
    after = await alice.post(f"/api/contacts/{contact}/answers", json={"shortcut": "refund"})
    assert after.status_code == 404
