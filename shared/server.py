"""Serving a service's ASGI app with uvicorn, with the project's logging and graceful shutdown on SIGTERM."""

import uvicorn
from starlette.types import ASGIApp

from shared.settings import ServiceSettings


def uvicorn_server(app: ASGIApp, settings: ServiceSettings, *, port: int | None = None) -> uvicorn.Server:
    """A uvicorn server for ``app``; uvicorn handles SIGINT/SIGTERM and runs the lifespan shutdown."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port if port is None else port,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=20,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve(app: ASGIApp, settings: ServiceSettings) -> None:
    """Run ``app`` until the process is told to stop."""
    server = uvicorn_server(app, settings)
    server.run()
