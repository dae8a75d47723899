"""Nothing that listens beyond loopback starts with a known secret (issue 16, item 1): the
demo runs on 127.0.0.1 with its demo passwords and Twilio token; the same configuration on
any other address refuses to start, naming each thing to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from schemas.config import ChannelsConfig, EmailChannel, SwitchboardConfig, TwilioConfig
from switchboard.exposure import known_secrets, listening_beyond_loopback, refuse_insecure_start
from switchboard.passwords import hash_password
from switchboard.settings import Settings
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO = SwitchboardConfig.load(ROOT / "switchboard.toml")
GOOD_SECRET = "0f3c9a51d27e4b68a1c5e9d04b7f2a63c8e1d95b"


def real_config() -> SwitchboardConfig:
    people = [
        p.model_copy(update={"password_hash": hash_password(f"{p.id}-s3cret!", iterations=1000)})
        for p in DEMO.people
    ]
    twilio = TwilioConfig(account_sid="AC" + "1" * 32, auth_token="a" * 32)
    channels = DEMO.channels.model_copy(update={"twilio": twilio})
    return DEMO.model_copy(update={"people": people, "channels": channels})


def test_the_demo_on_loopback_starts() -> None:
    settings = Settings(http_host="127.0.0.1")
    assert listening_beyond_loopback(settings, DEMO) == []
    refuse_insecure_start(settings, DEMO)  # no exception


def test_beyond_loopback_every_known_secret_is_named() -> None:
    settings = Settings(http_host="0.0.0.0")
    problems = known_secrets(settings, DEMO)
    assert any(p.startswith("SWITCHBOARD_SESSION_SECRET is not set") for p in problems)
    demo_people = {p.id for p in DEMO.people if p.password_hash}
    named = {p.split(".")[1] for p in problems if p.startswith("people.")}
    assert named == demo_people
    assert any(p.startswith("channels.twilio.auth_token") for p in problems)


def test_short_placeholder_and_unverified_are_refused_and_real_ones_pass() -> None:
    exposed = Settings(http_host="0.0.0.0", session_secret=GOOD_SECRET)
    assert known_secrets(exposed, real_config()) == []
    refuse_insecure_start(exposed, real_config())
    for secret in ("short", "change-me-to-a-long-random-key"):
        problems = known_secrets(
            exposed.model_copy(update={"session_secret": secret}), real_config()
        )
        assert problems and problems[0].startswith("SWITCHBOARD_SESSION_SECRET is short")
    unsigned = real_config().channels.twilio
    assert unsigned is not None
    channels = ChannelsConfig(twilio=unsigned.model_copy(update={"verify_signatures": False}))
    problems = known_secrets(exposed, real_config().model_copy(update={"channels": channels}))
    assert problems == ["channels.twilio.verify_signatures = false: anyone could post calls"]


def test_inbound_smtp_beyond_loopback_counts_too_and_needs_its_mailboxes() -> None:
    email = EmailChannel(host="0.0.0.0")
    config = DEMO.model_copy(update={"channels": DEMO.channels.model_copy(update={"email": email})})
    assert listening_beyond_loopback(Settings(http_host="127.0.0.1"), config) == ["SMTP on 0.0.0.0"]
    exposed = Settings(http_host="0.0.0.0", session_secret=GOOD_SECRET)
    real = real_config()
    open_relay = real.model_copy(
        update={"channels": real.channels.model_copy(update={"email": email})}
    )
    assert [p.split(" ")[0] for p in known_secrets(exposed, open_relay)] == [
        "channels.email.mailboxes"
    ]


def test_switchboard_up_on_every_address_with_the_demo_config_refuses_to_start(
    tmp_path: Path,
) -> None:
    (tmp_path / "switchboard.toml").write_text((ROOT / "switchboard.toml").read_text())
    env = {
        **os.environ,
        "SWITCHBOARD_HTTP_HOST": "0.0.0.0",
        "SWITCHBOARD_HTTP_PORT": str(free_port()),
        "SWITCHBOARD_DATA_DIR": str(tmp_path / "data"),
        "SWITCHBOARD_CONFIG_FILE": str(tmp_path / "switchboard.toml"),
    }
    env.pop("SWITCHBOARD_SESSION_SECRET", None)
    exe = Path(sys.executable).parent / "switchboard"
    done = subprocess.run(
        [str(exe), "up"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    [line] = [line for line in done.stderr.splitlines() if line.startswith("refusing")]
    assert "HTTP on 0.0.0.0" in line and "SWITCHBOARD_SESSION_SECRET" in line
    assert "people.alice.password_hash" in line and "channels.twilio.auth_token" in line
    assert not (tmp_path / "data" / "nats").exists()  # nothing was started
