"""Process settings from the environment (SWITCHBOARD_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchboard.batching import Batching

SERVE_LOG_POLL = 0.05  # seconds: replicas write the same stores


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    data_dir: Path = Path("data")
    config_file: Path = Path("switchboard.toml")
    # Unset: `switchboard up` runs its own nats-server under data_dir.
    nats_url: str | None = None
    nats_port: int = 4222
    # The child nats-server's monitoring endpoint (/varz, /connz), on loopback only: the
    # benches count NATS messages per contact there. Unset: none.
    nats_monitor_port: int | None = None
    # The CA that signed the NATS servers' certificates (tls:// URLs; deploy/make-certs.sh).
    nats_ca_file: Path | None = None
    # False where services connect with their own limited NATS users (compose): the streams
    # and buckets are declared once by `switchboard streams` as the admin user instead.
    declare_streams: bool = True
    # Unset: SQLite files under data_dir (unless eventsourcing's POSTGRES_* env is set).
    database_url: str | None = None
    # PostgreSQL for the per-person keys that seal personal data (docs/security.md), apart
    # from the stores: a copy of the stores alone reads no one. Unset: beside each store.
    keys_database_url: str | None = Field(default=None, repr=False)
    smtp_url: str | None = None
    smtp_from: str = "switchboard@localhost"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Where channels reach this process (Twilio signs this URL); unset: the address we see.
    public_url: str | None = None
    # Where people reach the API that links in notifications point to (agents, contacts);
    # unset: public_url, then the HTTP address we listen on.
    links_url: str | None = None
    # Addresses (or networks) whose X-Forwarded-For/-Proto headers are believed: the gateway's.
    # Behind it, people's cookies are then Secure; anyone else's headers are ignored.
    trusted_proxies: str = "127.0.0.1"
    # Overrides [channels.email] host: a container must listen on 0.0.0.0.
    smtp_listen_host: str | None = None
    # Signs session tokens; replicas must share it. Unset: one kept in data_dir/session.key.
    session_secret: str | None = Field(default=None, repr=False)
    # Copies JetStream keeps of each stream and bucket: 3 on a 3-node NATS cluster, so one
    # node may fail; 1 on a single server.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # How long streams keep messages (INBOUND, EVENTS, TIMERS, DEADLETTERS); 0: for ever.
    # The event stores are the truth: this bounds how far back a consumer can be replayed.
    stream_max_age_hours: float = Field(default=0, ge=0)
    # How long JetStream remembers a channel's message id to drop its retries.
    inbound_dedupe_window_seconds: float = 3600.0
    # INBOUND is split by partition key (a sender, an interaction, a contact); routing and
    # history read each partition in order, so replicas share up to this many partitions.
    # Every service must be given the same number (it is the stream's).
    inbound_partitions: int = Field(default=4, ge=1, le=64)
    # How many messages of a consumer (an INBOUND partition, routing's events for history...)
    # are fetched, and where they can be, decided in one transaction
    # (switchboard/inbound_batches.py). Unset: 64 under `up` and `serve`; under `serve` the
    # replica holding a consumer's lease reads it (switchboard/consumer_leases.py), since a
    # batch is decided only when it is everything its consumer has in flight, which
    # replicas fetching at once would keep handing back. Unset elsewhere (a runtime a test
    # starts): 1, one message in flight, which any number of readers can share.
    inbound_batch: int | None = Field(default=None, ge=1, le=256)
    # How long a batch reader whose consumer just had a backlog waits with a lone message
    # for the next ones, so that they share one transaction and one round of acks
    # (inbound_batches.py). 0: never waits. No effect with one message in flight.
    batch_linger_ms: float = Field(default=10.0, ge=0, le=1000)
    # How long the first message of a consumer that follows contacts rather than leads
    # them to an agent (reports, the timeline, SLA clocks, identification deadlines) waits
    # for the next ones, backlog or not: at a steady rate its batches are a moment's
    # messages rather than one each. What it records is that much later. 0: never waits.
    batch_window_ms: float = Field(default=100.0, ge=0, le=1000)
    # How often a log follower (an outbox relay, a projection) looks for events it was not
    # woken for, i.e. stored by another process. Unset: 1 s under `up`, where every writer
    # is this process and wakes them on commit; 0.05 s under `serve` (replicas).
    log_poll_seconds: float | None = Field(default=None, gt=0, le=60)
    # Set by `up`: this process is the only writer of its event stores, so an aggregate it
    # cached is current and is not read again from the store before each command. Never
    # where replicas (`serve`) write the same stores: they would decide from stale copies.
    sole_writer: bool = False
    # SQLite stores only: NORMAL (WAL) survives a crash, not a power cut, like the embedded
    # JetStream's default sync; FULL fsyncs every commit (switchboard/sqlite_store.py).
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"

    def batch(self) -> int:
        """Messages a consumer decides together (`inbound_batch`; unset: one at a time)."""
        return self.inbound_batch or 1

    def batching(self, follows: bool = False) -> Batching:
        """How a consumer fetches; `follows`: one that follows contacts (it waits out a window)."""
        window = self.batch_window_ms / 1000 if follows else 0.0
        return Batching(self.batch(), self.batch_linger_ms / 1000, window)

    def log_poll(self) -> float:
        return self.log_poll_seconds or SERVE_LOG_POLL

    def link_base(self) -> str:
        return self.links_url or self.public_url or f"http://{self.http_host}:{self.http_port}"

    def callback_base(self) -> str:
        """Where channels call back into this process (e.g. Twilio's delivery reports)."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"
