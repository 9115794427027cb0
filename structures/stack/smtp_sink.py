"""SMTP sink: accepts every message on loopback and stores it as an ``.eml`` file.

Run with ``python -m structures.stack.smtp_sink --host 127.0.0.1 --port N --maildir DIR``.

Each message is written atomically (temporary file, then rename) as ``DIR/<timestamp>-<uuid>.eml``:
the RFC 822 bytes as received, preceded by ``X-Envelope-From`` and ``X-Envelope-To`` headers.

Fault injection for reliability tests: when ``DIR/../smtp-faults.json`` exists, e.g.
``{"fail_next": [451, 451], "permanent": false}``, the next RCPT/DATA answers are those codes, one
per command, consumed as used (the file is rewritten). A code below 400 lets that command through
(``[250, 451]`` accepts the RCPT and fails the DATA). With ``"permanent": true`` the codes are not
consumed: the first one is answered to every RCPT/DATA until the file changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

FAULTS_FILE_NAME = "smtp-faults.json"
_DESCRIPTION = "SMTP sink storing every received message as an .eml file."
_FAULT_TEXT = {4: "4.3.0 Injected temporary failure", 5: "5.3.0 Injected permanent failure"}

log = logging.getLogger("structures.stack.smtp_sink")


def faults_file_for(maildir: Path) -> Path:
    """The fault injection control file of ``maildir``: ``<maildir>/../smtp-faults.json``."""
    return maildir.parent / FAULTS_FILE_NAME


class FaultInjector:
    """Reads (and consumes) the codes of ``smtp-faults.json``."""

    def __init__(self, control_file: Path) -> None:
        self.control_file = control_file

    def next_failure(self) -> str | None:
        """The SMTP reply to answer instead of success, or None when no fault is pending."""
        try:
            config = json.loads(self.control_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable %s: %s", self.control_file, error)
            return None
        codes = config.get("fail_next") if isinstance(config, dict) else None
        if not isinstance(codes, list) or not codes:
            return None
        code = int(codes[0])
        if not config.get("permanent", False):
            config["fail_next"] = codes[1:]
            self._rewrite(config)
        if code < 400:
            return None  # a success code lets this command through, e.g. [250, 451] fails DATA only
        return f"{code} {_FAULT_TEXT.get(code // 100, 'Injected failure')}"

    def _rewrite(self, config: dict[str, object]) -> None:
        tmp = self.control_file.with_name(f".{self.control_file.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(config) + "\n")
        os.replace(tmp, self.control_file)


class MaildirHandler:
    """aiosmtpd handler storing each message in ``maildir``, with injectable RCPT/DATA faults."""

    def __init__(self, maildir: Path, faults: FaultInjector | None = None) -> None:
        self.maildir = maildir
        self.faults = faults or FaultInjector(faults_file_for(maildir))

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        failure = self.faults.next_failure()
        if failure is not None:
            log.info("RCPT %s answered with injected %s", address, failure)
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        failure = self.faults.next_failure()
        if failure is not None:
            log.info("DATA from %s answered with injected %s", envelope.mail_from, failure)
            return failure
        path = await asyncio.to_thread(store_message, self.maildir, envelope)
        log.info("stored %s from=%s to=%s", path.name, envelope.mail_from, ",".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _message_bytes(envelope: Envelope) -> bytes:
    content = envelope.original_content
    if content is None:
        raw = envelope.content
        content = raw.encode() if isinstance(raw, str) else (raw or b"")
    sender = envelope.mail_from or ""
    headers = f"X-Envelope-From: {sender}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
    return headers.encode() + content


def store_message(maildir: Path, envelope: Envelope) -> Path:
    """Write the message as ``<timestamp>-<uuid>.eml`` atomically and return its path."""
    maildir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{stamp}-{uuid.uuid4().hex}.eml"
    tmp = maildir / f".{name}.tmp"
    tmp.write_bytes(_message_bytes(envelope))
    final = maildir / name
    os.replace(tmp, final)
    return final


async def start_sink(host: str, port: int, maildir: Path) -> asyncio.Server:
    """Listen on ``host:port`` (0 = any free port) and store messages into ``maildir``."""
    maildir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at startup
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(maildir)
    return await loop.create_server(
        lambda: SMTP(handler, hostname="structures-smtp-sink", enable_SMTPUTF8=True, loop=loop), host, port
    )


async def serve(host: str, port: int, maildir: Path) -> None:
    """Run the sink until SIGTERM or SIGINT."""
    server = await start_sink(host, port, maildir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("SMTP sink listening on %s:%d, maildir %s", host, port, maildir)
    async with server:
        await stop.wait()
    log.info("SMTP sink stopped")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m structures.stack.smtp_sink", description=_DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    asyncio.run(serve(args.host, args.port, args.maildir.resolve()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
