"""Serving the services' ASGI apps with uvicorn: one or several servers in one event loop, or one service in
several worker processes sharing a listening socket.

SIGINT and SIGTERM ask every server to shut down gracefully (lifespan shutdown: consumers commit their offsets,
the relay stops, engines close); the process then exits with status 0.
"""

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

import uvicorn
import uvloop
from starlette.types import ASGIApp

from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


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


async def serve_all(
    servers: Sequence[uvicorn.Server],
    on_started: Callable[[], None] | None = None,
    *,
    sockets: list[socket.socket] | None = None,
) -> None:
    """Run ``servers`` until a signal stops them; raise ``SystemExit(3)`` if one fails to start. With ``sockets``
    (one server only), the server accepts on those already listening sockets instead of binding its own."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop_all, servers)
    tasks = [asyncio.create_task(server.serve(sockets=sockets)) for server in servers]
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
    # A young-generation pass every 700 allocations (the default) promotes whatever a fan-out or a request has in
    # flight at that moment; promoted, it soon triggers a full pass over every open subscription's objects: with
    # 2,000 subscriptions, a 0.4 s pause every few publications (M1). Young passes every 50,000 allocations let
    # those objects die young; cyclic garbage waits a little longer (a few MB at most).
    gc.set_threshold(*GC_THRESHOLDS)
    if on_started is not None:
        on_started()
    await asyncio.gather(*tasks)


GC_THRESHOLDS = (50_000, 20, 10)
"""The garbage collector's thresholds once a server has started (see :func:`serve_all`)."""


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


def serve_workers(make_app: Callable[[], ASGIApp], settings: ServiceSettings, workers: int) -> int:
    """Run one service in ``workers`` processes accepting on one socket; they share nothing else but the database
    and Kafka (each has its own engine, consumer, relay and caches). The parent only supervises: SIGINT/SIGTERM go
    to every worker, each shuts down gracefully, and a worker that dies otherwise is replaced."""
    listener = socket.create_server((settings.host, settings.port), backlog=2048, reuse_port=False)
    listener.set_inheritable(True)
    supervisor = _Supervisor(lambda: _worker(make_app, settings, listener))
    for _ in range(workers):
        supervisor.start_one()
    log.info("workers started", extra={"workers": workers, "pids": sorted(supervisor.children)})
    status = supervisor.watch()
    listener.close()
    return status


def _worker(make_app: Callable[[], ASGIApp], settings: ServiceSettings, listener: socket.socket) -> int:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    try:
        run(serve_all([uvicorn_server(make_app(), settings)], sockets=[listener]))
    except SystemExit as stopped:
        return stopped.code if isinstance(stopped.code, int) else 1
    except BaseException:
        log.exception("worker failed")
        return 1
    return 0


class _Supervisor:
    """Forks the workers, forwards the stop signals, replaces a worker that dies while the service runs."""

    RESTART_PAUSE = 1.0

    def __init__(self, work: Callable[[], int]) -> None:
        self.work = work
        self.children: set[int] = set()
        self.stopping = False
        self.worst = 0

    def start_one(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker: run, then leave without running the parent's exit handlers
            os._exit(self.work())
        self.children.add(pid)

    def watch(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries os.wait itself
                continue
            self.children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                self.worst = max(self.worst, abs(code))
            elif code == 3:  # could not start (e.g. the port or the database): starting again would loop
                log.error("worker could not start; stopping the others", extra={"pid": pid})
                self.worst = 3
                self._stop(signal.SIGTERM, None)
            else:
                log.error("worker died; starting another", extra={"pid": pid, "exit": code})
                time.sleep(self.RESTART_PAUSE)  # noqa: TID251 - the supervisor runs no event loop
                if not self.stopping:
                    self.start_one()
        return self.worst

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
