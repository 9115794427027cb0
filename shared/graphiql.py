"""The GraphiQL page a service may serve in development, and the Content-Security-Policy that fits it.

Strawberry's page keeps pasted request headers (an access token, an API key) in the browser's localStorage
(``shouldPersistHeaders: true``): anyone later on that browser, or any script on the origin, could read them. Ours
passes ``false``, so headers live only as long as the tab. The page loads React and GraphiQL from a CDN with
Subresource Integrity; the policy allows scripts from that origin and the page's own inline script by its hash,
nothing else. Styles may also be inline: GraphiQL's dialogs add ``<style>`` elements at run time (scroll locking),
which no hash can name, and a style cannot run code. Self-hosting the assets later means changing
:data:`ASSET_ORIGIN` to ``'self'``.
"""

import base64
import hashlib
import re
from functools import cache
from typing import Literal

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from shared.settings import ServiceSettings

ASSET_ORIGIN = "https://unpkg.com"
"""Where the page's scripts, style sheets and fonts come from."""
_PERSISTED = "shouldPersistHeaders: true"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def graphiql_if(enabled: bool, settings: ServiceSettings) -> Literal["graphiql"] | None:
    """The IDE to serve: GraphiQL when the service's setting asks for it, never in production."""
    return "graphiql" if enabled and not settings.production else None


@cache
def graphiql_html() -> str:
    html = get_graphql_ide_html("graphiql")
    if _PERSISTED not in html:  # a strawberry upgrade changed the page: look again before serving it
        raise RuntimeError("strawberry's GraphiQL page no longer says shouldPersistHeaders: true")
    return html.replace(_PERSISTED, "shouldPersistHeaders: false")


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


class GraphiQLPage:
    """Mixin of a strawberry ASGI view: serves :func:`graphiql_html` with :func:`graphiql_csp`."""

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_html(), headers={"content-security-policy": graphiql_csp()})


__all__ = ["ASSET_ORIGIN", "GraphiQLPage", "graphiql_csp", "graphiql_html", "graphiql_if"]
