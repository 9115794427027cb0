"""Lifecycle of the SMTP sink process (``structures.stack.smtp_sink``) in ``.stack/smtp/``."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import aiosmtplib

import structures.stack
from structures.stack import ports
from structures.stack._process import (
    is_alive,
    is_our_process,
    mark_log,
    reap,
    spawn_detached,
    terminate_group,
    wait_until,
)
from structures.stack.component import ComponentError, ComponentStatus
from structures.stack.layout import StackLayout
from structures.stack.state import SmtpRecord

NAME = "smtp"
PORT_ENV = "STACK_SMTP_PORT"
READY_TIMEOUT = 15.0
STOP_GRACE = 5.0
MODULE = "structures.stack.smtp_sink"

log = logging.getLogger(__name__)


async def _noop(port: int) -> bool:
    client = aiosmtplib.SMTP(hostname=ports.HOST, port=port, timeout=2, start_tls=False)
    async with client:
        response = await client.noop()
    return response.code == 250


def sink_answers(port: int) -> bool:
    """True when an SMTP NOOP on 127.0.0.1:``port`` gets a 250."""
    try:
        return asyncio.run(_noop(port))
    except (OSError, aiosmtplib.SMTPException):
        return False


def _child_env() -> dict[str, str]:
    """Our environment, with the folder holding the ``structures`` package first on PYTHONPATH."""
    package_parent = Path(structures.stack.__file__).resolve().parents[2]
    path = [str(package_parent), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


class SmtpSink:
    """Start/stop/check the sink; messages land in ``.stack/smtp/maildir``."""

    name = NAME

    def __init__(self, layout: StackLayout, record: SmtpRecord) -> None:
        self.layout = layout
        self.record = record
        self.maildir = layout.maildir
        self.log_file = layout.smtp_dir / "smtp.log"

    def _running(self) -> bool:
        return is_our_process(self.record.pid, str(self.maildir))

    def status(self) -> ComponentStatus:
        running = self._running()
        healthy = running and self.record.port is not None and sink_answers(self.record.port)
        pid = self.record.pid if running else None
        return ComponentStatus(NAME, running, healthy, self.record.port, pid, str(self.maildir))

    def up(self, taken: set[int]) -> None:
        """Start the sink unless it already runs, then wait until it answers."""
        self.record.maildir = str(self.maildir)
        if not self._running():
            self.maildir.mkdir(parents=True, exist_ok=True)
            self.record.port = ports.choose(PORT_ENV, self.record.port, taken)
            argv = [sys.executable, "-m", MODULE, "--host", ports.HOST, "--port", str(self.record.port)]
            argv += ["--maildir", str(self.maildir)]
            mark_log(self.log_file, f"starting {MODULE}")
            self.record.pid = spawn_detached(argv, self.log_file, cwd=self.layout.root, env=_child_env())
        else:
            log.info("smtp: already running (pid %s, port %s)", self.record.pid, self.record.port)
            warning = ports.ignored_env_port(PORT_ENV, self.record.port)
            if warning:
                log.warning("smtp: %s", warning)
        self._wait_ready()

    def _wait_ready(self) -> None:
        port, pid = self.record.port, self.record.pid
        assert port is not None
        assert pid is not None

        def ready() -> bool:
            reap(pid)
            if not is_alive(pid):
                raise ComponentError(NAME, f"sink process {pid} exited during startup", [self.log_file])
            return sink_answers(port)

        if not wait_until(ready, READY_TIMEOUT, interval=0.2):
            reason = f"no SMTP answer on 127.0.0.1:{port} after {READY_TIMEOUT:.0f} s"
            raise ComponentError(NAME, reason, [self.log_file])

    def down(self) -> bool:
        """SIGTERM the sink; True if something was stopped."""
        if not self._running():
            self.record.pid = None
            return False
        assert self.record.pid is not None
        terminate_group(self.record.pid, STOP_GRACE)
        self.record.pid = None
        return True
