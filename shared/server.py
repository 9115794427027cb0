"""Serving the services' ASGI apps with uvicorn: one or several servers in one event loop.

SIGINT and SIGTERM ask every server to shut down gracefully (lifespan shutdown: consumers commit their offsets,
the relay stops, engines close); the process then exits with status 0.
"""

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

import uvicorn
import uvloop
from starlette.types import ASGIApp

from shared.settings import ServiceSettings


class _Server(uvicorn.Server):
    """A uvicorn server whose signals are handled by :func:`serve_all`, for all servers of the process at once."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def uvicorn_server(app: ASGIApp, settings: ServiceSettings) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=20,
        server_header=False,
        # uvicorn believes X-Forwarded-For from loopback by default: only the configured proxies may set it.
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or [],
        # Subscription frames are small JSON; compressing each one costs more CPU than it saves on the wire.
        ws_per_message_deflate=False,
    )
    return _Server(config)


async def serve_all(servers: Sequence[uvicorn.Server], on_started: Callable[[], None] | None = None) -> None:
    """Run ``servers`` until a signal stops them; raise ``SystemExit(3)`` if one fails to start."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop_all, servers)
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers) and not any(task.done() for task in tasks):  # noqa: ASYNC110 - uvicorn has no "started" event
        await asyncio.sleep(0.05)
    if not all(server.started for server in servers):
        _stop_all(servers)
        await asyncio.gather(*tasks, return_exceptions=True)
        raise SystemExit(3)
    # What start-up allocated (modules, schema, reference data) lives as long as the process: keep it out of the
    # garbage collector's full passes, which otherwise walk it again and again and pause the loop (fan-outs).
    gc.collect()
    gc.freeze()
    if on_started is not None:
        on_started()
    await asyncio.gather(*tasks)


def _stop_all(servers: Sequence[uvicorn.Server]) -> None:
    for server in servers:
        server.should_exit = True


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop (uvicorn's ``loop`` setting only applies when uvicorn creates the loop itself)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def serve(app: ASGIApp, settings: ServiceSettings) -> None:
    """Run one service's ``app`` until the process is told to stop."""
    run(serve_all([uvicorn_server(app, settings)]))
