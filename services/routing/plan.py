"""The routing configuration compiled for use: queues with their rules evaluated once
against every agent, so deciding never parses or re-evaluates anything per contact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.config import LadderStep, Person, QueueConfig, RoutingConfig, Strategy
from schemas.rules import AGENT_FACTS, CONTACT_FACTS, Rule
from services.routing.policy import Timeouts, team_of, with_ladder_end


def agent_facts(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "role": person.role,
        "supervisor": person.supervisor,
        "languages": person.languages,
        "skills": person.skills,
    }


@dataclass(frozen=True)
class QueuePlan:
    name: str
    match: Rule
    ladder: tuple[LadderStep, ...]
    strategy: Strategy
    skill: str | None
    priority: int
    priority_step: int
    timeouts: Timeouts
    max_wait_seconds: float
    sla_seconds: float
    wrap_up_seconds: float
    supervisor: str | None
    # agent id -> the first ladder step whose agents include them; absent: never offered
    reach: Mapping[str, int]
    owner_first: bool = True
    owner_tiers: frozenset[str] = frozenset()  # empty: every tier

    def owners_first_for(self, tier: str | None) -> bool:
        """Whether an owned customer of `tier` goes to their owner first in this queue."""
        return self.owner_first and (not self.owner_tiers or tier in self.owner_tiers)

    def skill_of(self, person: Person) -> int:
        return person.skills.get(self.skill, 0) if self.skill else 0


class RoutingPlan:
    def __init__(
        self, people: list[Person], config: RoutingConfig, default_supervisor: str | None
    ) -> None:
        self.people = {p.id: p for p in people}
        self.agents = [p for p in people if p.role == "agent"]
        self.supervisors = {p.id: p.supervisor for p in people}
        self.default_queue = config.queue
        configured = config.effective_queues()
        by_name = {q.name: q for q in configured}
        self.queues = [self._compile(q, by_name, config, default_supervisor) for q in configured]
        self.by_name = {q.name: q for q in self.queues}
        self.tier_priority = dict(config.tier_priority)
        self.type_queues = {t.name: t.queue for t in config.request_types if t.queue}
        # Each agent's team, for the account owner's team step.
        self.teams = {a.id: team_of(a.id, self.supervisors) for a in self.agents}

    def _targets(self, rule_text: str | None) -> set[str]:
        rule = Rule(rule_text or "True", AGENT_FACTS)
        return {p.id for p in self.agents if rule(agent_facts(p))}

    def _compile(
        self,
        q: QueueConfig,
        by_name: Mapping[str, QueueConfig],
        config: RoutingConfig,
        default_supervisor: str | None,
    ) -> QueuePlan:
        ladder = with_ladder_end(q.ladder)
        reach: dict[str, int] = {}
        for index, step in enumerate(ladder):
            if step.step == "supervisor":
                continue
            if step.step == "agents":
                rule = q.agents
            else:
                rule = step.agents or by_name[step.queue or ""].agents
            for agent_id in self._targets(rule):
                reach.setdefault(agent_id, index)
        return QueuePlan(
            name=q.name,
            match=Rule(q.match or "True", CONTACT_FACTS),
            ladder=ladder,
            strategy=q.strategy,
            skill=q.skill,
            priority=q.priority,
            priority_step=q.priority_step,
            timeouts=Timeouts(
                offer=q.offer_timeout_seconds or config.offer_timeout_seconds,
                escalation=q.escalation_timeout_seconds or config.escalation_timeout_seconds,
                sticky=config.sticky_timeout_seconds,
                owner=q.owner_timeout_seconds,
            ),
            max_wait_seconds=q.max_wait_seconds or config.max_wait_seconds,
            sla_seconds=q.sla_seconds or config.sla_seconds,
            # 0 is a value here (no wrap-up in this queue), not "unset".
            wrap_up_seconds=(
                config.wrap_up_seconds if q.wrap_up_seconds is None else q.wrap_up_seconds
            ),
            supervisor=q.supervisor or default_supervisor,
            reach=reach,
            owner_first=q.owner_first,
            owner_tiers=frozenset(q.owner_tiers),
        )

    def queue_for(self, facts: Mapping[str, Any]) -> QueuePlan:
        """The request type's queue, or the first queue whose rule matches; the default
        queue otherwise."""
        typed = self.type_queues.get(facts.get("request_type") or "")
        if typed is not None:
            return self.by_name[typed]
        for q in self.queues:
            if q.match(facts):
                return q
        return self.by_name[self.default_queue]

    def priority_for(self, queue: QueuePlan, tier: str | None) -> int:
        return queue.priority + (self.tier_priority.get(tier, 0) if tier else 0)

    def queues_of(self, agent_id: str) -> list[QueuePlan]:
        return [q for q in self.queues if agent_id in q.reach]
