"""S18 of the quality targets: schemathesis against both GraphQL services, positive and negative, for every caller.

    .venv/bin/python bench/run_fuzz.py [examples]                # default 100 per operation, mode and caller
    .venv/bin/python bench/run_fuzz.py [examples] --postgresql   # the same on the local stack's PostgreSQL

* the system: the gateway (SQLite copy of the test catalogue) and the moderation service in-process, sharing the
  in-process bus (``tests/fuzz``); callers: anonymous, an integrator (API key), a provider's agent and a Caf du
  Nord agent (access tokens, which the moderation service takes too). The login throttles and the API-key rate
  limit are lifted for the run (``FUZZ_GATEWAY_SETTINGS``), or later cases would only meet « too many attempts ».
* every query and mutation, up to ``examples`` distinct cases per mode and caller (fewer when hypothesis has
  generated every distinct case there is); subscriptions cannot be fuzzed over HTTP and are listed as skipped.
* a server error: HTTP 5xx, an ``INTERNAL_SERVER_ERROR`` or ``SERVICE_UNAVAILABLE`` error, a null in a non-null
  field, an unhandled exception, or an ERROR logged by a service (``tests/fuzz/verdicts.py``).

Writes ``bench/results/fuzz.json`` and ``fuzz.md``, and the key ``S18`` of ``latest.json``. With ``--postgresql``
both services run on fresh databases of the local stack (started if it is not; dropped afterwards), where text the
database refuses (a NUL) shows up as it would in production; that run writes ``fuzz-postgresql.json`` and ``.md``.
"""

import argparse
import asyncio
import contextlib
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
from catalogue_bench.environment import RESULTS, ensure_stack, machine
from catalogue_bench.report import update_latest, write_json

from tests.catalogue_data import fill_catalogue, sqlite_catalogue_template
from tests.fuzz.driver import FuzzRun, fuzz_session
from tests.fuzz.services import FUZZ_GATEWAY_SETTINGS, Databases, sqlite_databases

EXAMPLES = 100
COMMAND = "bench/run_fuzz.py"
TARGET = "zero server errors; schemathesis, positive and negative, >= 100 examples per operation"


def main() -> int:
    parser = argparse.ArgumentParser(description="S18: schemathesis against both GraphQL services")
    parser.add_argument("examples", type=int, nargs="?", default=EXAMPLES, help="per operation, mode and caller")
    parser.add_argument("--postgresql", action="store_true", help="on the local stack's PostgreSQL, not SQLite")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        _databases(Path(folder), args.postgresql) as databases,
        fuzz_session(databases) as session,
    ):
        run = session.fuzz(args.examples)
    return write(run, "postgresql" if args.postgresql else "sqlite")


@contextlib.contextmanager
def _databases(folder: Path, postgresql: bool) -> Iterator[Databases]:
    if not postgresql:
        yield sqlite_databases(asyncio.run(sqlite_catalogue_template(folder)), folder)
        return
    stack, suffix = ensure_stack(), uuid.uuid4().hex[:8]
    names = (f"fuzz_gateway_{suffix}", f"fuzz_moderation_{suffix}")
    asyncio.run(_each_database(stack.admin_dsn, 'CREATE DATABASE "{name}"', names))
    try:
        asyncio.run(fill_catalogue(stack.sqlalchemy_url(names[0])))
        yield Databases(stack.sqlalchemy_url(names[0]), stack.sqlalchemy_url(names[1]))
    finally:
        asyncio.run(_each_database(stack.admin_dsn, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', names))


async def _each_database(admin_dsn: str, statement: str, names: tuple[str, ...]) -> None:
    """Run ``statement`` (with ``{name}``) once per database name, on the admin connection."""
    connection = await asyncpg.connect(admin_dsn)
    try:
        for name in names:
            await connection.execute(statement.format(name=name))
    finally:
        await connection.close()


def write(run: FuzzRun, database: str) -> int:
    date = datetime.now(UTC).isoformat()
    checks = {
        "zero_server_errors": run.server_errors == 0,
        "no_dead_letter": run.dead_letters == 0,
        "100_examples_asked_per_operation_and_mode": run.examples >= 100,
    }
    raw = {
        "date": date, "machine": machine(), "database": database, "examples_asked": run.examples,
        "command": f"{COMMAND} {run.examples}" + (" --postgresql" if database == "postgresql" else ""),
        "seconds": round(run.seconds, 1), "cases": _cases(run), "server_errors": run.server_errors,
        "dead_letters": run.dead_letters, "lifted_limits": FUZZ_GATEWAY_SETTINGS, "skipped": run.skipped,
        "checks": checks, "operations": [_row(operation) for operation in run.operations],
        "findings": [asdict(finding) for finding in run.findings],
    }  # fmt: skip
    name = "fuzz" if database == "sqlite" else f"fuzz-{database}"
    write_json(RESULTS / f"{name}.json", raw)
    (RESULTS / f"{name}.md").write_text(markdown(raw))
    print(f"{raw['cases']} cases in {raw['seconds']} s, {run.server_errors} server errors; bench/results/{name}.md")
    if database != "sqlite":
        return 0 if all(checks.values()) else 1
    update_latest({"S18": {
        "value": run.server_errors, "unit": "server errors", "cases": raw["cases"],
        "operations": len({(r.service, r.operation) for r in run.operations}), "seconds": raw["seconds"],
        "target": TARGET, "met": all(checks.values()), "checks": checks, "command": raw["command"], "date": date,
        "machine": raw["machine"],
    }})  # fmt: skip
    return 0 if all(checks.values()) else 1


def _verdict(checks: dict[str, bool]) -> str:
    failed = [name for name, ok in checks.items() if not ok]
    return f"NOT met ({', '.join(failed)})" if failed else "met"


def _cases(run: FuzzRun) -> int:
    return sum(sum(operation.examples.values()) for operation in run.operations)


def _row(operation: Any) -> dict[str, Any]:
    return {
        "service": operation.service, "caller": operation.caller, "operation": operation.operation,
        "positive": operation.examples["positive"], "negative": operation.examples["negative"],
        "executed": operation.answered, "server_errors": operation.server_errors,
        "seconds": round(operation.seconds, 2),
    }  # fmt: skip


def markdown(raw: dict[str, Any]) -> str:
    lines = [
        "# GraphQL fuzzing (S18)",
        "",
        f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores",
        f"- Command: `{raw['command']}` — {raw['cases']} cases in {raw['seconds']} s; "
        f"**{raw['server_errors']} server errors**, {raw['dead_letters']} dead letters",
        f"- Target: {TARGET} — {_verdict(raw['checks'])}",
        f"- Both services in-process on {raw['database']} (the gateway on a copy of the test catalogue), one "
        "in-process bus; login throttles and the API-key rate limit lifted for the run: "
        f"`{raw['lifted_limits']}`",
        f"- Skipped: {', '.join(raw['skipped'])} (subscriptions cannot be fuzzed over HTTP)",
        "- positive / negative: distinct cases generated per mode, at most the number asked; fewer when hypothesis "
        "has generated every distinct case (an operation without arguments has a handful, and when a negative case "
        "is impossible the operation gets positive ones). executed: answers with `data` (the others were refused "
        "before running: validation, authentication, document limits).",
        "",
        "| service | caller | operation | positive | negative | executed | server errors |",
        "|---|---|---|---:|---:|---:|---:|",
        *(
            f"| {r['service']} | {r['caller']} | `{r['operation']}` | {r['positive']} | {r['negative']} | "
            f"{r['executed']} | {r['server_errors']} |"
            for r in raw["operations"]
        ),
    ]
    for finding in raw["findings"]:
        lines += ["", f"## {finding['service']} {finding['operation']} ({finding['caller']}, {finding['mode']})",
                  "", finding["reason"], "", "```graphql", finding["query"], "```"]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
