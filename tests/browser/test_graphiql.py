"""Each service's GraphiQL page works in a browser that can reach nothing beyond loopback: the IDE loads, a query
typed in it runs, and no file is asked of the internet nor refused by the page's Content-Security-Policy."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, ConsoleMessage, Route, WebSocket, expect

from tests.e2e.processes import free_port
from tests.gateway_app import gateway_client
from tests.service_apps import service_client

pytestmark = pytest.mark.browser
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
SERVICE_NAMES = {"gateway": "structures-gateway", "moderation": "structures-moderation"}


@contextlib.asynccontextmanager
async def _served(client: httpx.AsyncClient) -> AsyncIterator[str]:
    """The in-process app (lifespan already running) behind a real uvicorn server on loopback."""
    app: Any = client.app  # type: ignore[attr-defined]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
def start(sqlite_catalogue: Path, tmp_path: Path) -> Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]:
    return lambda name: (
        gateway_client(sqlite_catalogue, tmp_path)() if name == "gateway" else service_client(name, tmp_path)()
    )


@pytest.mark.parametrize("name", ["gateway", "moderation"])
async def test_graphiql_loads_and_runs_a_query_with_no_network_beyond_loopback(
    browser: Browser, start: Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]], name: str
) -> None:
    left_loopback: list[str] = []
    complaints: list[str] = []

    async def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            await route.continue_()
        else:
            left_loopback.append(route.request.url)
            await route.abort("internetdisconnected")

    def socket_opened(socket: WebSocket) -> None:
        if urlsplit(socket.url).hostname not in LOOPBACK:  # page.route does not see WebSockets
            left_loopback.append(socket.url)

    def listen(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            complaints.append(message.text)

    async with start(name) as client, _served(client) as base:
        page = await browser.new_page()
        await page.route("**/*", only_loopback)
        page.on("console", listen)
        page.on("pageerror", lambda error: complaints.append(f"uncaught: {error}"))
        page.on("websocket", socket_opened)

        await page.goto(f"{base}/graphql")
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        try:
            await expect(editor).to_be_visible()
        except AssertionError as stuck:
            raise AssertionError(f"GraphiQL never loaded; outside loopback: {left_loopback}; {complaints}") from stuck
        await editor.evaluate("(element, query) => element.CodeMirror.setValue(query)", "{ service { name } }")
        await page.locator("button.graphiql-execute-button").click()

        await expect(page.locator(".graphiql-response")).to_contain_text(f'"name": "{SERVICE_NAMES[name]}"')
        await page.close()

    assert left_loopback == []
    assert complaints == []
