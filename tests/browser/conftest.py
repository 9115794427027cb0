"""Browser tests: headless Chromium from Debian (``make chromium``), driven by Playwright.

Playwright's own browser download is not used (CI cannot reach it): Playwright launches ``/usr/bin/chromium``.
Without it the tests are skipped on a developer's machine and fail under CI (``CI=true``), like the tests that
need the local real stack.
"""

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.browser.embedded_page import require_build
from tests.browser.espace import embedded_default
from tests.e2e.processes import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DIST = ROOT / "web" / "dist" / "index.html"


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required under CI ({CHROMIUM} is missing: make chromium)")
        pytest.skip(f"Chromium is not installed ({CHROMIUM}; make chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # LANGUAGE picks Chromium's interface language (with Debian's chromium-l10n): date fields then read
        # « jj/mm/aaaa » as in a French browser, which the context's locale alone does not change.
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, env={**os.environ, "LANGUAGE": "fr"}
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def built() -> None:
    require_build()


@pytest.fixture
async def embedded(built: None, tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """``structures dev`` on free ports: its base URL and its mail folder."""
    async with embedded_default(tmp_path) as espace:
        yield espace.gateway, espace.maildir
