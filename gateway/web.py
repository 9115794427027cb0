"""The espace professionnel (``web/``, built by ``npm run build`` into ``web/dist``), served by the gateway.

Same origin as ``/graphql``: no CORS, and the page's policy can say ``connect-src 'self'``. Client-side routes
(``/disponibilites``…) answer ``index.html``; a missing file with an extension is a real 404. Files under
``/assets/`` carry a content hash in their name, so they are cached for a year; everything else (``index.html``,
the DSFR's files under ``/dsfr/``) is revalidated each time (``no-cache`` with an ETag: a 304 costs little).

The page's Content-Security-Policy allows scripts only from the gateway, never inline. react-dsfr sets the page's
colour scheme at run time by adding ``<style>:root { color-scheme: dark|light; }</style>``: those two exact
styles are allowed by their hashes, nothing else inline — React's ``style`` props and the DSFR's script go
through the CSSOM, which a policy does not restrict.
"""

import base64
import hashlib
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

COLOR_SCHEME_STYLES = (":root { color-scheme: dark; }", ":root { color-scheme: light; }")
"""The only inline styles of the page: react-dsfr's colour scheme (``useIsDark/client.js``)."""
HASHED = "public, max-age=31536000, immutable"
REVALIDATED = "no-cache"


def style_hash(body: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def origin_of(url: str) -> str:
    """``http://127.0.0.1:8001`` of ``http://127.0.0.1:8001/graphql``: what a policy and CORS compare."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def web_csp(moderation_url: str | None = None) -> str:
    """The policy of ``index.html``: the page talks to its own gateway, and to the moderation service's origin
    when one is configured (the Caf's console)."""
    connect = " ".join(["'self'", *([origin_of(moderation_url)] if moderation_url else [])])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' {' '.join(style_hash(body) for body in COLOR_SCHEME_STYLES)}",
            "img-src 'self' data:",  # data: for the on-screen challenge's image
            "media-src data:",  # …and its audio alternative
            "font-src 'self'",
            f"connect-src {connect}",
            "manifest-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",  # every form is sent by script, to /graphql
        ]
    )


WEB_CSP = web_csp()
"""The policy of ``index.html`` without a moderation service."""


def web_config(moderation_url: str | None) -> JSONResponse:
    """``/config.json``: what the page learns at start-up rather than have built in (the moderation API's URL)."""
    return JSONResponse({"moderationUrl": moderation_url}, headers={"cache-control": REVALIDATED})


class WebFiles(StaticFiles):
    """The built files, ``index.html`` for client-side routes, and the cache headers that fit each."""

    def __init__(self, *, directory: Path, policy: str) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.policy = policy

    async def get_response(self, path: str, scope: Scope) -> Response:
        compressed = self._compressed(path, scope)
        if compressed is not None:
            return compressed
        try:
            response = await super().get_response(path, scope)
            page = path == "index.html"
        except HTTPException as error:
            if error.status_code != 404 or _names_a_file(path):
                raise
            response = await super().get_response("index.html", scope)
            page = True
        if page:
            response.headers["content-security-policy"] = self.policy
        response.headers["cache-control"] = HASHED if path.startswith("assets/") and not page else REVALIDATED
        return response

    def _compressed(self, path: str, scope: Scope) -> Response | None:
        """The build's gzip of an asset or a DSFR style sheet (``npm run build`` writes ``<file>.gz``), for a browser
        accepting it."""
        if (
            not path.startswith(("assets/", "dsfr/"))
            or ".." in path
            or "gzip" not in Headers(scope=scope).get("accept-encoding", "")
        ):
            return None
        packed = Path(str(self.directory)) / f"{path}.gz"
        if not packed.is_file():
            return None
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        cache = HASHED if path.startswith("assets/") else REVALIDATED
        headers = {"content-encoding": "gzip", "vary": "accept-encoding", "cache-control": cache}
        return FileResponse(packed, media_type=media_type, headers=headers)


def _names_a_file(path: str) -> bool:
    """``app.js``, ``dsfr/x.css``: a file's name; not ``.`` (the root), ``disponibilites`` (a client-side route)."""
    return "." in path.rsplit("/", 1)[-1].strip(".")


class EspaceProfessionnel:
    """Serves ``dist`` once it is built (checked at each request: a build after start-up is served at once), and
    until then says in French how to build it."""

    def __init__(self, dist: Path, moderation_url: str | None = None) -> None:
        self.dist = dist
        self.files = WebFiles(directory=dist, policy=web_csp(moderation_url))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # a socket on a path no route takes: closed, as the router would
            await WebSocketClose()(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):  # pages are read; anything else is for a route that is not there
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        if (self.dist / "index.html").is_file():
            await self.files(scope, receive, send)
            return
        path = scope.get("path", "/")
        response = Response(status_code=404) if _names_a_file(path) else not_built_page(self.dist)
        await response(scope, receive, send)


def not_built_page(dist: Path) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Espace professionnel non construit</title>'
        "</head><body><main><h1>L'espace professionnel n'est pas construit</h1>"
        f"<p>Les fichiers de l'espace professionnel sont introuvables (<code>{dist}</code>). Lancez "
        "<code>make install</code>, ou dans le dossier <code>web</code> : <code>npm ci</code> puis "
        "<code>npm run build</code> (Node 20). Il suffit ensuite de recharger cette page.</p>"
        "<p>L'API GraphQL répond normalement sur <code>/graphql</code>.</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=503, headers={"cache-control": REVALIDATED})


__all__ = [
    "COLOR_SCHEME_STYLES",
    "WEB_CSP",
    "EspaceProfessionnel",
    "WebFiles",
    "not_built_page",
    "origin_of",
    "web_config",
    "web_csp",
]
