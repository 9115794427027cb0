"""What every browser test checks on the pages it visits: axe-core, the Content-Security-Policy, loopback only."""

from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import ConsoleMessage, Page, Route

from tests.e2e.processes import ROOT

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Watch:
    """What a page did wrong: console errors (CSP refusals among them), uncaught errors, requests off loopback."""

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


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA rules on the page as it is; only serious and critical violations."""
    await page.evaluate(AXE.read_text())  # evaluated by the driver, not by a <script> the page's CSP would block
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))
            .violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return violations
