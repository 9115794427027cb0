"""HTTP plumbing common to the services' Starlette apps."""

import re
import uuid

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
