"""The gateway app in-process (lifespan running, SQLite copy of the prepared catalogue), for HTTP-level tests."""

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from tests.catalogue_data import copy_sqlite

GatewayClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def gateway_client(sqlite_catalogue: Path, folder: Path) -> GatewayClient:
    """``async with start(**settings) as client``; ``client.app`` is the app, ``app.state.statements`` the SQL (of
    the service's pool, of the read engine's and of the compiled reads' own pool)."""

    def start(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return gateway_at(copy_sqlite(sqlite_catalogue, folder), **overrides)

    return start


@contextlib.asynccontextmanager
async def gateway_at(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway on ``database_url`` (SQLite or PostgreSQL), requests coming from 203.0.113.7."""
    settings = GatewaySettings(database_url=database_url, bus="inprocess", **overrides)
    app = create_app(settings, bus=InProcessBus())
    async with app.router.lifespan_context(app):
        app.state.statements = []
        for engine in (app.state.runtime.engine, app.state.read_engine):
            if engine is not None:
                event.listen(
                    engine.sync_engine, "before_cursor_execute", lambda *args: app.state.statements.append(args[2])
                )
        app.state.compiled_reads.query_loggers.append(lambda logged: app.state.statements.append(logged.query))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
