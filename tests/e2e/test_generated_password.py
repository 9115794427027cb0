"""The first Caf agent gets a generated password by e-mail; it is sealed everywhere else (S14, convention 3-2)."""

import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from gateway.accounts.tables import accounts
from notifier.tables import deliveries
from shared.db import create_session_factory
from shared.events import Topic, physical_topic
from shared.sealing import generate_key_pair
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.mailbox import wait_for_mail
from tests.e2e.processes import ROOT, ServiceProcess
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.e2e


async def test_the_first_caf_agent_receives_a_sealed_generated_password(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, kafka_namespace: str, tmp_path: Path
) -> None:
    gateway_url, notifier_url = await pg_database("gateway"), await pg_database("notifier")
    await fill_catalogue(gateway_url)
    private_key, public_key = generate_key_pair()
    gateway_env = {
        "GATEWAY_DATABASE_URL": gateway_url,
        "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
        "GATEWAY_KAFKA_TOPIC_NAMESPACE": kafka_namespace,
        "GATEWAY_NOTIFIER_PUBLIC_KEY": public_key,
    }
    notifier = ServiceProcess(
        "notifier",
        {
            "NOTIFIER_DATABASE_URL": notifier_url,
            "NOTIFIER_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
            "NOTIFIER_KAFKA_TOPIC_NAMESPACE": kafka_namespace,
            "NOTIFIER_CONSUMER_GROUP": f"{kafka_namespace}-notifier",
            "NOTIFIER_SMTP_HOST": stack.smtp_host,
            "NOTIFIER_SMTP_PORT": str(stack.smtp_port),
            "NOTIFIER_SEALING_PRIVATE_KEY": private_key,
        },
        tmp_path / "notifier.log",
    )
    gateway = ServiceProcess("gateway", gateway_env, tmp_path / "gateway.log")
    email = f"agent-{uuid.uuid4().hex[:8]}@caf59.example"
    try:
        notifier.start()
        gateway.start()
        await notifier.wait_ready()
        await gateway.wait_ready()
        command = [sys.executable, "-m", "structures", "bootstrap-caf-agent", "--caf", "CAF59",
                   "--last-name", "Mathon", "--first-name", "Élodie", "--email", email]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | gateway_env
        result = await asyncio.to_thread(
            subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        mail = await wait_for_mail(stack.maildir, email, "codes d'accès")
    finally:
        gateway.stop()
        notifier.stop()

    assert "identifier: e.mathon.caf59" in result.stdout
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    password = re.search(r"Mot de passe provisoire : (\S+)", body).group(1)  # type: ignore[union-attr]
    assert re.fullmatch(r"[A-Za-z2-9]{8}", password)
    assert "Identifiant : e.mathon.caf59" in body
    assert "Numéro d'identification d'agent : CAF59-0001" in body
    async with create_session_factory(engines(gateway_url))() as session:
        account = (await session.execute(select(accounts))).one()
    assert account.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(account.password_hash, password)
    assert account.status == "MDP_PROVISOIRE"
    assert account.password_temporary is True
    assert account.caf_administrator is True  # the command makes the Caf's administrators
    async with create_session_factory(engines(notifier_url))() as session:
        delivery = (await session.execute(select(deliveries))).one()
    assert delivery.status == "SENT"
    assert delivery.sealed_secret is None  # erased with the SMTP acceptance
    assert password not in delivery.text_body + delivery.html_body + (delivery.sealed_secret or "")
    [message] = await read_topic(stack.kafka, physical_topic(Topic.ACCOUNTS, kafka_namespace), expected=1)
    assert password.encode() not in message.value
    for log in (gateway.log_path, notifier.log_path):
        assert password not in log.read_text()
    assert password not in result.stdout + result.stderr
