"""Fixtures: the local real stack (PostgreSQL, Kafka, SMTP sink) and isolated databases and topics per test.

Integration and end-to-end tests need `structures stack up` (``make test`` does it). Without the stack they are
skipped on a developer's machine and fail under CI (``CI=true``), so a CI run can never pass without them.
"""

import asyncio
import functools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.accounts.hashing import PasswordHashing
from shared.db import upgrade_database

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
SERVICES = ("gateway", "moderation", "notifier")


def run_blocking(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to completion from synchronous code, even when an event loop is running in this thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


@dataclass(frozen=True)
class Stack:
    values: dict[str, str]

    @property
    def admin_dsn(self) -> str:
        return self.values["STACK_POSTGRES_DSN"]

    @property
    def kafka(self) -> str:
        return self.values["STACK_KAFKA_BOOTSTRAP"]

    @property
    def smtp_host(self) -> str:
        return self.values["STACK_SMTP_HOST"]

    @property
    def smtp_port(self) -> int:
        return int(self.values["STACK_SMTP_PORT"])

    @property
    def maildir(self) -> Path:
        return Path(self.values["STACK_SMTP_MAILDIR"])

    def database_url(self, database: str) -> str:
        dsn = self.admin_dsn.rsplit("/", 1)[0]
        return f"{dsn.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{database}"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """The gateways this process builds hash at argon2id's lowest cost (8 KiB, one pass; production: OWASP's
    19 MiB, two passes). Every app start hashes a dummy, every account made and every login or password change
    hashes or verifies: about 0.1 s each at production cost, on threads at ``nice`` +10 that wait behind every
    other process of a loaded machine. No in-process test measures hashing (S12 counts the verifications; H1 and
    the reset timing are benchmarks): the hashes are still argon2id, made and verified for real. Services run as
    processes (tests/e2e, tests/browser) keep the production cost."""
    import gateway.app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gateway.app, "PasswordHashing", functools.partial(PasswordHashing, memory_kib=8, time_cost=1))
        yield


@pytest.fixture(scope="session")
def stack() -> Stack:
    from structures.stack.env import StackNotUpError, load_stack_env

    try:
        return Stack(load_stack_env(ROOT))
    except StackNotUpError as error:
        if os.environ.get("CI"):
            pytest.fail(f"the local real stack is required under CI: {error}")
        pytest.skip(f"the local real stack is not up ({error})")


@pytest.fixture(scope="session")
def pg_templates(stack: Stack) -> Iterator[dict[str, str]]:
    """One migrated template database per service; each test clones its own copy (fast, isolated)."""
    run = uuid.uuid4().hex[:8]
    templates = {service: f"tmpl_{service}_{run}" for service in SERVICES}
    run_blocking(_create_templates(stack, templates))
    yield templates
    run_blocking(drop_databases(stack, list(templates.values())))


async def _create_templates(stack: Stack, templates: dict[str, str]) -> None:
    connection = await asyncpg.connect(stack.admin_dsn)
    try:
        for name in templates.values():
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    for service, name in templates.items():
        await upgrade_database(ROOT / service / "migrations", stack.database_url(name))


async def drop_databases(stack: Stack, names: list[str]) -> None:
    connection = await asyncpg.connect(stack.admin_dsn)
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
async def pg_database(stack: Stack, pg_templates: dict[str, str]) -> AsyncIterator[DatabaseFactory]:
    """``await pg_database("moderation")`` → the URL of a fresh, migrated database of that service."""
    created: list[str] = []

    async def create(service: str) -> str:
        name = f"t_{service}_{uuid.uuid4().hex[:10]}"
        connection = await asyncpg.connect(stack.admin_dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_templates[service]}"')
        finally:
            await connection.close()
        created.append(name)
        return stack.database_url(name)

    yield create
    await drop_databases(stack, created)


@dataclass(frozen=True)
class SqliteTemplates:
    folder: Path
    made: dict[str, Path]


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    """One migrated SQLite database per service, made when a test first asks; each test copies its own (the
    gateway's migrations alone take over a second on SQLite)."""
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite-templates"), {})


@pytest.fixture
def sqlite_database(tmp_path: Path, sqlite_templates: SqliteTemplates) -> DatabaseFactory:
    """``await sqlite_database("gateway")`` → the URL of a fresh, migrated SQLite database of that service."""

    async def create(service: str) -> str:
        if service not in sqlite_templates.made:
            template = sqlite_templates.folder / f"{service}.sqlite3"
            await upgrade_database(ROOT / service / "migrations", f"sqlite+aiosqlite:///{template}")
            sqlite_templates.made[service] = template
        copy = tmp_path / f"{service}-{uuid.uuid4().hex[:6]}.sqlite3"
        shutil.copyfile(sqlite_templates.made[service], copy)
        return f"sqlite+aiosqlite:///{copy}"

    return create


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> DatabaseFactory:
    """Both databases the product supports, one after the other."""
    fixture = "sqlite_database" if request.param == "sqlite" else "pg_database"
    factory: DatabaseFactory = request.getfixturevalue(fixture)
    return factory


@pytest.fixture
def kafka_namespace() -> str:
    """A topic namespace of this test's own: its topics start empty and nobody else reads them."""
    return f"t{uuid.uuid4().hex[:10]}"


EngineFactory = Callable[[str], AsyncEngine]


@pytest.fixture
async def engines() -> AsyncIterator[EngineFactory]:
    """``engines(url)`` → an engine that is disposed after the test, whatever happens in it."""
    from shared.db import create_engine

    created: list[AsyncEngine] = []

    def make(url: str) -> AsyncEngine:
        engine = create_engine(url)
        created.append(engine)
        return engine

    yield make
    for engine in created:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.catalogue_data import sqlite_catalogue_template

    return run_blocking(sqlite_catalogue_template(tmp_path_factory.mktemp("catalogue")))


@pytest.fixture(scope="session")
def pg_catalogue(stack: Stack, pg_templates: dict[str, str]) -> Iterator[str]:
    from tests.catalogue_data import create_pg_database, fill_catalogue

    name = f"tmpl_catalogue_{uuid.uuid4().hex[:8]}"
    run_blocking(create_pg_database(stack.admin_dsn, name, pg_templates["gateway"]))
    run_blocking(fill_catalogue(stack.database_url(name)))
    yield name
    run_blocking(drop_databases(stack, [name]))


@pytest.fixture(params=["sqlite", "postgresql"])
async def catalogue_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh copy of the prepared catalogue (reference data, Nord demo, 40 extra crèches), on each database."""
    from tests.catalogue_data import copy_sqlite, create_pg_database

    if request.param == "sqlite":
        yield copy_sqlite(request.getfixturevalue("sqlite_catalogue"), tmp_path)
        return
    stack: Stack = request.getfixturevalue("stack")
    name = f"t_catalogue_{uuid.uuid4().hex[:10]}"
    await create_pg_database(stack.admin_dsn, name, request.getfixturevalue("pg_catalogue"))
    yield stack.database_url(name)
    await drop_databases(stack, [name])
