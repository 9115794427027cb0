"""What the Caf console's browser tests share: the build check, screenshots for the README, and the demo accounts'
first sign-in through the gateway's API (the checks on each page are in :mod:`tests.browser.pages`, the running
espace in :mod:`tests.browser.espace`)."""

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from tests.browser.pages import AXE
from tests.e2e.mailbox import password_in, wait_for_mail
from tests.e2e.processes import ROOT

SCREENSHOTS = os.environ.get("STRUCTURES_SCREENSHOTS")
"""A folder (``docs/screenshots``) to save the console's screenshots in, for the README; unset: none taken."""
DIST = ROOT / "web" / "dist" / "index.html"


def require_build() -> None:
    if not DIST.is_file() or not AXE.is_file():
        message = "web/ is not built (make install, or npm ci && npm run build in web/)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


async def shoot(page: Page, name: str) -> None:
    """A full-page screenshot for the README, when ``STRUCTURES_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        folder = ROOT / SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=folder / f"{name}.png", full_page=True)


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
