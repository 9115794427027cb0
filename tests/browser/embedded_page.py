"""What the Caf console's browser tests share: ``structures dev`` on free ports, a watch on what a page did wrong,
axe-core's serious violations, and the demo accounts' first sign-in through the gateway's API."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Page, Route

from tests.e2e.mailbox import password_in, wait_for_mail
from tests.e2e.processes import ROOT, free_port

SCREENSHOTS = os.environ.get("STRUCTURES_SCREENSHOTS")
"""A folder (``docs/screenshots``) to save the console's screenshots in, for the README; unset: none taken."""
DIST = ROOT / "web" / "dist" / "index.html"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def require_build() -> None:
    if not DIST.is_file() or not AXE.is_file():
        message = "web/ is not built (make install, or npm ci && npm run build in web/)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextlib.asynccontextmanager
async def embedded_default(data: Path, **environment: str) -> AsyncIterator[tuple[str, str, Path]]:
    """``structures dev`` on free ports with these extra variables: the gateway's and moderation's base URLs, and
    the mail folder."""
    port = free_port()
    while free_port() in (port + 1, port + 2):
        port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MODERATION_", "NOTIFIER_"))}
    command = [sys.executable, "-m", "structures", "dev", "--data-dir", str(data / "data"), "--port", str(port)]
    with (data / "dev.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env | environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base = f"http://127.0.0.1:{port}"
        await _ready(f"{base}/readyz")
        yield base, f"http://127.0.0.1:{port + 1}", data / "data" / "mail"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


async def _ready(url: str) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


class Watch:
    """What a page did wrong: console errors (CSP and CORS refusals among them), uncaught errors, requests off
    loopback."""

    def __init__(self, page: Page) -> None:
        self.complaints: list[str] = []
        self.left_loopback: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.complaints.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.complaints.append(message.text)

    async def only_loopback(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK or route.request.url.startswith("data:"):
            await route.continue_()
        else:
            self.left_loopback.append(route.request.url)
            await route.abort("internetdisconnected")


async def shoot(page: Page, name: str) -> None:
    """A full-page screenshot for the README, when ``STRUCTURES_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        folder = ROOT / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=folder / f"{name}.png", full_page=True)


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA rules on the page as it is; only serious and critical violations."""
    await page.evaluate(AXE.read_text())  # evaluated by the driver, not by a <script> the page's CSP would block
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))
            .violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return violations


class GatewayApi:
    """The gateway's GraphQL API as a program calls it (what the browser does not play)."""

    def __init__(self, base: str, mail: Path) -> None:
        self.base, self.mail = base, mail

    async def raw(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The whole answer, errors included."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.base}/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        body: dict[str, Any] = response.json()
        return body

    async def call(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The data of an answer without errors."""
        body = await self.raw(query, token, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def generated_password(self, email: str) -> str:
        return password_in(await wait_for_mail(self.mail, email, "codes d'accès"))

    async def first_login(self, identifier: str, email: str, chosen: str) -> str:
        """The agent's first sign-in with the e-mailed password, then her own: her access token."""
        generated = await self.generated_password(email)
        login = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
          session { accessToken } userErrors { code } } }"""
        token = (await self.call(login, i=identifier, p=generated))["login"]["session"]["accessToken"]
        change = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
          session { accessToken } userErrors { field code message } } }"""
        changed = (await self.call(change, token, c=generated, n=chosen))["changePassword"]
        assert changed["userErrors"] == []
        return str(changed["session"]["accessToken"])
