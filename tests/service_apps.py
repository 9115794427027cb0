"""Moderation and the notifier in-process (lifespan running, SQLite), for HTTP-level tests."""

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from moderation.app import create_app as create_moderation
from moderation.settings import ModerationSettings
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus

ServiceClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def service_client(name: str, folder: Path, token_public_key: str | None = None) -> ServiceClient:
    """``async with service_client("moderation", folder)(**settings) as client``; ``client.app`` is the app."""

    @contextlib.asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_service_app(name, folder, {"bus": "inprocess", "token_public_key": token_public_key, **overrides})
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
                client.app = app  # type: ignore[attr-defined]
                yield client

    return running


def create_service_app(name: str, folder: Path, settings: dict[str, Any]) -> Starlette:
    database = f"sqlite+aiosqlite:///{folder / f'{name}.sqlite3'}"
    if name == "moderation":
        return create_moderation(ModerationSettings(database_url=database, **settings), bus=InProcessBus())
    notifier = NotifierSettings(database_url=database, email_transport="folder", mail_dir=folder / "mail", **settings)
    return create_notifier(notifier, bus=InProcessBus())
