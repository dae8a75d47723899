"""Rules in the config file: what they may say, and what they mean."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.config import LadderStep, QueueConfig, RoutingConfig
from schemas.rules import AGENT_FACTS, CONTACT_FACTS, Rule, RuleError


def test_contact_rules_match_on_facts() -> None:
    rule = Rule('channel in ("sms", "whatsapp") and tier == "vip"', CONTACT_FACTS)
    assert rule({"channel": "sms", "tier": "vip"})
    assert not rule({"channel": "sms", "tier": None})
    assert not rule({"channel": "email", "tier": "vip"})
    assert Rule('attributes.plan == "gold"', CONTACT_FACTS)({"attributes": {"plan": "gold"}})
    assert not Rule('not (language == "de")', CONTACT_FACTS)({"language": "de"})


def test_agent_rules_read_skill_levels_and_languages() -> None:
    rule = Rule('skills.billing >= 2 and "de" in languages', AGENT_FACTS)
    assert rule({"skills": {"billing": 3}, "languages": ["de", "en"]})
    assert not rule({"skills": {"billing": 1}, "languages": ["de"]})
    assert not rule({"skills": {}, "languages": ["de"]})  # no skill: level 0


def test_a_missing_fact_never_matches_an_ordering() -> None:
    assert not Rule("language < 'm'", CONTACT_FACTS)({"language": None})
    assert not Rule("'x' in attributes", CONTACT_FACTS)({})
    assert Rule("topic == None", CONTACT_FACTS)({})


@pytest.mark.parametrize(
    "source",
    [
        "chanel == 'sms'",  # a typo is caught when the config loads
        "__import__('os').system('true')",
        "channel.upper() == 'SMS'",
        "skills['x'] > 1",
        "language if tier else topic",
        "1 + 1 == 2",
        "lambda: 1",
        "channel ==",
        "skills.billing > 1",  # an agent fact in a contact rule
    ],
)
def test_anything_but_plain_comparisons_is_refused(source: str) -> None:
    with pytest.raises(RuleError):
        Rule(source, CONTACT_FACTS)


def test_the_config_refuses_bad_rules_and_unsound_ladders() -> None:
    with pytest.raises(ValidationError, match="unknown name 'chanel'"):
        QueueConfig(name="q", match="chanel == 'sms'")
    with pytest.raises(ValidationError, match="must be the last"):
        QueueConfig(
            name="q",
            ladder=(
                LadderStep(step="agents"),
                LadderStep(step="supervisor"),
                LadderStep(step="overflow", agents="True"),
            ),
        )
    with pytest.raises(ValidationError, match="either `agents` or `queue`"):
        LadderStep(step="overflow")
    with pytest.raises(ValidationError, match="best-skill needs `skill`"):
        QueueConfig(name="q", strategy="best-skill")
    with pytest.raises(ValidationError, match="unknown overflow queue"):
        RoutingConfig(
            queues=[
                QueueConfig(
                    name="q",
                    ladder=(LadderStep(step="agents"), LadderStep(step="overflow", queue="nope")),
                )
            ]
        )
    default = RoutingConfig(queues=[QueueConfig(name="vip", match="tier == 'vip'")])
    assert [q.name for q in default.effective_queues()] == ["vip", "default"]
