"""The Escautpont story, first step, on the real stack: the request's receipt reaches the provider's mailbox."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway.habilitation.challenges import issue_challenge
from shared.db import create_session_factory
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.mailbox import wait_for_mail
from tests.e2e.processes import ServiceProcess
from tests.integration.test_habilitation_request import REQUEST, escautpont_request

pytestmark = pytest.mark.e2e


async def test_a_habilitation_request_gets_its_receipt_by_e_mail(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, kafka_namespace: str, tmp_path: Path
) -> None:
    gateway_url, notifier_url = await pg_database("gateway"), await pg_database("notifier")
    await fill_catalogue(gateway_url)
    common = {"KAFKA_BOOTSTRAP_SERVERS": stack.kafka, "KAFKA_TOPIC_NAMESPACE": kafka_namespace}
    gateway = ServiceProcess(
        "gateway", {f"GATEWAY_{k}": v for k, v in common.items()} | {"GATEWAY_DATABASE_URL": gateway_url},
        tmp_path / "gateway.log",
    )  # fmt: skip
    notifier_env = {f"NOTIFIER_{k}": v for k, v in common.items()} | {
        "NOTIFIER_DATABASE_URL": notifier_url,
        "NOTIFIER_CONSUMER_GROUP": f"{kafka_namespace}-notifier",
        "NOTIFIER_SMTP_HOST": stack.smtp_host,
        "NOTIFIER_SMTP_PORT": str(stack.smtp_port),
    }
    notifier = ServiceProcess("notifier", notifier_env, tmp_path / "notifier.log")
    try:
        for process in (gateway, notifier):
            process.start()
            await process.wait_ready()
        async with create_session_factory(engines(gateway_url))() as session, session.begin():
            challenge = await issue_challenge(
                session, purpose="HABILITATION_REQUEST", now=datetime.now(UTC), text="B7K2QX"
            )
        mailbox = f"mairie-{uuid.uuid4().hex[:8]}@escautpont.example"
        variables = {"input": escautpont_request(challenge.id, "b7k2qx", provider={"email": mailbox})}
        async with httpx.AsyncClient() as client:
            answer = (
                await client.post(f"{gateway.url}/graphql", json={"query": REQUEST, "variables": variables})
            ).json()

        number = answer["data"]["requestHabilitation"]["request"]["number"]
        mail = await wait_for_mail(stack.maildir, mailbox, "Accusé de réception")
    finally:
        gateway.stop()
        notifier.stop()

    assert mail["Subject"] == f"Accusé de réception de votre demande d'habilitation n° {number}"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "transmise le" in text
    assert "Caisse d'allocations familiales du Nord" in text
    assert "Marie Dupont, Directrice multi-accueil" in text
    assert "Multi-accueil Les P'tits Mineurs" in text
