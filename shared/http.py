"""HTTP plumbing common to the services' Starlette apps."""

import json
import re
import uuid
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import correlation_scope

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class CorrelationIdMiddleware:
    """Gives each request a correlation id (the caller's ``X-Request-Id`` when well-formed) and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        with correlation_scope(request_id):
            # A WebSocket has no response headers: its frames go straight through (thousands per publication).
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SAFE_ID.match(candidate) else None
    return None


MAX_BODY_BYTES = 256 * 1024
"""The largest request body a service reads (an operating-information document is a few kilobytes; its own limits
keep it far below this). Events stay under :data:`shared.events.MAX_EVENT_BYTES` because of it."""


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is over ``max_bytes``, declared or streamed, before the app reads it all."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})
        """Paths allowed a larger body (bulk endpoints), by exact path."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        if _declared_length(scope) > max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLargeError:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"The request body is over {self.max_bytes} bytes."
        body = json.dumps({"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _BodyTooLargeError(Exception):
    """Raised through the app when the streamed body passes the limit (apps read the body before answering)."""


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit():
            return int(value[:19])  # more digits than that is over any limit anyway
    return 0


HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""The policy of an HTML page that declares none of its own (a page that loads assets sets its own, see
:mod:`shared.graphiql`)."""
_EVERY_RESPONSE = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class SecurityHeadersMiddleware:
    """Every response: ``nosniff`` (a JSON answer is never run as a script) and no referrer (URLs may carry ids).
    Every HTML page besides: it may not be framed (clickjacking), and a Content-Security-Policy, the strictest one
    unless the page brought its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secured(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    names = {name.lower() for name, _ in headers}
    added = [(name, value) for name, value in _EVERY_RESPONSE if name not in names]
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html"):
        added.append((b"x-frame-options", b"DENY"))
        if b"content-security-policy" not in names:
            added.append((b"content-security-policy", HTML_CSP.encode()))
    return [*headers, *added]
