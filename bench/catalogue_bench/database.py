"""The bench database: created on the stack's PostgreSQL, loaded once, described, and given the peer's schema.

The dataset is loaded by ``structures load`` into a database of its own (``bench_catalogue`` by default), so the
tests' ``gateway`` database is never touched. A row in ``bench_meta.dataset`` records what was loaded, with which
command and how long it took; a later run reuses the data when it matches (same dataset, scale and seed, loaded
less than ``MAX_AGE_DAYS`` ago: availabilities cover the 90 days after loading).
"""

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from catalogue_bench.environment import POSTGRAPHILE_DIR, REPO, STRUCTURES, BenchError, Stack

MAX_AGE_DAYS = 30
PEER_SCHEMA = POSTGRAPHILE_DIR / "schema.sql"
_MARKER_DDL = """
CREATE SCHEMA IF NOT EXISTS bench_meta;
CREATE TABLE IF NOT EXISTS bench_meta.dataset (
    dataset text NOT NULL,
    scale float8 NOT NULL,
    seed integer NOT NULL,
    load_seconds float8 NOT NULL,
    vacuum_seconds float8 NOT NULL,
    loaded_at timestamptz NOT NULL,
    command text NOT NULL
);
"""


@dataclass(frozen=True)
class Dataset:
    database: str
    dataset: str
    scale: float
    seed: int
    load_seconds: float
    vacuum_seconds: float
    loaded_at: str
    loaded_in_this_run: bool
    command: str
    database_bytes: int
    database_size: str
    establishments: int
    eaje: int
    availabilities: int
    published_operating_infos: int
    communes: int
    postgres_version: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Wanted:
    database: str
    dataset: str
    scale: float
    seed: int
    reload: bool


async def ensure_dataset(stack: Stack, wanted: Wanted) -> Dataset:
    """The bench database holding ``wanted``, (re)created and loaded if it does not already."""
    marker = await _marker(stack, wanted.database)
    if marker is not None and not wanted.reload and _matches(marker, wanted):
        print(f"bench: reusing {wanted.dataset} dataset in database {wanted.database} (loaded {marker['loaded_at']})")
        return await _describe(stack, wanted.database, marker, loaded_now=False)
    await _recreate(stack, wanted.database)
    command, load_seconds = _load(stack, wanted)
    vacuum_seconds = await _vacuum(stack, wanted.database)
    marker = await _record(stack, wanted, command, load_seconds, vacuum_seconds)
    return await _describe(stack, wanted.database, marker, loaded_now=True)


async def apply_peer_schema(stack: Stack, database: str) -> None:
    """(Re)create the schema ``bench_pg`` PostGraphile serves (bench/postgraphile/schema.sql)."""
    connection = await asyncpg.connect(stack.dsn(database))
    try:
        await connection.execute(PEER_SCHEMA.read_text())
    finally:
        await connection.close()


async def _marker(stack: Stack, database: str) -> dict[str, Any] | None:
    admin = await asyncpg.connect(stack.admin_dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
    finally:
        await admin.close()
    if not exists:
        return None
    connection = await asyncpg.connect(stack.dsn(database))
    try:
        if not await connection.fetchval("SELECT to_regclass('bench_meta.dataset') IS NOT NULL"):
            return None
        row = await connection.fetchrow("SELECT * FROM bench_meta.dataset ORDER BY loaded_at DESC LIMIT 1")
    finally:
        await connection.close()
    return dict(row) if row is not None else None


def _matches(marker: dict[str, Any], wanted: Wanted) -> bool:
    fresh = datetime.now(UTC) - marker["loaded_at"] < timedelta(days=MAX_AGE_DAYS)
    if wanted.dataset != "national":
        return bool(marker["dataset"] == wanted.dataset and fresh)
    same = marker["dataset"] == wanted.dataset and marker["scale"] == wanted.scale and marker["seed"] == wanted.seed
    return bool(same and fresh)


async def _recreate(stack: Stack, database: str) -> None:
    if not database.replace("_", "").isalnum():
        raise BenchError(f"--database {database!r}: letters, digits and underscores only")
    if database in {"gateway", "moderation", "notifier", "postgres"}:
        raise BenchError(f"--database {database!r} belongs to the services or the tests: choose another name")
    admin = await asyncpg.connect(stack.admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    print(f"bench: created database {database}", flush=True)


def _load(stack: Stack, wanted: Wanted) -> tuple[str, float]:
    """Run ``structures load`` (progress goes to the terminal); the command line and its duration."""
    arguments = [str(STRUCTURES), "load", wanted.dataset]
    if wanted.dataset == "national":
        arguments += ["--scale", f"{wanted.scale:g}", "--seed", str(wanted.seed)]
    url = stack.sqlalchemy_url(wanted.database)
    env = {**os.environ, "GATEWAY_DATABASE_URL": url, "GATEWAY_LOG_LEVEL": "INFO"}
    shown = f"GATEWAY_DATABASE_URL={_without_password(url)} " + " ".join(_relative(a) for a in arguments)
    print(f"bench: loading the dataset: {shown}", flush=True)
    started = time.monotonic()
    done = subprocess.run(arguments, env=env, cwd=REPO, stdout=sys.stderr, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise BenchError(f"loading the dataset failed (exit status {done.returncode}): {shown}")
    print(f"bench: dataset loaded in {seconds:.1f} s", flush=True)
    return shown, seconds


async def _vacuum(stack: Stack, database: str) -> float:
    """VACUUM ANALYZE once after loading (visibility map, statistics), as autovacuum would eventually do."""
    connection = await asyncpg.connect(stack.dsn(database), command_timeout=3600)
    started = time.monotonic()
    try:
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    return time.monotonic() - started


async def _record(
    stack: Stack, wanted: Wanted, command: str, load_seconds: float, vacuum_seconds: float
) -> dict[str, Any]:
    connection = await asyncpg.connect(stack.dsn(wanted.database))
    try:
        await connection.execute(_MARKER_DDL)
        row = await connection.fetchrow(
            "INSERT INTO bench_meta.dataset VALUES ($1, $2, $3, $4, $5, now(), $6) RETURNING *",
            wanted.dataset,
            wanted.scale,
            wanted.seed,
            load_seconds,
            vacuum_seconds,
            command,
        )
    finally:
        await connection.close()
    assert row is not None
    return dict(row)


_COUNTS = """
SELECT (SELECT count(*) FROM establishments) AS establishments,
       (SELECT count(*) FROM establishments WHERE category = 'EAJE') AS eaje,
       (SELECT count(*) FROM availabilities) AS availabilities,
       (SELECT count(*) FROM operating_info_versions WHERE status = 'PUBLISHED') AS published_operating_infos,
       (SELECT count(*) FROM communes) AS communes,
       pg_database_size(current_database()) AS database_bytes,
       pg_size_pretty(pg_database_size(current_database())) AS database_size,
       current_setting('server_version') AS postgres_version
"""


async def _describe(stack: Stack, database: str, marker: dict[str, Any], *, loaded_now: bool) -> Dataset:
    connection = await asyncpg.connect(stack.dsn(database))
    try:
        counts = await connection.fetchrow(_COUNTS)
    finally:
        await connection.close()
    assert counts is not None
    if counts["establishments"] == 0:
        raise BenchError(f"database {database} has no establishment: rerun with --reload")
    return Dataset(
        database=database,
        dataset=marker["dataset"],
        scale=marker["scale"],
        seed=marker["seed"],
        load_seconds=round(marker["load_seconds"], 1),
        vacuum_seconds=round(marker["vacuum_seconds"], 1),
        loaded_at=marker["loaded_at"].astimezone(UTC).isoformat(timespec="seconds"),
        loaded_in_this_run=loaded_now,
        command=marker["command"],
        database_bytes=counts["database_bytes"],
        database_size=counts["database_size"],
        establishments=counts["establishments"],
        eaje=counts["eaje"],
        availabilities=counts["availabilities"],
        published_operating_infos=counts["published_operating_infos"],
        communes=counts["communes"],
        postgres_version=counts["postgres_version"],
    )


def _without_password(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    user = credentials.split(":", 1)[0]
    return f"{scheme}//{user}:***@{tail}"


def _relative(argument: str) -> str:
    path = Path(argument)
    return str(path.relative_to(REPO)) if path.is_absolute() and path.is_relative_to(REPO) else argument
