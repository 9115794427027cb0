"""Database plumbing: engines, session factories and Alembic migrations, for PostgreSQL and SQLite.

Engines are created by the services' lifespans, never at import time. Use cases get an ``async_sessionmaker``
(a session *factory*) and open one session and one transaction each; a session is never shared between tasks.
"""

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.errors import ConfigurationError

log = logging.getLogger(__name__)
_T = TypeVar("_T")
SessionFactory = async_sessionmaker[AsyncSession]
_CONNECT_SECONDS = 5
POOL_WAIT_SECONDS = _CONNECT_SECONDS
"""How long a request waits for a pooled connection before it fails."""

# Alembic keeps the running migration in module globals: two migrations may not run at once in one process.
_alembic_lock = threading.Lock()


_SERVER_SETTINGS = {"jit": "off", "extra_float_digits": "1"}
"""Short statements only: compiling one to machine code (JIT, on above a plan cost PostgreSQL's defaults reach on
a national catalogue) costs more than running it, often hundreds of milliseconds. Floats as text with the shortest
round-trip digits (Python's ``repr`` digits; the compiled read path writes JSON numbers that way), whatever the
server's configuration says."""


def create_engine(url: str, *, pool_size: int = 10, pre_ping: bool = True, autocommit: bool = False) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    PostgreSQL: ``pre_ping`` checks a pooled connection before handing it out (a round trip each time, which makes
    a database restart invisible); ``autocommit`` runs each statement on its own, without BEGIN and ROLLBACK round
    trips (for single-statement reads)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}: use PostgreSQL or SQLite")
    # A database that does not answer must give errors, not hangs: connecting gives up after a few seconds, and so
    # does waiting for a pooled connection.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=_CONNECT_SECONDS,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
        connect_args={"timeout": _CONNECT_SECONDS, "server_settings": _SERVER_SETTINGS},
    )


async def create_driver_pool(
    url: str, *, max_size: int, statement_cache_size: int, init: Callable[[asyncpg.Connection], Awaitable[None]]
) -> "asyncpg.Pool[asyncpg.Record]":
    """A pool of bare asyncpg connections to the PostgreSQL database of ``url`` (an SQLAlchemy URL), with the
    engines' connection settings: for single statements that need no SQLAlchemy (they run in autocommit).

    Connections are opened on demand and handed back without asyncpg's reset query (a round trip per use): their
    users change no session state. ``init`` runs on each new connection."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=max_size,
        statement_cache_size=statement_cache_size,
        max_cacheable_statement_size=_CACHEABLE_STATEMENT_BYTES,
        timeout=_CONNECT_SECONDS,
        server_settings=_SERVER_SETTINGS,
        init=init,
        reset=_keep_state,
    )


_CACHEABLE_STATEMENT_BYTES = 1_000_000
"""asyncpg prepares again, at every execution, a statement longer than its default bound (15 kB): a compiled read's
statement often is."""


async def _keep_state(_connection: asyncpg.Connection) -> None:
    """Nothing to reset beyond asyncpg's own (an open transaction is rolled back)."""


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_read_engine(url: str, *, pool_size: int = 10) -> AsyncEngine | None:
    """An engine for reads that each run on their own (autocommit) and without pre-ping: on PostgreSQL, a read then
    costs its statements' round trips only, where a checkout of the service's engine adds three (pre-ping's BEGIN,
    ``;`` and ROLLBACK). ``None`` on SQLite (the service's engine serves reads there).

    Without pre-ping, a connection the database closed (a restart) is found when a statement fails on it: run such
    reads through :func:`retry_once_if_disconnected`."""
    if make_url(url).get_backend_name() != "postgresql":
        return None
    return create_engine(url, pool_size=pool_size, pre_ping=False, autocommit=True)


async def retry_once_if_disconnected(read: Callable[[], Awaitable[_T]]) -> _T:
    """``read()``, and once more if it failed because its connection had been closed by the database.

    SQLAlchemy's « optimistic » disconnect handling: the statement that meets a closed connection raises with
    ``connection_invalidated`` set, and the pool then invalidates every connection it opened before (they are
    replaced at their next checkout), so the second attempt runs on a new connection. Only for reads (running one
    twice changes nothing); a database that is really away fails the second attempt as it would have failed the
    first."""
    try:
        return await read()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.info("a pooled connection had been closed by the database: read again on a new one")
    return await read()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgresql(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def check_database(engine: AsyncEngine) -> None:
    """Raise if the database does not answer a trivial query within 2 seconds."""
    async with asyncio.timeout(2):
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_database(script_location: Path, url: str) -> None:
    """Apply the service's Alembic migrations up to ``head`` (runs Alembic in a worker thread)."""
    _ensure_sqlite_folder(url)
    config = alembic_config(script_location, url)
    await asyncio.to_thread(_upgrade_locked, config)


def _upgrade_locked(config: Config) -> None:
    with _alembic_lock:
        command.upgrade(config, "head")


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


_UNAVAILABLE = (
    ConnectionError,  # refused, reset, aborted
    TimeoutError,
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.CannotConnectNowError,  # starting up, shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InterfaceError,  # "connection is closed"
    PoolTimeoutError,  # every pooled connection busy for pool_timeout: overloaded now, worth retrying
)


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be reached right now (worth retrying), not a bug."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNAVAILABLE):
            return True
        current = current.__cause__ or current.__context__
    return False
