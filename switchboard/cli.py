"""The `switchboard` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from schemas.config import SwitchboardConfig
from switchboard.settings import Settings

SERVICES = ("ingest", "routing", "history", "notifier", "reports", "sla")


def _config(settings: Settings) -> SwitchboardConfig:
    return SwitchboardConfig.load(settings.config_file)


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.child_services import default_processes
    from switchboard.exposure import refuse_insecure_start
    from switchboard.runtime import up

    config = _config(settings)
    refuse_insecure_start(settings, config)
    up(settings, config, list(args.services), args.processes or default_processes())
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.exposure import refuse_insecure_start
    from switchboard.http_server import run_event_loop
    from switchboard.runtime import serve

    if not settings.nats_url:
        print("serve needs SWITCHBOARD_NATS_URL (use `up` for the embedded mode)", file=sys.stderr)
        return 2
    config = _config(settings)
    refuse_insecure_start(settings, config)
    run_event_loop(serve(settings, config, list(args.services), settings.nats_url))
    return 0


def cmd_streams(args: argparse.Namespace, settings: Settings) -> int:
    """Declares the streams and buckets (as the admin NATS user) for services that may not."""
    from switchboard.nats_connect import declare

    if not settings.nats_url:
        print("streams needs SWITCHBOARD_NATS_URL (the admin user's)", file=sys.stderr)
        return 2
    asyncio.run(declare(settings, _config(settings), settings.nats_url))
    print("streams and buckets declared")
    return 0


def cmd_nats_config(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.nats_permissions import server_config

    print(server_config(args.partitions or settings.inbound_partitions), end="")
    return 0


def cmd_agents(args: argparse.Namespace, settings: Settings) -> int:
    config = _config(settings)
    print(f"{'id':<12} {'role':<11} {'supervisor':<12} {'email':<28} name")
    for p in config.people:
        print(f"{p.id:<12} {p.role:<11} {p.supervisor or '-':<12} {p.email or '-':<28} {p.name}")
    return 0


def cmd_history_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from services.history.app import build_history_core

    projector = build_history_core(settings)
    last = projector.rebuild(_progress_bar)
    print(f"\ntimeline rebuilt up to notification {last}")
    projector.close()
    return 0


def cmd_reports_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from services.reports.app import build_reports_core

    projector = build_reports_core(settings)
    read = projector.rebuild(settings, _config(settings), _progress_bar)
    print(f"\nreports rebuilt from {read} stored events")
    projector.view.close()
    return 0


def _progress_bar(position: int, total: int) -> None:
    width = 40
    done = int(width * position / total) if total else width
    print(f"\r[{'#' * done}{'.' * (width - done)}] {position}/{total}", end="", flush=True)


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.contracts_doc import asyncapi_document, json_schemas

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "events.schema.json").write_text(json.dumps(json_schemas(), indent=2, default=str))
    (out / "asyncapi.json").write_text(json.dumps(asyncapi_document(), indent=2))
    print(f"wrote {out}/events.schema.json and {out}/asyncapi.json")
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from services.routing.simulation import Scenario, erlang_c, simulate

    if args.from_history:
        return _simulate_history(args, settings)
    if not 0 <= args.owner_share <= 1:
        print("--owner-share: a fraction from 0 to 1", file=sys.stderr)
        return 2
    scenario = Scenario(
        arrivals_per_hour=args.arrivals_per_hour,
        mean_handle_seconds=args.mean_handle_seconds,
        agents=args.agents or 5,
        sla_seconds=args.sla_seconds,
        hours=args.hours,
        seed=args.seed,
        sla=_config(settings).sla if args.sla else None,
    )
    run = simulate(scenario)
    # The same arrivals again, a share of them owned by agent000: the owners' effect.
    owners = simulate(replace(scenario, owner_share=args.owner_share)) if args.owner_share else None
    try:
        model = erlang_c(scenario)
    except ValueError as exc:
        model = None
        print(f"Erlang C: {exc}")
    heads = ["simulated", *([f"owners {args.owner_share:g}"] if owners else []), "Erlang C"]
    print(f"{'':<28}" + "".join(f"{h:>14}" for h in heads))
    rows = [
        ("contacts answered", "contacts"),
        (f"service level ({scenario.sla_seconds:.0f} s)", "service_level"),
        ("average speed of answer (s)", "average_speed_of_answer"),
        ("probability of waiting", "probability_of_waiting"),
        ("occupancy", "occupancy"),
        ("abandonment", "abandonment"),
    ]
    for label, field in rows:
        cells = [getattr(run, field), *([getattr(owners, field)] if owners else [])]
        closed = getattr(model, field) if model else None
        line = "".join(f"{v:>14.3f}" for v in cells) + (
            f"{'-':>14}" if closed is None else f"{closed:>14.3f}"
        )
        print(f"{label:<28}{line}")
    if run.sla_breach_rate is not None:
        cells = [run.sla_breach_rate, *([owners.sla_breach_rate] if owners else [])]
        line = "".join("{:>14}".format("-" if v is None else f"{v:.3f}") for v in cells)
        print(f"{'SLA breach rate':<28}{line}{'-':>14}")
    if owners:
        print(
            f"{'owned contacts answered':<28}{'-':>14}{owners.owned:>14.3f}{'-':>14}\n"
            f"{'  by their owner':<28}{'-':>14}{owners.owned_by_owner:>14.3f}{'-':>14}"
        )
    return 0


def _simulate_history(args: argparse.Namespace, settings: Settings) -> int:
    from services.reports.whatif import compare
    from switchboard.errors import BadInput

    recorded = _config(settings)
    proposed = SwitchboardConfig.load(Path(args.config)) if args.config else recorded
    try:
        print(compare(settings, recorded, proposed, args.from_history, args.agents))
    except BadInput as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


def cmd_password(args: argparse.Namespace, settings: Settings) -> int:
    """Prints the hash to put in `password_hash`; the password never reaches the file."""
    from switchboard.passwords import hash_password

    password = _read_password(args.stdin)
    if len(password) < 8 and not args.allow_short:
        print("a password needs at least 8 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def _read_password(from_stdin: bool) -> str:
    import getpass

    return sys.stdin.readline().rstrip("\n") if from_stdin else getpass.getpass()


def cmd_people(args: argparse.Namespace, settings: Settings) -> int:
    """`people add`: a new account in the configuration file; `people password`: a new
    password for every replica at once, ending the person's sessions."""
    from switchboard import people

    try:
        if args.people_command == "add":
            fields = {"id": args.id, "name": args.name, "role": args.role}
            fields |= {"email": args.email, "supervisor": args.supervisor}
            people.add_person(settings.config_file, fields, _read_password(args.stdin))
            print(f"{args.id} added to {settings.config_file}; restart the services to use it")
        else:
            password = _read_password(args.stdin)
            asyncio.run(people.change_password(settings, _config(settings), args.id, password))
            print(f"{args.id}'s password changed; their sessions have ended")
    except people.Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def cmd_sms(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.twilio_play import play_inbound_sms

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line of our own says it
    try:
        r = play_inbound_sms(settings, _config(settings), args.sender, args.text, args.to)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(r.status_code, "accepted" if r.status_code < 300 else r.text)
    return 0 if r.status_code < 300 else 1


def cmd_mailbox(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.mailbox import run_mailbox

    run_mailbox(args.host, args.port)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def services_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "services",
            nargs="*",
            metavar="SERVICE",
            help=f"which of {', '.join(SERVICES)} to run (default: all)",
        )

    up = sub.add_parser("up", help="run everything here: child nats-server, SQLite, HTTP")
    services_arg(up)
    up.add_argument(
        "--processes",
        type=int,
        choices=[1, 2],
        default=None,
        help="2: history, reports and SLA in a child process (default: 2 with 2 cores or more)",
    )
    up.set_defaults(run=cmd_up)
    serve = sub.add_parser("serve", help="run services against SWITCHBOARD_NATS_URL")
    services_arg(serve)
    serve.set_defaults(run=cmd_serve)
    streams = sub.add_parser("streams", help="declare the streams and buckets, then exit")
    streams.set_defaults(run=cmd_streams)
    nats_config = sub.add_parser(
        "nats-config", help="print compose's nats-server configuration (users, TLS)"
    )
    nats_config.add_argument("--partitions", type=int, help="INBOUND's (default: the setting)")
    nats_config.set_defaults(run=cmd_nats_config)
    sub.add_parser("agents", help="list agents and supervisors").set_defaults(run=cmd_agents)
    history = sub.add_parser("history", help="history read model tools")
    hsub = history.add_subparsers(dest="history_command", required=True)
    hsub.add_parser("rebuild", help="drop and rebuild the timeline").set_defaults(
        run=cmd_history_rebuild
    )
    reports = sub.add_parser("reports", help="reports read model tools")
    rsub = reports.add_subparsers(dest="reports_command", required=True)
    rsub.add_parser("rebuild", help="drop and rebuild the reports from the stores").set_defaults(
        run=cmd_reports_rebuild
    )
    schema = sub.add_parser("schema", help="export event JSON Schemas and AsyncAPI")
    schema.add_argument("--out", default="docs/contracts")
    schema.set_defaults(run=cmd_schema)
    sim = sub.add_parser("simulate", help="the real routing code under a virtual clock")
    sim.add_argument("--arrivals-per-hour", type=float, default=315)
    sim.add_argument("--mean-handle-seconds", type=float, default=40)
    sim.add_argument("--agents", type=int, default=None, help="default: 5, or as configured")
    sim.add_argument(
        "--from-history",
        metavar="START..END",
        help="replay the recorded contacts of this window (reports read model)",
    )
    sim.add_argument("--config", help="with --from-history: the proposed switchboard.toml")
    sim.add_argument("--sla-seconds", type=float, default=20)
    sim.add_argument("--hours", type=float, default=8)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument(
        "--owner-share",
        type=float,
        default=0.0,
        help="fraction of arrivals owned by one agent (agent000); shown beside the baseline",
    )
    sim.add_argument(
        "--sla",
        action="store_true",
        help="run the config file's [sla] policies beside routing; reports the breach rate",
    )
    sim.set_defaults(run=cmd_simulate)
    password = sub.add_parser("password", help="hash a password for [[people]] password_hash")
    password.add_argument("--stdin", action="store_true", help="read it from standard input")
    password.add_argument("--allow-short", action="store_true", help="for demos only")
    password.set_defaults(run=cmd_password)
    people = sub.add_parser("people", help="real accounts: add people, change passwords")
    psub = people.add_subparsers(dest="people_command", required=True)
    add = psub.add_parser("add", help="append a person to the configuration file")
    add.add_argument("id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["agent", "supervisor"], default="agent")
    add.add_argument("--email")
    add.add_argument("--supervisor")
    change = psub.add_parser("password", help="change a password (on every replica)")
    change.add_argument("id")
    for sp in (add, change):
        sp.add_argument("--stdin", action="store_true", help="read the password from stdin")
        sp.set_defaults(run=cmd_people)
    sms = sub.add_parser(
        "sms", help="play Twilio: send this Switchboard a signed inbound SMS (no account needed)"
    )
    sms.add_argument("--from", dest="sender", required=True, help="the customer's number")
    sms.add_argument("--to", default=None, help="our number (default: from_number)")
    sms.add_argument("text")
    sms.set_defaults(run=cmd_sms)
    mailbox = sub.add_parser("mailbox", help="a local SMTP server that prints what it gets")
    mailbox.add_argument("--host", default="127.0.0.1")
    mailbox.add_argument("--port", type=int, default=2526)
    mailbox.set_defaults(run=cmd_mailbox)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    p = parser()
    args = p.parse_args(argv)
    if hasattr(args, "services"):
        unknown = set(args.services) - set(SERVICES)
        if unknown:
            p.error(f"unknown service(s): {', '.join(sorted(unknown))}")
        args.services = args.services or list(SERVICES)
    settings = Settings()
    code: int = args.run(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
