"""The GraphiQL page a service may serve in development, its files, and the Content-Security-Policy that fits it.

Strawberry's page keeps pasted request headers (an access token, an API key) in the browser's localStorage
(``shouldPersistHeaders: true``): anyone later on that browser, or any script on the origin, could read them. Ours
passes ``false``, so headers live only as long as the tab. Strawberry's page loads React and GraphiQL from a CDN;
ours loads the same files from the service itself (:data:`ASSET_PATH`), so the IDE works without internet. They are
built from pinned npm packages at install time (``shared/graphiql_assets``, ``make install``) under the CDN's own
paths, so the page's Subresource Integrity hashes still hold. The policy allows scripts from the service and the
page's own inline script by its hash, nothing else. Styles may also be inline: GraphiQL's dialogs add ``<style>``
elements at run time (scroll locking), which no hash can name, and a style cannot run code.
"""

import base64
import hashlib
import html as html_text
import re
from functools import cache
from pathlib import Path
from typing import Literal

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

from shared.settings import ServiceSettings

ASSET_ORIGIN = "'self'"
"""Where the page's scripts, style sheets and fonts come from."""
ASSET_PATH = "/graphiql-assets"
"""Where each service serves them."""
ASSETS = Path(__file__).parent / "graphiql_assets" / "dist"
"""The files, as ``<package>@<version>/<path>`` (built by ``npm ci && npm run build`` in ``graphiql_assets``)."""
_CDN = "https://unpkg.com/"
_CDN_FILE = re.compile(r'(?:src|href)="https://unpkg\.com/([^"]+)"')
_REMOTE_FILE = re.compile(r'(?:src|href)="(?:https?:)?//')
_PERSISTED = "shouldPersistHeaders: true"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def graphiql_if(enabled: bool, settings: ServiceSettings) -> Literal["graphiql"] | None:
    """The IDE to serve: GraphiQL when the service's setting asks for it, never in production."""
    return "graphiql" if enabled and not settings.production else None


def graphiql_asset_routes(ide: str | None) -> list[BaseRoute]:
    """The route of the page's files, when the page is served and the files are built (a service started before
    ``make install`` says so on its page and serves them once restarted)."""
    if ide is None or not ASSETS.is_dir():
        return []
    return [Mount(ASSET_PATH, app=StaticFiles(directory=ASSETS), name="graphiql-assets")]


@cache
def graphiql_html() -> str:
    html = get_graphql_ide_html("graphiql")
    if _PERSISTED not in html:  # a strawberry upgrade changed the page: look again before serving it
        raise RuntimeError("strawberry's GraphiQL page no longer says shouldPersistHeaders: true")
    html = html.replace(_PERSISTED, "shouldPersistHeaders: false").replace(_CDN, f"{ASSET_PATH}/")
    if _REMOTE_FILE.search(html):  # the policy would block it, and offline it would hang the page
        raise RuntimeError("strawberry's GraphiQL page loads a file from a host other than unpkg.com")
    return html


@cache
def needed_assets() -> tuple[str, ...]:
    """The files the page loads, relative to :data:`ASSETS`."""
    return tuple(_CDN_FILE.findall(get_graphql_ide_html("graphiql")))


def missing_assets() -> list[str]:
    return [name for name in needed_assets() if not (ASSETS / name).is_file()]


@cache
def graphiql_csp() -> str:
    html = graphiql_html()
    scripts = " ".join(_hash(body) for body in _INLINE_SCRIPT.findall(html))
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {ASSET_ORIGIN} {scripts}",
            f"style-src {ASSET_ORIGIN} 'unsafe-inline'",
            f"font-src {ASSET_ORIGIN} data:",
            f"img-src {ASSET_ORIGIN} data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _hash(body: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def assets_missing_page(missing: list[str]) -> HTMLResponse:
    """Said plainly instead of a page stuck on « Loading… »."""
    items = "".join(f"<li><code>{html_text.escape(name)}</code></li>" for name in missing)
    body = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>GraphiQL indisponible</title></head>'
        "<body><h1>GraphiQL : fichiers non installés</h1>"
        "<p>Les fichiers de GraphiQL ne sont pas installés sur ce service. Lancez <code>make install</code> (qui "
        "exécute <code>npm ci &amp;&amp; npm run build</code> dans <code>shared/graphiql_assets</code>, Node 20), "
        f"puis redémarrez le service. Fichiers manquants :</p><ul>{items}</ul>"
        "<p>L'API GraphQL elle-même répond normalement (<code>POST /graphql</code>).</p></body></html>"
    )
    return HTMLResponse(body, status_code=503)


class GraphiQLPage:
    """Mixin of a strawberry ASGI view: serves :func:`graphiql_html` with :func:`graphiql_csp`."""

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()

    async def render_graphql_ide(self, request: Request) -> Response:
        if missing := missing_assets():
            return assets_missing_page(missing)
        return HTMLResponse(graphiql_html(), headers={"content-security-policy": graphiql_csp()})


__all__ = [
    "ASSETS",
    "ASSET_ORIGIN",
    "ASSET_PATH",
    "GraphiQLPage",
    "assets_missing_page",
    "graphiql_asset_routes",
    "graphiql_csp",
    "graphiql_html",
    "graphiql_if",
    "missing_assets",
    "needed_assets",
]
