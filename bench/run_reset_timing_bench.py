"""S12 measured rather than asserted: a failed login and a password reset, known against unknown identifiers.

    .venv/bin/python bench/run_reset_timing_bench.py     # SQLite; PostgreSQL too when the local stack is up

The gateway runs in this process (lifespan, in-process bus) on a fresh database holding the reference data and
``ACCOUNTS`` Caf agents. Requests go through its ASGI app one at a time, the kinds interleaved, with a pause after
each so that the outbox relay's work never overlaps the next measure; the order of the kinds is shuffled in each
round. Login throttling is lifted (no delay, no
limit): it is not what is measured.

* S12 (login): a wrong password for a known identifier, for an unknown one, and for a known one whose reset is
  pending — the largest difference between the three medians; target ≤ 5 ms.
* S12-reset: ``requestPasswordReset`` (challenge solved) for a known identifier — a password then pending, its
  e-mail staged — and for an unknown one; the difference between the two medians; target ≤ 5 ms.

The tests prove the property (the same work on every path: ``test_sessions.py``, ``test_password_reset.py``);
this script only measures. Writes ``bench/results/<timestamp>-reset-timing.json``, ``reset-timing.md`` and the keys
``S12`` and ``S12-reset`` of ``latest.json``.
"""

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
from catalogue_bench.environment import RESULTS, machine
from catalogue_bench.report import update_latest, write_json

from gateway.accounts.services import NewPerson, PasswordIssuing, bootstrap_caf_agent, reset_password
from gateway.app import create_app
from gateway.catalogue.demo import load_demo
from gateway.catalogue.reference_data import load_reference_data
from gateway.habilitation.challenges import issue_challenge
from gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.db import create_engine, create_session_factory, upgrade_database
from shared.sealing import generate_key_pair
from structures.stack.env import StackNotUpError, load_stack_env

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 200
WARM_UP = 10
ACCOUNTS = ROUNDS + WARM_UP + 2
PAUSE_SECONDS = 0.02
TARGET_MS = 5.0
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken } userErrors { code } } }"""
RESET = """mutation($i: String!, $c: ID!, $a: String!) { requestPasswordReset(input: {identifier: $i,
  challenge: {id: $c, answer: $a}}) { message userErrors { code } } }"""
SETTINGS: dict[str, Any] = {
    "login_delay_base_seconds": 0.0,
    "login_failures_per_pair": 10**9,
    "login_failures_per_address": 10**9,
}

Variables = Callable[[int], Awaitable[dict[str, Any]]]
"""The variables of a kind's ``index``-th request."""
WRONG = "pas le bon mot de passe"


async def prepare(url: str) -> None:
    await upgrade_database(ROOT / "gateway" / "migrations", url)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await load_reference_data(session)
            await load_demo(session)
    finally:
        await engine.dispose()


@asynccontextmanager
async def gateway(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any, list[str]]]:
    """The gateway on ``url`` with ``ACCOUNTS`` Caf agents; yields the client, the app and their identifiers."""
    _, public = generate_key_pair()
    app = create_app(
        GatewaySettings(database_url=url, bus="inprocess", notifier_public_key=public, **SETTINGS), bus=InProcessBus()
    )
    async with app.router.lifespan_context(app):
        identifiers = []
        async with app.state.runtime.sessions() as session, session.begin():
            for number in range(ACCOUNTS):
                person = NewPerson(f"Banc{number}", "Agent", "Banc d'essai", f"banc{number}@caf59.example")
                created = await bootstrap_caf_agent(
                    session, person, caf_code="CAF59", issuing=app.state.issuing, now=datetime.now(UTC)
                )
                identifiers.append(created.identifier)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client, app, identifiers


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


async def measure(client: httpx.AsyncClient, query: str, kinds: dict[str, Variables]) -> dict[str, list[float]]:
    """``query`` with each kind's variables, ``ROUNDS`` times, interleaved in a shuffled order (no kind always
    follows another); milliseconds of the request alone (the variables are made before the clock starts). The
    first ``WARM_UP`` rounds are not kept."""
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    answers: dict[str, Any] = {}
    order = random.Random(12)  # a fixed seed: the same shuffled order at each run
    for index in range(ROUNDS + WARM_UP):
        for kind in order.sample(list(kinds), len(kinds)):
            variables = await kinds[kind](index)
            started = time.perf_counter()
            answers[kind] = await post(client, query, variables)
            elapsed = (time.perf_counter() - started) * 1000
            if index >= WARM_UP:
                times[kind].append(elapsed)
            await asyncio.sleep(PAUSE_SECONDS)
    if len({str(answer) for answer in answers.values()}) != 1:
        raise AssertionError(f"the answers differ: {answers}")
    return times


def constant(variables: dict[str, Any]) -> Variables:
    async def same(_index: int) -> dict[str, Any]:
        return variables

    return same


async def login_times(client: httpx.AsyncClient, app: Any, identifiers: list[str]) -> dict[str, list[float]]:
    known, pending = identifiers[0], identifiers[1]
    issuing = PasswordIssuing(app.state.authenticator.hashing, app.state.issuing.notifier_public_key)
    async with app.state.runtime.sessions() as session, session.begin():
        await reset_password(session, pending, issuing=issuing, now=datetime.now(UTC), signal=None)

    async def unknown(index: int) -> dict[str, Any]:
        return {"i": f"x.inconnu{index}.caf59", "p": WRONG}

    kinds = {
        "known": constant({"i": known, "p": WRONG}),
        "unknown": unknown,
        "pending": constant({"i": pending, "p": WRONG}),
    }
    return await measure(client, LOGIN, kinds)


async def reset_times(client: httpx.AsyncClient, app: Any, identifiers: list[str]) -> dict[str, list[float]]:
    """Each known identifier is reset once (at most five resets an hour are carried out per identifier)."""

    def with_challenge(identifier_of: Callable[[int], str]) -> Variables:
        async def variables(index: int) -> dict[str, Any]:
            text = uuid.uuid4().hex[:6].upper()
            async with app.state.runtime.sessions() as session, session.begin():
                challenge = await issue_challenge(session, purpose="PASSWORD_RESET", now=datetime.now(UTC), text=text)
            return {"i": identifier_of(index), "c": challenge.id, "a": text.lower()}

        return variables

    kinds = {
        "known": with_challenge(lambda index: identifiers[2 + index]),
        "unknown": with_challenge(lambda index: f"x.inconnu{index}.caf59"),
    }
    return await measure(client, RESET, kinds)


def summary(times: dict[str, list[float]]) -> dict[str, Any]:
    medians = {kind: round(statistics.median(values), 2) for kind, values in times.items()}
    p90s = {kind: round(sorted(values)[int(0.9 * len(values))], 2) for kind, values in times.items()}
    difference = round(max(medians.values()) - min(medians.values()), 2)
    return {"median_ms": medians, "p90_ms": p90s, "median_difference_ms": difference, "rounds": ROUNDS}


async def run_on(url: str) -> dict[str, Any]:
    await prepare(url)
    async with gateway(url) as (client, app, identifiers):
        login = summary(await login_times(client, app, identifiers))
        reset = summary(await reset_times(client, app, identifiers))
    return {"login": login, "reset": reset}


async def on_postgresql() -> dict[str, Any] | None:
    """The same run on the local stack's PostgreSQL, in a database of its own; None when the stack is down."""
    try:
        admin_dsn = load_stack_env(ROOT)["STACK_POSTGRES_DSN"]
    except (StackNotUpError, KeyError):
        return None
    name = f"bench_reset_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        url = f"{admin_dsn.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
        return await run_on(url)
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        results = {"sqlite": await run_on(f"sqlite+aiosqlite:///{Path(folder) / 'gateway.sqlite3'}")}
    postgresql = await on_postgresql()
    if postgresql is not None:
        results["postgresql"] = postgresql
    write(results)
    return 0


def write(results: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    raw = {
        "date": now.isoformat(),
        "machine": machine(),
        "command": "bench/run_reset_timing_bench.py",
        "rounds": ROUNDS,
        "pause_ms": PAUSE_SECONDS * 1000,
        "results": results,
    }
    write_json(RESULTS / f"{now:%Y%m%dT%H%M%SZ}-reset-timing.json", raw)
    entries = {}
    for key, part, target in (
        ("S12", "login", "median time of a failed login: known, unknown and pending-reset identifiers within 5 ms"),
        ("S12-reset", "reset", "median time of requestPasswordReset: known and unknown identifiers within 5 ms"),
    ):
        worst = max(result[part]["median_difference_ms"] for result in results.values())
        entries[key] = {
            "value": worst,
            "unit": "ms (largest difference of medians)",
            "by_database": {database: result[part] for database, result in results.items()},
            "target": target,
            "met": worst <= TARGET_MS,
            "command": raw["command"],
            "date": raw["date"],
            "machine": raw["machine"],
        }
    update_latest(entries)
    (RESULTS / "reset-timing.md").write_text(markdown(raw, entries))
    print(json.dumps({key: {"value": e["value"], "met": e["met"]} for key, e in entries.items()}, indent=1))


def markdown(raw: dict[str, Any], entries: dict[str, Any]) -> str:
    lines = [
        "# Login and reset timing, known against unknown identifiers (S12, S12-reset)",
        "",
        f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores",
        f"- The gateway in-process (ASGI), {ROUNDS} rounds per kind after {WARM_UP} of warm-up, kinds interleaved "
        "in a shuffled order, "
        f"{raw['pause_ms']:.0f} ms pause after each request; command: `{raw['command']}`",
        "- The property (the same work on every path) is proved by tests; this only measures the time.",
        "",
        "| database | measure | median (p90) per kind, ms | largest difference of medians | target | met |",
        "|---|---|---|---:|---|---|",
    ]
    for database, result in raw["results"].items():
        for key, part in (("S12", "login"), ("S12-reset", "reset")):
            part_result = result[part]
            kinds = ", ".join(
                f"{kind} {median} ({part_result['p90_ms'][kind]})" for kind, median in part_result["median_ms"].items()
            )
            met = part_result["median_difference_ms"] <= TARGET_MS
            lines.append(
                f"| {database} | {key} ({part}) | {kinds} | {part_result['median_difference_ms']} ms | ≤ 5 ms | {met} |"
            )
    lines += ["", f"Overall: S12 met = {entries['S12']['met']}, S12-reset met = {entries['S12-reset']['met']}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
