"""A loopback HTTP endpoint receiving webhooks (integration and e2e tests, W1 bench): keep-alive HTTP/1.1, answers
``status`` after ``delay`` seconds (or once ``hold`` is set), verifies each request with the Standard Webhooks
package's own verifier and keeps it."""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    webhook_id: str
    body: dict[str, Any]
    at: float
    """``time.time()`` when it was read."""


@dataclass
class WebhookReceiver:
    status: int = 200
    delay: float = 0.0
    secret: str | None = None
    """Set once the endpoint is registered; until then (and for a bad signature) requests are refused with 400."""
    received: list[Received] = field(default_factory=list)
    """Verified requests answered 2xx."""
    attempts: list[str] = field(default_factory=list)
    """Every verified request's webhook-id, whatever the answer."""
    connections: int = 0
    """Connections accepted so far."""
    hold: asyncio.Event | None = None
    """When given, every answer waits until it is set: an endpoint whose first answers have not come yet."""
    keep_raw: bool = False
    raw: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    """With ``keep_raw``, every request's body and headers as they came, verified or not (off for benchmarks)."""
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if self.keep_raw:
                    self.raw.append((body, headers))
                if self.hold is not None:
                    await self.hold.wait()
                status = self._answer(headers, body)
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # the client went away, or the receiver is stopping
        finally:
            writer.close()

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        if self.secret is None:
            return 400
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except Exception:  # noqa: BLE001 - any verification failure is a refusal
            return 400
        self.attempts.append(headers["webhook-id"])
        if 200 <= self.status < 300:
            self.received.append(Received(headers["webhook-id"], payload, time.time()))
        return self.status
