"""The operator's configuration file (switchboard.toml), validated."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from schemas.documents_config import DocumentsConfig
from schemas.follow_up_config import FollowUpConfig
from schemas.languages import BusinessNumber, LanguagesConfig, LanguageTag, known_time_zone
from schemas.reports_config import ReportsConfig
from schemas.request_types import RequestType, StatusUpdates
from schemas.rules import agent_rule, contact_rule
from schemas.sla_config import SlaConfig

Role = Literal["agent", "supervisor"]
NotifyChannel = Literal["desk", "email", "sms"]
NOTIFY_DEFAULT: tuple[NotifyChannel, ...] = ("desk", "email")
# What `switchboard password` prints: argon2id (PHC string), or the PBKDF2 hashes made
# before, pbkdf2_sha256$<iterations>$<salt>$<hash> (switchboard/passwords.py).
PASSWORD_HASH = (
    r"^(pbkdf2_sha256\$[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
    r"|\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)$"
)


class Person(BaseModel):
    """An agent or a supervisor. `supervisor` builds the escalation hierarchy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str
    role: Role = "agent"
    email: str | None = None
    phone: str | None = None
    supervisor: str | None = None
    # Concurrent work per kind: a call blocks everything else (voice is always 1).
    capacity: dict[str, int] = Field(default_factory=lambda: {"messaging": 3, "email": 5})
    # Routing: skills with levels (1-10) and the languages the person works in.
    skills: dict[str, Annotated[int, Field(ge=1, le=10)]] = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=list)
    # Signs the person in to the desk or console; unset: they cannot sign in.
    password_hash: str | None = Field(default=None, pattern=PASSWORD_HASH, repr=False)
    # How the notifier tells them of escalations and flags: the live desk, e-mail (to
    # `email`), SMS (to `phone`, through channels.twilio).
    notify: list[NotifyChannel] = Field(default_factory=lambda: list(NOTIFY_DEFAULT))
    # The desk's and console's language (en, ru, tr; unset: the browser's) and the IANA
    # time zone their times show in (unset: the browser's).
    locale: LanguageTag | None = None
    time_zone: Annotated[str | None, AfterValidator(known_time_zone)] = None

    @field_validator("capacity")
    @classmethod
    def _known_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - {"messaging", "email"}
        if unknown:
            raise ValueError(f"capacity: unknown kinds {sorted(unknown)} (messaging, email)")
        if any(n < 1 for n in value.values()):
            raise ValueError("capacity: each kind needs at least 1")
        return value


ContactRule = Annotated[str, AfterValidator(contact_rule)]
AgentRule = Annotated[str, AfterValidator(agent_rule)]
Strategy = Literal["least-busy", "longest-idle", "round-robin", "best-skill"]


class LadderStep(BaseModel):
    """One rung of a queue's escalation ladder.

    - `agents`: offer to the queue's agents, up to `tries` of them (all who qualify if unset);
    - `overflow`: widen to more agents, given by an `agents` rule (e.g. a lower skill level)
      or another `queue`'s agents, up to `tries` of them;
    - `supervisor`: to the supervisor of the last person offered, then theirs, `levels` rungs
      up (to the top if unset). Must come last.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: Literal["agents", "overflow", "supervisor"]
    tries: int | None = Field(default=None, ge=1)
    agents: AgentRule | None = None
    queue: str | None = None
    levels: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> LadderStep:
        if self.step == "overflow" and (self.agents is None) == (self.queue is None):
            raise ValueError("an overflow step names either `agents` or `queue`")
        if self.step != "overflow" and (self.agents or self.queue):
            raise ValueError(f"a {self.step} step takes no `agents` or `queue`")
        if self.step != "supervisor" and self.levels is not None:
            raise ValueError("`levels` belongs to a supervisor step")
        if self.step == "supervisor" and self.tries is not None:
            raise ValueError("a supervisor step takes `levels`, not `tries`")
        return self


DEFAULT_LADDER = (LadderStep(step="agents"), LadderStep(step="supervisor"))


class QueueConfig(BaseModel):
    """A queue: which contacts it takes, which agents serve it and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    # Over channel, language, topic, tier, source, attributes.<x>; unset: every contact.
    match: ContactRule | None = None
    # Over id, role, supervisor, languages, skills.<x>; unset: every agent.
    agents: AgentRule | None = None
    strategy: Strategy = "least-busy"
    # best-skill offers to the agent with the highest level in this skill first.
    skill: str | None = None
    priority: int = 0
    # Each rung climbed raises the contact's priority by this much.
    priority_step: int = 1
    # Unset: the [routing] values.
    offer_timeout_seconds: float | None = Field(default=None, gt=0)
    escalation_timeout_seconds: float | None = Field(default=None, gt=0)
    max_wait_seconds: float | None = Field(default=None, gt=0)
    sla_seconds: float | None = Field(default=None, gt=0)
    wrap_up_seconds: float | None = Field(default=None, ge=0)
    supervisor: str | None = None
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER
    # Account owners: a contact of a customer with an owner goes to the owner first, for
    # owner_timeout_seconds, then to the owner's team, then the ladder above. Only for
    # customers of `owner_tiers` (empty: every tier, and customers without one).
    owner_first: bool = True
    owner_timeout_seconds: float = Field(default=30, gt=0)
    owner_tiers: list[str] = Field(default_factory=list)
    # Calls in this queue: "from-answer" records the conference (dual channel: agent and
    # customer apart) once the agent is connected, after the caller heard the announcement.
    record: Literal["none", "from-answer"] = "none"

    @model_validator(mode="after")
    def _sound(self) -> QueueConfig:
        if self.strategy == "best-skill" and not self.skill:
            raise ValueError(f"queue {self.name}: best-skill needs `skill`")
        if not self.ladder:
            raise ValueError(f"queue {self.name}: the ladder needs at least one step")
        if any(s.step == "supervisor" for s in self.ladder[:-1]):
            raise ValueError(f"queue {self.name}: a supervisor step must be the last")
        if self.ladder[0].step != "agents":
            raise ValueError(f"queue {self.name}: the ladder starts with an agents step")
        return self


ThreadBy = Literal["conversation", "sender", "topic", "none"]


class ConversationRule(BaseModel):
    """How a channel's messages form conversations (one contact each).

    - `thread`: "conversation" joins messages of the same customer identity, business
      endpoint and channel thread (chat, e-mail References); "sender" joins every message of
      the identity to the endpoint (e-mail: a new subject joins too); "none": each
      interaction is its own contact (web forms, calls).
    - `reopen_seconds`: a message this soon after the contact was resolved reopens it
      (offered to its last agent first); later ones open a new contact. 0: never reopen.
    - `pending_resolve_seconds`: a contact pending on the customer this long without an
      answer resolves itself; 0: it stays pending.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    thread: ThreadBy = "conversation"
    reopen_seconds: float = Field(default=600, ge=0)
    pending_resolve_seconds: float = Field(default=24 * 3600, ge=0)


# Chats reopen within minutes (a "thanks, one more thing"); e-mail threads within days, as
# help desks reopen solved tickets; forms and calls are one contact each.
DEFAULT_CONVERSATIONS: dict[str, ConversationRule] = {
    "email": ConversationRule(reopen_seconds=3 * 24 * 3600, pending_resolve_seconds=5 * 24 * 3600),
    "webform": ConversationRule(thread="none", reopen_seconds=0),
    "voice": ConversationRule(thread="none", reopen_seconds=0),
    "discourse": ConversationRule(thread="topic", reopen_seconds=3 * 24 * 3600),
}
CHAT_DEFAULT = ConversationRule()


class RoutingConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The queue for contacts that match no [[routing.queues]] entry.
    queue: str = "default"
    offer_timeout_seconds: float = Field(default=20, gt=0)
    escalation_timeout_seconds: float = Field(default=300, gt=0)
    # A contact nobody could be offered escalates to the queue's supervisor after this.
    max_wait_seconds: float = Field(default=120, gt=0)
    # Who that is; unset: the first supervisor in `people`.
    supervisor: str | None = None
    # An agent whose desk sends heartbeats is taken offline when none came for this long.
    heartbeat_timeout_seconds: float = Field(default=60, gt=0)
    # Service level: share of answered contacts taken within this many seconds.
    sla_seconds: float = Field(default=20, gt=0)
    # How long routing waits for history to say who the customer is (tier, last agent)
    # before routing without; 0 routes at once.
    identify_timeout_seconds: float = Field(default=2, ge=0)
    # A returning customer is first offered to the agent who last served them, for this
    # long; 0 turns sticky routing off.
    sticky_timeout_seconds: float = Field(default=10, ge=0)
    # After-contact work: a completed contact keeps its place in the agent's capacity this
    # long, or until the agent says they are ready; 0: the place is free at once.
    wrap_up_seconds: float = Field(default=0, ge=0)
    # Priority added for a customer's tier (from history), e.g. {vip = 10}.
    tier_priority: dict[str, int] = Field(default_factory=lambda: {"vip": 10})
    # First match wins.
    queues: list[QueueConfig] = Field(default_factory=list)
    # Per channel; channels not named here: the built-in defaults (chats thread by
    # conversation and reopen within 10 minutes; e-mail within 3 days; forms, calls: none).
    conversations: dict[str, ConversationRule] = Field(default_factory=dict)
    # What contacts are about, decided when they open (schemas/request_types.py).
    request_types: list[RequestType] = Field(default_factory=list)
    # Unset: customers are told nothing by Switchboard itself (schemas/request_types.py).
    status_updates: StatusUpdates | None = None
    follow_ups: FollowUpConfig = FollowUpConfig()  # schemas/follow_up_config.py

    def conversation_rule(self, channel: str) -> ConversationRule:
        if channel in self.conversations:
            return self.conversations[channel]
        return DEFAULT_CONVERSATIONS.get(channel, CHAT_DEFAULT)

    def effective_queues(self) -> list[QueueConfig]:
        """The configured queues, then the default queue (every contact, every agent) unless
        it is configured itself."""
        if any(q.name == self.queue for q in self.queues):
            return list(self.queues)
        return [*self.queues, QueueConfig(name=self.queue)]

    @model_validator(mode="after")
    def _queues_sound(self) -> RoutingConfig:
        names = [q.name for q in self.queues]
        if len(names) != len(set(names)):
            raise ValueError("routing.queues: duplicate name")
        known = {q.name for q in self.effective_queues()}
        for q in self.queues:
            for s in q.ladder:
                if s.queue is not None and s.queue not in known:
                    raise ValueError(f"routing.queues.{q.name}: unknown overflow queue {s.queue!r}")
        types = [t.name for t in self.request_types]
        if len(types) != len(set(types)):
            raise ValueError("routing.request_types: duplicate name")
        for t in self.request_types:
            if t.queue is not None and t.queue not in known:
                raise ValueError(f"routing.request_types.{t.name}.queue: unknown queue {t.queue!r}")
        return self


class NotifierConfig(BaseModel):
    """How hard the notifier tries: attempt n waits retry_base_seconds * 2^(n-1), at most
    retry_max_seconds; after max_attempts the notification is recorded as failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retry_base_seconds: float = Field(default=2, gt=0)
    retry_max_seconds: float = Field(default=300, gt=0)
    max_attempts: int = Field(default=8, ge=1, le=50)
    # SMS cost money and wake people: at most this many to one person an hour; beyond it
    # a notification is recorded as failed (the desk and e-mail still tell them).
    sms_per_hour: int = Field(default=20, ge=1)


class FormConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = ""
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")  # unset: ingest's
    language: LanguageTag | None = None  # the form page's; a submission's own `language` wins


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    default_region: str = "US"
    # Public (unsigned) routes, per client address: `form_burst` submissions at once, then
    # `form_per_hour` spread over the hour; more get 429 with Retry-After.
    form_burst: int = Field(default=10, ge=1)
    form_per_hour: float = Field(default=60, gt=0)


def _secret(value: str) -> str:
    """`env:NAME` reads the secret from the environment, so it need not sit in the file."""
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]
    return value


Secret = Annotated[str, AfterValidator(_secret), Field(repr=False)]


class TwilioConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    account_sid: str = ""
    auth_token: Secret = ""
    # Only for local demos without Twilio: requests are then accepted unsigned.
    verify_signatures: bool = True
    # Tests point the REST client at a local server speaking Twilio's API.
    api_base_url: str | None = None
    from_number: str | None = None
    greeting: str = "Thank you for calling. Please hold while we connect you to an agent."
    queue_name: str = "support"
    hold_music_url: str | None = None
    # Voice bridging (services/voice): how long the agent's phone rings before the offer
    # counts as expired and the call goes to the next agent; the backstop deadline adds
    # `bridge_grace_seconds` for Twilio's own report to arrive.
    agent_ring_seconds: int = Field(default=20, ge=5, le=600)
    bridge_grace_seconds: float = Field(default=10, gt=0)
    # Said to the caller before a recorded call connects (consent is the operator's duty).
    recording_announcement: str = "This call may be recorded for quality and training."
    # Queued callback: the caller presses this digit while waiting; the customer is called
    # back when an agent accepts, up to `callback_attempts` times, this far apart.
    callback_digit: str = Field(default="1", pattern=r"^[0-9*#]$")
    callback_attempts: int = Field(default=3, ge=1, le=10)
    callback_retry_seconds: float = Field(default=120, gt=0)
    # Per business number: the default region of who reaches it, and its language.
    numbers: list[BusinessNumber] = Field(default_factory=list)


class TelegramBot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Checked against X-Telegram-Bot-Api-Secret-Token; Telegram allows 1-256 of [A-Za-z0-9_-].
    secret_token: Annotated[Secret, Field(pattern=r"^[A-Za-z0-9_-]{1,256}$")]
    bot_token: Secret = ""
    api_base_url: str = "https://api.telegram.org"


class ApiChannel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    # HMAC-SHA256 key for X-Switchboard-Signature; an empty key would let anyone sign.
    secret: Annotated[Secret, Field(min_length=12)]


class MetaAccount(BaseModel):
    """A Facebook Page (Messenger) or Instagram professional account the app answers for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[0-9]{1,32}$")
    # The Page access token the Send API takes (for Instagram: the linked Page's token).
    access_token: Secret = ""


class MetaApp(BaseModel):
    """A Meta app whose webhooks (Messenger: object "page", Instagram: object "instagram") go
    to /channels/messenger/{name} and /channels/instagram/{name}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Keys X-Hub-Signature-256 (Meta's app secrets are 32 hex digits); anything short is a
    # placeholder anyone could guess.
    app_secret: Annotated[Secret, Field(min_length=16)]
    # What we told Meta to send as hub.verify_token when it checks the callback URL.
    verify_token: Annotated[Secret, Field(min_length=12)]
    pages: list[MetaAccount] = Field(default_factory=list)
    instagram_accounts: list[MetaAccount] = Field(default_factory=list)
    api_base_url: str = "https://graph.facebook.com"
    api_version: str = Field(default="v21.0", pattern=r"^v[0-9]+\.[0-9]+$")

    def account(self, channel: str, account_id: str) -> MetaAccount | None:
        accounts = self.pages if channel == "messenger" else self.instagram_accounts
        return next((a for a in accounts if a.id == account_id), None)


class VkCommunity(BaseModel):
    """A VK community whose Callback API server is /channels/vk/{group_id}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group_id: int = Field(gt=0)
    # The "Secret key" of the Callback API settings: VK sends it in every event's `secret`.
    secret: Annotated[Secret, Field(min_length=12, max_length=50, pattern=r"^[A-Za-z0-9]+$")]
    # The string VK asks the server to return when it confirms the address.
    confirmation_code: str = Field(min_length=1, max_length=64)
    # Community access token with the "messages" right, for messages.send.
    access_token: Secret = ""
    api_base_url: str = "https://api.vk.com"
    # 5.103 and later put the message under object.message (what we read).
    api_version: str = Field(default="5.199", pattern=r"^5\.[0-9]+$")


class DiscourseForum(BaseModel):
    """A Discourse forum whose webhook is /channels/discourse/{name}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    # Keys X-Discourse-Event-Signature; Discourse itself asks for at least 12 characters.
    webhook_secret: Annotated[Secret, Field(min_length=12)]
    # Category ids whose new posts are support requests; posts elsewhere are not ours.
    categories: list[int] = Field(min_length=1)
    # The forum itself, e.g. https://forum.example.com (its API is under the same URL).
    api_base_url: str = Field(pattern=r"^https?://")
    api_key: Secret = ""
    # The support account: replies are posted as it, and its own posts are never customers.
    api_username: str = Field(default="support", min_length=1, max_length=60)


class EmailChannel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2525
    max_message_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # The addresses we take mail for (RCPT TO); others get 550. Empty: any (a local demo);
    # a reply's From is only ever one of these, never an address a sender made up.
    mailboxes: list[str] = Field(default_factory=list)
    # Per sender (MAIL FROM) and per client address: a burst, then so many an hour; more get
    # a 451 (try later), as SMTP intends.
    sender_burst: int = Field(default=20, ge=1)
    sender_per_hour: float = Field(default=120, gt=0)

    @field_validator("mailboxes")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [m.strip().lower() for m in value]


class ChannelsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    twilio: TwilioConfig | None = None
    telegram: list[TelegramBot] = Field(default_factory=list)
    api: list[ApiChannel] = Field(default_factory=list)
    email: EmailChannel = EmailChannel()
    meta: list[MetaApp] = Field(default_factory=list)
    vk: list[VkCommunity] = Field(default_factory=list)
    discourse: list[DiscourseForum] = Field(default_factory=list)

    @model_validator(mode="after")
    def _social_ids_unique(self) -> ChannelsConfig:
        # Each becomes a webhook path segment (or, for pages, a reply's sender): one owner each.
        for what, ids in (
            ("meta", [a.name for a in self.meta]),
            ("meta pages", [p.id for a in self.meta for p in a.pages]),
            ("meta instagram_accounts", [p.id for a in self.meta for p in a.instagram_accounts]),
            ("vk", [c.group_id for c in self.vk]),
            ("discourse", [f.name for f in self.discourse]),
        ):
            if len(ids) != len(set(ids)):
                raise ValueError(f"channels.{what}: an id repeats")
        return self


class ApiToken(BaseModel):
    """A bearer token for a program: an integrator's system or an operator's tooling."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    role: Literal["integrator", "admin"]
    # Long enough that guessing is hopeless; write it as env:NAME to keep it out of the file.
    token: Annotated[Secret, Field(min_length=24)]
    # What an integrator's token reads: customers' cards and timelines, contacts (an
    # admin's reads everything). Empty: nothing beyond its own writes.
    scopes: list[Literal["customers", "contacts"]] = ["customers", "contacts"]


class AuthConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # How long a sign-in lasts before the desk asks again.
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    # A session nobody used for this long ends (an open desk keeps it alive).
    idle_minutes: float = Field(default=60, gt=0, le=24 * 60)
    tokens: list[ApiToken] = Field(default_factory=list)


class HistoryConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # An interaction whose identities belong to two customers merges them at once when
    # each was matched exactly by one of these kinds, vouched for by its channel
    # (services/history/identity_policy.py); otherwise a supervisor decides.
    auto_merge_on: list[str] = Field(default_factory=lambda: ["phone", "email"])
    # Customer tiers a supervisor may set ("vip" raises routing priority).
    tiers: list[str] = Field(default_factory=lambda: ["vip", "standard"])


class SwitchboardConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    people: list[Person] = Field(default_factory=list)
    routing: RoutingConfig = RoutingConfig()
    ingest: IngestConfig = IngestConfig()
    forms: list[FormConfig] = Field(default_factory=list)
    channels: ChannelsConfig = ChannelsConfig()
    auth: AuthConfig = AuthConfig()
    notifier: NotifierConfig = NotifierConfig()
    history: HistoryConfig = HistoryConfig()
    languages: LanguagesConfig = LanguagesConfig()
    sla: SlaConfig = SlaConfig()
    reports: ReportsConfig = ReportsConfig()
    documents: DocumentsConfig = DocumentsConfig()

    @model_validator(mode="after")
    def _hierarchy_is_sound(self) -> SwitchboardConfig:
        ids = [p.id for p in self.people]
        if len(ids) != len(set(ids)):
            raise ValueError("people: duplicate id")
        names = [t.name for t in self.auth.tokens]
        if len(set(names) | set(ids)) != len(names) + len(ids):
            raise ValueError("auth.tokens: a token name repeats or is also a person's id")
        known = set(ids)
        for p in self.people:
            if p.supervisor is not None and p.supervisor not in known:
                raise ValueError(f"people.{p.id}.supervisor: unknown person {p.supervisor!r}")
        if self.routing.supervisor is not None and self.routing.supervisor not in known:
            raise ValueError(f"routing.supervisor: unknown person {self.routing.supervisor!r}")
        for q in self.routing.queues:
            if q.supervisor is not None and q.supervisor not in known:
                raise ValueError(f"routing.queues.{q.name}.supervisor: unknown {q.supervisor!r}")
            unknown_tiers = sorted(set(q.owner_tiers) - set(self.history.tiers))
            if unknown_tiers:
                raise ValueError(
                    f"routing.queues.{q.name}.owner_tiers: unknown tiers {unknown_tiers}"
                    f" (history.tiers: {', '.join(self.history.tiers)})"
                )
        for p in self.people:  # a cycle would make escalation climb forever
            seen: set[str] = set()
            cur: str | None = p.id
            while cur is not None:
                if cur in seen:
                    raise ValueError(f"people.{p.id}: supervisor chain has a cycle")
                seen.add(cur)
                cur = self.person(cur).supervisor
        return self

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    def queue_supervisor(self) -> str | None:
        if self.routing.supervisor is not None:
            return self.routing.supervisor
        return next((p.id for p in self.people if p.role == "supervisor"), None)

    def form(self, form_id: str) -> FormConfig | None:
        return next((f for f in self.forms if f.id == form_id), None)

    @classmethod
    def load(cls, path: Path) -> SwitchboardConfig:
        with path.open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))
