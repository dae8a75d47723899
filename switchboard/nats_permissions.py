"""Who may do what on NATS: each service connects as its own user, allowed only its own
subjects, durable consumers, buckets and reply inbox (issue 16, item 2).

What a service may publish is what it produces (ingest: `sb.inbound.>`; routing, history,
notifier: their own `sb.events.<service>.>` through their relay, and their deadlines'
schedules), its dead letters, and the JetStream API calls that read its own consumers and
buckets. It may not create, change, purge or delete streams: the `admin` user declares them
once (`switchboard streams`, compose's `streams` container), so a service taken over can
neither shorten a stream's retention nor copy it elsewhere (a stream's `republish`). Replies
come back on the service's own inbox prefix (`_INBOX_<service>`), the one thing it may
subscribe to: with `_INBOX.>` it could read the messages pulled by every other service.

`up` runs every service in one process: one trust domain, one user (switchboard/nats_server).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from events import Deadline
from switchboard.credentials import CREDENTIALS_BUCKET
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import (
    DEAD_LETTERS,
    EVENTS,
    INBOUND,
    LEASE_BUCKET,
    RAW_EMAIL_BUCKET,
    RELAY_BUCKET,
    REPLIES_BUCKET,
    TIMERS,
    VOICE_BUCKET,
)
from switchboard.sessions import SESSIONS_BUCKET

# Routing's consumers on EVENTS that scheduled deadlines before its relay did
# (services/routing/deadlines.py); routing drains and deletes them.
RETIRED_SCHEDULERS = (
    "routing-identify-scheduler",
    "routing-wait-scheduler",
    "routing-scheduler",
    "routing-wrapup-scheduler",
    "routing-pending-scheduler",
    "routing-snooze-scheduler",
)

ADMIN_USER = "admin"
API = "$JS.API"


def inbox_prefix(service: str) -> str:
    return f"_INBOX_{service}"


@dataclass(frozen=True)
class ServiceAccess:
    """What one service does on NATS, read off its code (tests/security/test_nats_permissions
    checks this against the consumers the services really declare, and runs them)."""

    publishes: tuple[str, ...]
    # Stream -> the service's durable consumers on it.
    consumers: dict[str, tuple[str, ...]]
    # Key-value buckets -> the keys it writes ("*" every key; ">" any depth), one or several.
    buckets: dict[str, str | tuple[str, ...]]
    object_stores: tuple[str, ...] = ()
    # Streams it reads through ephemeral (ordered) consumers.
    ephemeral_reads: tuple[str, ...] = ()
    # Streams it deletes single messages from (erasure: services/history/erasure.py).
    deletes_from: tuple[str, ...] = ()
    # Durable consumers drained then deleted: from before INBOUND's partitions, and
    # routing's schedulers from before its relay scheduled deadlines.
    legacy_consumers: dict[str, tuple[str, ...]] = field(default_factory=dict)


# Where a service's deadlines are declared, when it is not routing (voice's deadlines are
# routing's, services/routing/voice_calls.py).
DEADLINE_MODULES = {
    "events.notifier": "notifier",
    "events.reports": "reports",
    "events.sla": "sla",
    # Documents and approvals run inside history (services/documents/wiring.py).
    "events.documents": "history",
}


def deadline_kinds(service: str) -> list[str]:
    """The kinds of deadline a service schedules."""
    kinds = {cls.kind: cls.__module__ for cls in _subclasses(Deadline) if "kind" in cls.__dict__}
    return sorted(
        k for k, module in kinds.items() if DEADLINE_MODULES.get(module, "routing") == service
    )


def _subclasses(cls: type[Deadline]) -> Iterable[type[Deadline]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def service_access(partitions: int) -> dict[str, ServiceAccess]:
    def schedules(service: str) -> tuple[str, ...]:
        return tuple(f"sb.timers.{kind}.>" for kind in deadline_kinds(service))

    return {
        "ingest": ServiceAccess(
            publishes=("sb.inbound.>",),
            consumers={EVENTS: ("ingest-replies", "voice-bridge")},
            buckets={
                REPLIES_BUCKET: "*",
                VOICE_BUCKET: "*",
                SESSIONS_BUCKET: "*",
                CREDENTIALS_BUCKET: "*",
            },
            object_stores=(RAW_EMAIL_BUCKET,),
        ),
        "routing": ServiceAccess(
            publishes=("sb.events.routing.>", *schedules("routing")),
            consumers={
                INBOUND: tuple(inbound_consumer_names("routing", partitions)),
                EVENTS: (
                    "routing-identities",
                    "routing-erasures",
                    "routing-bridge-scheduler",
                    "routing-callback-scheduler",
                    "routing-callback-request-scheduler",
                    "routing-follow-up-scheduler",
                    "routing-document-sends",
                    "routing-sla-actions",
                    "routing-sla-acks",
                    "routing-status-updates",
                ),
                TIMERS: (
                    "routing-identify-deadlines",
                    "routing-deadlines",
                    "routing-wait-deadlines",
                    "routing-presence-deadlines",
                    "routing-wrapup-deadlines",
                    "routing-conversation-deadlines",
                    "routing-bridge-deadlines",
                    "routing-callback-deadlines",
                    "routing-follow-up-deadlines",
                ),
            },
            buckets={RELAY_BUCKET: "routing", SESSIONS_BUCKET: "*", CREDENTIALS_BUCKET: "*"},
            legacy_consumers={INBOUND: ("routing",), EVENTS: RETIRED_SCHEDULERS},
        ),
        "history": ServiceAccess(
            publishes=("sb.events.history.>", "sb.events.documents.>", *schedules("history")),
            consumers={
                INBOUND: tuple(inbound_consumer_names("history", partitions)),
                EVENTS: (
                    "history-routing",
                    "history-erasures",
                    "history-documents",
                    "documents-approval-scheduler",
                    "documents-away-approvers",
                ),
                TIMERS: ("documents-approval-deadlines",),
            },
            buckets={
                RELAY_BUCKET: ("history", "documents"),
                SESSIONS_BUCKET: "*",
                CREDENTIALS_BUCKET: "*",
                # Erasure purges the person's calls and raw mails.
                VOICE_BUCKET: "*",
            },
            object_stores=(RAW_EMAIL_BUCKET,),
            legacy_consumers={INBOUND: ("history",)},
            # Erasure scans these streams and deletes the person's messages by sequence.
            ephemeral_reads=(INBOUND, EVENTS, DEAD_LETTERS),
            deletes_from=(INBOUND, EVENTS, DEAD_LETTERS),
        ),
        "notifier": ServiceAccess(
            publishes=("sb.events.notifier.>", *schedules("notifier")),
            consumers={
                EVENTS: (
                    "notifier-escalations",
                    "notifier-flags",
                    "notifier-owners",
                    "notifier-erasures",
                    "notifier-documents",
                    "notifier-sla",
                ),
                TIMERS: ("notifier-retries",),
            },
            buckets={RELAY_BUCKET: "notifier", SESSIONS_BUCKET: "*", CREDENTIALS_BUCKET: "*"},
            # The desks' live feed (services/notifier/live.py).
            ephemeral_reads=(EVENTS,),
        ),
        # Reads only public events; e-mails scheduled reports itself (services/reports/app.py).
        "reports": ServiceAccess(
            publishes=schedules("reports"),
            consumers={
                EVENTS: ("reports-routing", "reports-history"),
                TIMERS: ("reports-schedules",),
            },
            buckets={SESSIONS_BUCKET: "*", CREDENTIALS_BUCKET: "*"},
        ),
        "sla": ServiceAccess(
            publishes=("sb.events.sla.>", *schedules("sla")),
            consumers={EVENTS: ("sla-contacts",), TIMERS: ("sla-deadlines",)},
            buckets={RELAY_BUCKET: "sla", SESSIONS_BUCKET: "*", CREDENTIALS_BUCKET: "*"},
        ),
    }


def _consumer_subjects(stream: str, durable: str) -> list[str]:
    return [
        f"{API}.CONSUMER.INFO.{stream}.{durable}",
        # Binding creates the durable when missing (nats-py names the filter in the subject).
        f"{API}.CONSUMER.CREATE.{stream}.{durable}",
        f"{API}.CONSUMER.CREATE.{stream}.{durable}.>",
        f"{API}.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"{API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
        f"sb.deadletter.{durable}",
    ]


def _ephemeral_subjects(stream: str) -> list[str]:
    return [
        # Subscribing by subject first looks the stream up by it (names only).
        f"{API}.STREAM.NAMES",
        f"{API}.CONSUMER.CREATE.{stream}",
        f"$JS.FC.{stream}.>",
    ]


def _stored_read_subjects(stream: str) -> list[str]:
    return [
        f"{API}.STREAM.INFO.{stream}",
        f"{API}.DIRECT.GET.{stream}",
        f"{API}.DIRECT.GET.{stream}.>",
        f"{API}.STREAM.MSG.GET.{stream}",
    ]


def publish_allowed(access: ServiceAccess) -> list[str]:
    subjects = [f"{API}.INFO", *access.publishes]
    for stream in access.consumers.keys() | access.legacy_consumers.keys():
        subjects.append(f"{API}.STREAM.INFO.{stream}")
    if any(access.consumers.values()):
        subjects.append(f"{API}.STREAM.INFO.{DEAD_LETTERS}")
    for stream, durables in access.consumers.items():
        for durable in durables:
            subjects += _consumer_subjects(stream, durable)
            # Which replica reads it, and who waits for it (switchboard/consumer_leases.py).
            subjects += [f"$KV.{LEASE_BUCKET}.{durable}", f"$KV.{LEASE_BUCKET}.{durable}.wanted"]
    if any(access.consumers.values()):
        subjects += _stored_read_subjects(f"KV_{LEASE_BUCKET}")
    for stream, durables in access.legacy_consumers.items():
        for durable in durables:
            subjects += [
                f"{API}.CONSUMER.INFO.{stream}.{durable}",
                f"{API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
                f"{API}.CONSUMER.DELETE.{stream}.{durable}",
                f"$JS.ACK.{stream}.{durable}.>",
                f"sb.deadletter.{durable}",
            ]
    for stream in access.ephemeral_reads:
        subjects += [f"{API}.STREAM.INFO.{stream}", *_ephemeral_subjects(stream)]
    for stream in access.deletes_from:
        subjects.append(f"{API}.STREAM.MSG.DELETE.{stream}")
    for bucket, keys in access.buckets.items():
        subjects += _stored_read_subjects(f"KV_{bucket}")
        subjects += [f"$KV.{bucket}.{key}" for key in ((keys,) if isinstance(keys, str) else keys)]
    for store in access.object_stores:
        stream = f"OBJ_{store}"
        subjects += [
            *_stored_read_subjects(stream),
            *_ephemeral_subjects(stream),
            f"$O.{store}.>",
            # Replacing an object purges its old chunks.
            f"{API}.STREAM.PURGE.{stream}",
        ]
    return sorted(set(subjects))


def permissions(service: str, access: ServiceAccess) -> dict[str, dict[str, list[str]]]:
    return {
        "publish": {"allow": publish_allowed(access)},
        "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]},
    }


def password_variable(user: str) -> str:
    return f"NATS_{user.upper()}_PASSWORD"


def authorization_block(partitions: int, passwords: dict[str, str] | None = None) -> str:
    """nats-server's `authorization { users: [...] }`: the admin, then one user per service.
    Passwords are the given ones, else references to environment variables (compose's
    `NATS_<USER>_PASSWORD`, required there), never written into a committed file."""

    def password(user: str) -> str:
        if passwords is None:
            return f"${password_variable(user)}"
        return _quoted(passwords[user])

    lines = ["authorization {", "  users: ["]
    lines.append(f"    {{user: {ADMIN_USER}, password: {password(ADMIN_USER)}}}")
    for service, access in service_access(partitions).items():
        perms = permissions(service, access)
        lines.append(f"    {{user: {service}, password: {password(service)}, permissions: {{")
        for kind, rules in perms.items():
            lines.append(f"      {kind}: {{allow: [")
            lines += [f"        {_quoted(subject)}" for subject in rules["allow"]]
            lines.append("      ]}")
        lines.append("    }}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    assert '"' not in text and "\\" not in text, text
    return f'"{text}"'


USERS = (ADMIN_USER, "ingest", "routing", "history", "notifier", "reports", "sla")


COMPOSE_CERT_DIR = "/etc/nats/certs"


def server_config(
    partitions: int, cert_dir: str = COMPOSE_CERT_DIR, passwords: dict[str, str] | None = None
) -> str:
    """What compose's nodes read (deploy/nats/nats.conf, `switchboard nats-config`): clients
    over TLS with the users above; routes between nodes over mutual TLS, so only a node
    holding a certificate our CA signed (deploy/make-certs.sh) joins the cluster. Ports,
    names and routes come on each node's command line."""
    certs = [
        f'cert_file: "{cert_dir}/nats.pem"',
        f'key_file: "{cert_dir}/nats-key.pem"',
        f'ca_file: "{cert_dir}/ca.pem"',
        "timeout: 5",
    ]
    lines = [
        "# Made by `switchboard nats-config` from switchboard/nats_permissions.py: edit that,",
        "# then run `switchboard nats-config > deploy/nats/nats.conf` (a test compares them).",
        "tls {",
        *(f"  {c}" for c in certs),
        "}",
        "cluster {",
        "  tls {",
        *(f"    {c}" for c in certs),
        "    verify: true",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n" + authorization_block(partitions, passwords)
