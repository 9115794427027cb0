"""The e-mail sender port and its adapters: SMTP (aiosmtplib) and a folder of ``.eml`` files (embedded mode).

Adapters translate failures: a 4xx answer or an unreachable server is a :class:`TransientError` (retry later),
a 5xx answer a :class:`PermanentError` (recorded as failed, visible, never retried).
"""

import logging
import os
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from shared.errors import PermanentError, TransientError

log = logging.getLogger(__name__)


class EmailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None:
        """Let go of what the sender keeps between messages (connections)."""


class SmtpSender:
    """Sends over SMTP, keeping up to ``keep`` connections open between messages (one per concurrent attempt).

    A connection per message costs five round trips (connect, EHLO, [STARTTLS, EHLO, AUTH,] … QUIT) besides the
    message's own three, each a turn of a busy event loop: the tail of the event → e-mail latency (L3). A kept
    connection the server has closed meanwhile (idle timeout) is noticed at the message's first command, before
    anything was accepted on it, and the message goes on a fresh connection. A connection that fails in any other
    way is closed, never reused (its state is unknown).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        keep: int = 8,
    ) -> None:
        self._host, self._port = host, port
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout
        self._keep = keep
        self._idle: list[aiosmtplib.SMTP] = []
        self.connections = 0
        """Connections opened since start (kept ones are reused)."""

    async def send(self, message: EmailMessage) -> None:
        try:
            await self._send(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            raise _by_code(min(codes) if codes else 550, str(error)) from None
        except aiosmtplib.SMTPResponseException as error:
            raise _by_code(error.code, error.message) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise TransientError(f"SMTP server {self._host}:{self._port} unreachable: {error}") from None

    def close(self) -> None:
        """Close the kept connections (without QUIT: the server sees the connection end)."""
        while self._idle:
            self._idle.pop().close()

    async def _send(self, message: EmailMessage) -> None:
        kept = self._idle.pop() if self._idle else None
        if kept is not None and kept.is_connected:
            try:
                await self._over(kept, message)
                return
            except aiosmtplib.SMTPServerDisconnected:
                pass  # closed by the server while idle: nothing was accepted, send on a fresh connection
        elif kept is not None:
            kept.close()
        await self._over(await self._connect(), message)

    async def _over(self, client: aiosmtplib.SMTP, message: EmailMessage) -> None:
        try:
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        if len(self._idle) < self._keep:
            self._idle.append(client)
        else:
            client.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._starttls,
            timeout=self._timeout,
        )
        await client.connect()
        self.connections += 1
        return client


def _by_code(code: int, text: str) -> TransientError | PermanentError:
    reason = f"SMTP {code}: {text}"
    return TransientError(reason) if 400 <= code < 500 else PermanentError(reason)


class FolderSender:
    """Writes each message to ``folder`` as ``<Message-ID>.eml`` and logs it (the embedded default's mailbox)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def close(self) -> None:
        return None

    async def send(self, message: EmailMessage) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("@", "_at_").replace("/", "_")
        target = self._folder / f"{name}.eml"
        with tempfile.NamedTemporaryFile(dir=self._folder, delete=False, suffix=".tmp") as handle:
            handle.write(message.as_bytes())
        os.replace(handle.name, target)
        log.info("e-mail written", extra={"to": message["To"], "subject": message["Subject"], "path": str(target)})
