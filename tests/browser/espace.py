"""The espace professionnel running for a browser test, in either mode a person can run it in:

* the embedded default, ``structures dev`` on free ports (SQLite, in-process bus, e-mails in its data folder);
* the real stack: the three services as processes on fresh PostgreSQL databases, Kafka and the SMTP sink, the
  gateway loading the Nord demo and its two accounts (``GATEWAY_DEMO_DATA=true``) as a demonstration server would.

Either way the demo accounts get their generated passwords by e-mail, and nothing else is prepared.
"""

import asyncio
import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx

from gateway.accounts.tokens import TokenSigner
from shared.sealing import generate_key_pair
from tests.catalogue_data import create_pg_database
from tests.conftest import SERVICES, Stack, drop_databases
from tests.e2e.mailbox import mail_names, wait_for_mail
from tests.e2e.processes import ROOT, ServiceProcess, service_env


@dataclass(frozen=True)
class Espace:
    """A running espace professionnel: the gateway that serves it, the moderation service, where e-mails land."""

    gateway: str
    moderation: str
    maildir: Path
    earlier_mail: frozenset[str] = frozenset()
    """Messages already in the mail folder before the services started (the SMTP sink is shared by every run)."""

    async def mail(self, recipient: str, subject: str) -> EmailMessage:
        return await wait_for_mail(self.maildir, recipient, subject, ignoring=self.earlier_mail)


def free_port_run(length: int = 3) -> int:
    """The first of ``length`` consecutive free ports (``structures dev`` takes the gateway's and the next two)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + length <= 65536 and all(_free(first + offset) for offset in range(1, length)):
            return first


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def wait_until_ready(url: str, timeout: float = 60) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(timeout):
        while True:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def embedded_default(folder: Path, **environment: str) -> AsyncIterator[Espace]:
    """``structures dev`` with its data (and e-mails) under ``folder``, on free ports, with these extra variables."""
    port = free_port_run()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MODERATION_", "NOTIFIER_"))}
    command = [sys.executable, "-m", "structures", "dev", "--data-dir", str(folder / "data"), "--port", str(port)]
    with (folder / "dev.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env | environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_ready(f"{base}/readyz")
        yield Espace(base, f"http://127.0.0.1:{port + 1}", folder / "data" / "mail")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


@contextlib.asynccontextmanager
async def demo_on_stack(stack: Stack, templates: dict[str, str], namespace: str, folder: Path) -> AsyncIterator[Espace]:
    """The three services as processes on the local real stack, the gateway loading the demo at start-up."""
    names = {service: f"t_{service}_{uuid.uuid4().hex[:10]}" for service in SERVICES}
    for service, name in names.items():
        await create_pg_database(stack.admin_dsn, name, templates[service])
    private_key, public_key = generate_key_pair()
    seed = os.urandom(32)
    signing = base64.b64encode(seed).decode()

    def env(prefix: str, **extra: str) -> dict[str, str]:
        return service_env(prefix, stack.database_url(names[prefix.lower()]), stack.kafka, namespace, **extra)

    gateway = ServiceProcess(
        "gateway",
        env("GATEWAY", DEMO_DATA="true", NOTIFIER_PUBLIC_KEY=public_key, TOKEN_SIGNING_KEY=signing),
        folder / "gateway.log",
    )
    moderation = ServiceProcess(
        "moderation", env("MODERATION", TOKEN_PUBLIC_KEY=TokenSigner(seed).jwks()["keys"][0]["x"]), folder / "m.log"
    )
    notifier = ServiceProcess(
        "notifier",
        env("NOTIFIER", SMTP_HOST=stack.smtp_host, SMTP_PORT=str(stack.smtp_port), SEALING_PRIVATE_KEY=private_key),
        folder / "notifier.log",
    )
    earlier = mail_names(stack.maildir)
    try:
        for process in (notifier, moderation, gateway):  # consumers first: the demo's e-mails find them listening
            process.start()
            await process.wait_ready()
        yield Espace(gateway.url, moderation.url, stack.maildir, earlier)
    finally:
        for process in (gateway, moderation, notifier):
            process.stop()
        await drop_databases(stack, list(names.values()))
