"""Validators and caching rules for GraphQL answers to GET (GraphQL over HTTP: queries only).

A successful answer gets a strong ``ETag`` (the SHA-256 of its bytes) and a ``Cache-Control`` that depends on who
asked: a request without credentials reads public data, which any cache may keep but must revalidate
(``public, max-age=0, must-revalidate``: a publication is visible at once); a request with an ``Authorization``
header or an API key gets ``private, no-cache``. An answer with errors is never stored. A request whose
``If-None-Match`` names the current ETag gets ``304 Not Modified`` without a body.
"""

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-cache"
UNSTORED = "no-store"


class ConditionalGraphQLGet:
    """ASGI middleware for ``GET <path>``: see the module's docstring. Other requests pass through untouched."""

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        credentials = "authorization" in request_headers or "x-api-key" in request_headers
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _answer(start, b"".join(chunks), request_headers, credentials, send)

        await self.app(scope, receive, buffered)


async def _answer(start: Message, body: bytes, request: Headers, credentials: bool, send: Send) -> None:
    headers = MutableHeaders(raw=list(start["headers"]))
    json_answer = headers.get("content-type", "").startswith("application/json")
    headers["vary"] = "Authorization, X-API-Key"
    if start["status"] != 200 or not json_answer or b'"errors":' in body:
        if json_answer:
            headers["cache-control"] = UNSTORED
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})
        return
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    headers["etag"] = etag
    headers["cache-control"] = PRIVATE if credentials else PUBLIC
    if etag in [tag.strip() for tag in request.get("if-none-match", "").split(",")]:
        del headers["content-length"]
        await send({**start, "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})
