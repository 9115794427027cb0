"""``structures``: run the product.

structures dev                      the embedded default: three services, one process, SQLite, no broker
structures gateway|moderation|notifier
                                    one service against its configured database and Kafka (env variables)
structures webhooks                 the webhook dispatcher, beside the gateway (its settings; PostgreSQL only)
structures migrate gateway|moderation|notifier
                                    apply a service's database migrations and exit
structures moderation-cases [--since DATE] [--outcome MISSED|FALSE_FLAG|CONFIRMED]
                                    what moderators taught the art. 2 checks, as corpus candidates (TSV)
structures stack up|down|status     the local real stack: PostgreSQL, Kafka and an SMTP sink on loopback
"""

import argparse
import asyncio
import base64
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.errors import ConfigurationError
from shared.logging import configure_logging
from shared.settings import ServiceSettings, load_settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except ConfigurationError as error:
        print(f"structures: {error}", file=sys.stderr)  # noqa: T201
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="structures", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(required=True, metavar="command")
    dev = commands.add_parser("dev", help="run the embedded default (SQLite, in-process bus, e-mails to a folder)")
    dev.add_argument("--data-dir", type=Path, default=Path(".data"))
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000, help="gateway port; moderation and notifier take the next two")
    dev.set_defaults(run=_run_dev)
    for name in SERVICES:
        service = commands.add_parser(name, help=f"run the {name} service")
        service.add_argument(
            "--workers", type=int, default=1, help="processes accepting on the same port (PostgreSQL and Kafka only)"
        )
        service.set_defaults(run=_run_service, service=name)
    webhooks = commands.add_parser(
        "webhooks", help="run the webhook dispatcher (gateway settings; PostgreSQL and GATEWAY_WEBHOOK_SEALING_KEY)"
    )
    webhooks.set_defaults(run=_run_webhooks)
    migrate = commands.add_parser("migrate", help="apply a service's migrations")
    migrate.add_argument("service", choices=sorted(SERVICES))
    migrate.set_defaults(run=_run_migrate)
    load = commands.add_parser("load", help="fill the gateway's catalogue")
    load.add_argument("dataset", choices=["reference", "demo", "national"])
    load.add_argument("--scale", type=float, default=1.0, help="national: fraction of the ~300,000 structures")
    load.add_argument("--seed", type=int, default=59207, help="national: random seed (same seed, same data)")
    load.set_defaults(run=_run_load)
    commands.add_parser("keys", help="print a new sealing key pair").set_defaults(run=_run_keys)
    bootstrap = commands.add_parser(
        "bootstrap-caf-agent",
        help="create a Caf administrator (the first agent of a Caf; it creates and manages the others)",
    )
    bootstrap.add_argument("--caf", required=True, help="Caf code, e.g. CAF59")
    bootstrap.add_argument("--last-name", required=True)
    bootstrap.add_argument("--first-name", required=True)
    bootstrap.add_argument("--email", required=True)
    bootstrap.add_argument("--function", default="Agent de la Caf")
    bootstrap.set_defaults(run=_run_bootstrap)
    commands.add_parser(
        "schemas", help="rewrite <service>/schema.graphql from the code (breaking changes must be declared)"
    ).set_defaults(run=_run_schemas)
    cases = commands.add_parser(
        "moderation-cases",
        help="export what moderators' decisions taught the art. 2 checks, as corpus candidates (TSV on stdout)",
    )
    cases.add_argument("--since", type=datetime.fromisoformat, default=None, help="ISO date or date-time")
    cases.add_argument("--outcome", choices=["MISSED", "FALSE_FLAG", "CONFIRMED"], action="append")
    cases.set_defaults(run=_run_moderation_cases)
    stack = commands.add_parser("stack", help="the local real stack (PostgreSQL, Kafka, SMTP sink)")
    stack.add_argument("action", nargs=argparse.REMAINDER)
    stack.set_defaults(run=_run_stack)
    return parser


def _run_schemas(args: argparse.Namespace) -> int:
    from structures.schemas import DECLARED, write_schemas

    refused = write_schemas()
    if refused:
        print(f"Breaking changes not declared in {DECLARED}: add each line with its reason, or keep the field.")  # noqa: T201
        print("\n".join(refused))  # noqa: T201
        return 1
    return 0


def _run_dev(args: argparse.Namespace) -> int:
    from structures.embedded import EmbeddedSettings, run_embedded

    configure_logging("INFO", "text")
    embedded = EmbeddedSettings(
        data_dir=args.data_dir,
        host=args.host,
        gateway_port=args.port,
        moderation_port=args.port + 1,
        notifier_port=args.port + 2,
    )
    from shared.server import run

    run(run_embedded(embedded))
    return 0


def _run_service(args: argparse.Namespace) -> int:
    from shared.server import serve, serve_workers

    settings_class, factory = _service(args.service)
    settings = load_settings(settings_class)
    configure_logging(settings.log_level, settings.log_format)
    if args.workers < 1:
        raise ConfigurationError(f"--workers must be at least 1 (given {args.workers})")
    if args.workers > 1:
        problem = settings.why_not_several_workers()
        if problem is not None:
            raise ConfigurationError(f"--workers {args.workers}: {problem}")
        return serve_workers(lambda: factory(settings), settings, args.workers)
    serve(factory(settings), settings)
    return 0


def _run_webhooks(_args: argparse.Namespace) -> int:
    from gateway.settings import GatewaySettings
    from gateway.webhooks.process import dispatch_settings, run_dispatcher
    from shared.server import run

    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_level, settings.log_format)
    dispatch_settings(settings)  # refuses SQLite or a missing key before anything starts
    run(run_dispatcher(settings))
    return 0


def _run_migrate(args: argparse.Namespace) -> int:
    from shared.db import upgrade_database

    settings_class, factory = _service(args.service)
    settings = load_settings(settings_class)
    configure_logging(settings.log_level, settings.log_format)
    migrations = Path(sys.modules[factory.__module__].__file__ or "").parent / "migrations"
    asyncio.run(upgrade_database(migrations, settings.database_url))
    return 0


def _run_load(args: argparse.Namespace) -> int:
    from gateway.settings import GatewaySettings
    from structures.datasets import load_dataset

    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_level, "text")
    asyncio.run(load_dataset(settings, args.dataset, scale=args.scale, seed=args.seed))
    return 0


def _run_keys(_args: argparse.Namespace) -> int:
    from shared.sealing import generate_key_pair

    private, public = generate_key_pair()
    signing = base64.b64encode(os.urandom(32)).decode()
    print(f"NOTIFIER_SEALING_PRIVATE_KEY={private}\nGATEWAY_NOTIFIER_PUBLIC_KEY={public}")  # noqa: T201
    print(f"GATEWAY_TOKEN_SIGNING_KEY={signing}")  # noqa: T201
    print(f"GATEWAY_WEBHOOK_SEALING_KEY={generate_key_pair()[0]}")  # noqa: T201
    return 0


def _run_bootstrap(args: argparse.Namespace) -> int:
    from gateway.settings import GatewaySettings
    from structures.accounts import bootstrap_caf_agent

    settings = load_settings(GatewaySettings)
    configure_logging(settings.log_level, "text")
    created = asyncio.run(bootstrap_caf_agent(settings, args))
    print(f"identifier: {created.identifier}  agent number: {created.agent_number}")  # noqa: T201
    print("The generated password is e-mailed to the person by the notifier.")  # noqa: T201
    return 0


def _run_moderation_cases(args: argparse.Namespace) -> int:
    from moderation.settings import ModerationSettings
    from structures.check_cases import export_check_cases

    settings = load_settings(ModerationSettings)
    outcomes = args.outcome or ["MISSED", "FALSE_FLAG"]
    since = args.since.replace(tzinfo=args.since.tzinfo or UTC) if args.since else None
    count = asyncio.run(export_check_cases(settings.database_url, since, outcomes, sys.stdout))
    print(f"{count} cases", file=sys.stderr)  # noqa: T201
    return 0


def _run_stack(args: argparse.Namespace) -> int:
    from structures.stack.cli import run

    return run(list(args.action))


SERVICES = ("gateway", "moderation", "notifier")


def _service(name: str) -> tuple[type[ServiceSettings], Callable[..., Any]]:
    if name == "gateway":
        from gateway.app import create_app as create_gateway
        from gateway.settings import GatewaySettings

        return GatewaySettings, create_gateway
    if name == "moderation":
        from moderation.app import create_app as create_moderation
        from moderation.settings import ModerationSettings

        return ModerationSettings, create_moderation
    from notifier.app import create_app as create_notifier
    from notifier.settings import NotifierSettings

    return NotifierSettings, create_notifier


if __name__ == "__main__":
    raise SystemExit(main())
