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


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host, self._port = host, port
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            raise _by_code(min(codes) if codes else 550, str(error)) from None
        except aiosmtplib.SMTPResponseException as error:
            raise _by_code(error.code, error.message) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise TransientError(f"SMTP server {self._host}:{self._port} unreachable: {error}") from None


def _by_code(code: int, text: str) -> TransientError | PermanentError:
    reason = f"SMTP {code}: {text}"
    return TransientError(reason) if 400 <= code < 500 else PermanentError(reason)


class FolderSender:
    """Writes each message to ``folder`` as ``<Message-ID>.eml`` and logs it (the embedded default's mailbox)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, message: EmailMessage) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("@", "_at_").replace("/", "_")
        target = self._folder / f"{name}.eml"
        with tempfile.NamedTemporaryFile(dir=self._folder, delete=False, suffix=".tmp") as handle:
            handle.write(message.as_bytes())
        os.replace(handle.name, target)
        log.info("e-mail written", extra={"to": message["To"], "subject": message["Subject"], "path": str(target)})
