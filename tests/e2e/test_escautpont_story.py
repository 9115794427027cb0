"""Issue 4's story on the real stack, as the convention tells it (art. 3 and 5), for the Escautpont town hall."""

import asyncio
import base64
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.habilitation.challenges import issue_challenge
from shared.db import create_session_factory
from shared.sealing import generate_key_pair
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.mailbox import password_in, text_of, wait_for_mail
from tests.e2e.processes import ROOT, ServiceProcess
from tests.integration.test_habilitation_request import REQUEST, escautpont_request

pytestmark = pytest.mark.e2e
CHOSEN = {
    "caf": "la Caf du Nord à Lille, 2026",
    "marie": "les P'tits Mineurs en mai",
    "karine": "accueil de loisirs l'été",
}


class Api:
    def __init__(self, url: str) -> None:
        self.url = url

    async def call(
        self, query: str, token: str | None = None, *, request_id: str | None = None, **variables: Any
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        if request_id is not None:
            headers["x-request-id"] = request_id
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.url}/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        body: dict[str, Any] = response.json()
        return body

    async def login(self, identifier: str, password: str) -> dict[str, Any]:
        query = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
          session { accessToken mustChangePassword } userErrors { code } } }"""
        result: dict[str, Any] = (await self.call(query, i=identifier, p=password))["data"]["login"]
        return result

    async def change(self, token: str, current: str, new: str) -> dict[str, Any]:
        query = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
          session { accessToken mustChangePassword } userErrors { field code message } } }"""
        result: dict[str, Any] = (await self.call(query, token, c=current, n=new))["data"]["changePassword"]
        return result

    async def first_login(self, identifier: str, generated: str, chosen: str) -> str:
        first = await self.login(identifier, generated)
        assert first["session"]["mustChangePassword"] is True
        changed = await self.change(first["session"]["accessToken"], generated, chosen)
        assert changed["userErrors"] == []
        return str(changed["session"]["accessToken"])


async def _challenge(url: str, purpose: str, text: str, engines: EngineFactory) -> str:
    """Solve an image challenge the way a person would: we know what the image says (the test drew it)."""
    async with create_session_factory(engines(url))() as session, session.begin():
        return (await issue_challenge(session, purpose=purpose, now=datetime.now(UTC), text=text)).id


async def test_the_escautpont_story(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, kafka_namespace: str, tmp_path: Path
) -> None:
    gateway_url, notifier_url = await pg_database("gateway"), await pg_database("notifier")
    await fill_catalogue(gateway_url)
    private_key, public_key = generate_key_pair()
    gateway_env = {
        "GATEWAY_DATABASE_URL": gateway_url, "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
        "GATEWAY_KAFKA_TOPIC_NAMESPACE": kafka_namespace, "GATEWAY_NOTIFIER_PUBLIC_KEY": public_key,
        "GATEWAY_TOKEN_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(), "GATEWAY_OUTBOX_POLL_SECONDS": "0.2",
    }  # fmt: skip
    notifier_env = {
        "NOTIFIER_DATABASE_URL": notifier_url, "NOTIFIER_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
        "NOTIFIER_KAFKA_TOPIC_NAMESPACE": kafka_namespace, "NOTIFIER_CONSUMER_GROUP": f"{kafka_namespace}-notifier",
        "NOTIFIER_SMTP_HOST": stack.smtp_host, "NOTIFIER_SMTP_PORT": str(stack.smtp_port),
        "NOTIFIER_SEALING_PRIVATE_KEY": private_key,
    }  # fmt: skip
    gateway = ServiceProcess("gateway", gateway_env, tmp_path / "gateway.log")
    notifier = ServiceProcess("notifier", notifier_env, tmp_path / "notifier.log")
    run = uuid.uuid4().hex[:6]
    mails = {name: f"{name}-{run}@escautpont.example" for name in ("mairie", "marie", "karine")}
    caf_mail = f"caf-{run}@caf59.example"
    try:
        for process in (notifier, gateway):
            process.start()
            await process.wait_ready()
        api = Api(gateway.url)

        # The Caf du Nord's first agent, created from the command line, gets a password by e-mail.
        command = [sys.executable, "-m", "structures", "bootstrap-caf-agent", "--caf", "CAF59", "--last-name",
                   "Mathon", "--first-name", "Audrey", "--email", caf_mail]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | gateway_env
        await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, check=True, capture_output=True)
        caf_password = password_in(await wait_for_mail(stack.maildir, caf_mail, "codes d'accès"))
        caf = await api.first_login("a.mathon.caf59", caf_password, CHOSEN["caf"])

        # The town hall asks for its habilitation; the receipt confirms transmission to the Caf.
        persons = [
            {"lastName": "Dupont", "firstName": "Marie", "function": "Directrice multi-accueil",
             "email": mails["marie"]},
            {"lastName": "Lefebvre", "firstName": "Karine", "function": "Coordinatrice enfance-jeunesse",
             "email": mails["karine"]},
        ]  # fmt: skip
        challenge = await _challenge(gateway_url, "HABILITATION_REQUEST", "ESC59A", engines)
        request = escautpont_request(challenge, "esc59a", provider={"email": mails["mairie"]}, persons=persons)
        submitted = (await api.call(REQUEST, input=request))["data"]["requestHabilitation"]
        number = submitted["request"]["number"]
        receipt = await wait_for_mail(stack.maildir, mails["mairie"], "Accusé de réception")
        assert number in str(receipt["Subject"])

        # The Caf posts the convention, records it signed (Lille, 15/12/2023; deliberation of 12/04/2024), activates.
        listed = await api.call("{ habilitationRequests { edges { node { number status providerName } } } }", caf)
        assert {"node": {"number": number, "status": "SOUMISE", "providerName": "Mairie d'Escautpont"}} in listed[
            "data"
        ]["habilitationRequests"]["edges"]
        action = "mutation($n: String!) { %s(input: {requestNumber: $n}) { request { status } accounts } }"
        assert (await api.call(action % "markConventionSent", caf, n=number))["data"]["markConventionSent"][
            "request"
        ] == {"status": "CONVENTION_ENVOYEE"}
        signed = """mutation($n: String!) { recordSignedConvention(input: {requestNumber: $n, signedOn: "2023-12-15",
          place: "Lille", signatories: ["Raphaël KRUSZYNSKI, Maire", "Audrey MATHON-DEBETENCOURT, Directrice"],
          deliberationReference: "36-2024-DF-RK", deliberationDate: "2024-04-12"}) { request { status } } }"""
        assert (await api.call(signed, caf, n=number))["data"]["recordSignedConvention"]["request"]["status"] == (
            "CONVENTION_RECUE"
        )
        # The SIRET is the register's Mairie d'Escautpont: the Caf confirms it, or nothing is granted.
        unconfirmed = (await api.call(action % "activateHabilitation", caf, n=number))["data"]["activateHabilitation"]
        assert unconfirmed["accounts"] == []
        assert unconfirmed["request"] is None
        activate = """mutation($n: String!) { activateHabilitation(input: {requestNumber: $n, confirmProvider: true}) {
          request { status } accounts } }"""
        activated = (await api.call(activate, caf, n=number))["data"]["activateHabilitation"]
        assert activated["accounts"] == ["m.dupont.escautpont", "k.lefebvre.escautpont"]

        # Each person receives a password; first login forces a personal one; weak ones are refused.
        marie_password = password_in(await wait_for_mail(stack.maildir, mails["marie"], "codes d'accès"))
        karine_password = password_in(await wait_for_mail(stack.maildir, mails["karine"], "codes d'accès"))
        first = await api.login("m.dupont.escautpont", marie_password)
        me_first = await api.call("{ me { agentNumber } }", first["session"]["accessToken"])
        assert me_first["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        weak = await api.change(first["session"]["accessToken"], marie_password, "azerty123")
        common = await api.change(first["session"]["accessToken"], marie_password, "motdepasse123456")
        assert [e["code"] for e in weak["userErrors"]] == ["TOO_SHORT", "TOO_COMMON"]
        assert [e["message"] for e in common["userErrors"]] == [
            "Ce mot de passe est trop courant : choisissez-en un autre."
        ]
        marie = (await api.change(first["session"]["accessToken"], marie_password, CHOSEN["marie"]))["session"]
        assert marie["mustChangePassword"] is False
        assert (await api.call("{ me { agentNumber } }", marie["accessToken"]))["data"]["me"] == {
            "agentNumber": "59-ESC-0001"
        }
        assert (await api.login("m.dupont.escautpont", CHOSEN["marie"]))["session"] is not None

        # Karine forgot hers: the reset with the on-screen text sends a new one.
        await api.first_login("k.lefebvre.escautpont", karine_password, CHOSEN["karine"])
        reset_challenge = await _challenge(gateway_url, "PASSWORD_RESET", "RST42K", engines)
        reset = """mutation($i: String!, $c: ID!) { requestPasswordReset(input: {identifier: $i,
          challenge: {id: $c, answer: "rst42k"}}) { message userErrors { code } } }"""
        answer = (await api.call(reset, i="k.lefebvre.escautpont", c=reset_challenge))["data"]["requestPasswordReset"]
        assert answer["userErrors"] == []
        assert answer["message"].startswith("Si cet identifiant correspond à un compte actif")
        new_password = password_in(await wait_for_mail(stack.maildir, mails["karine"], "nouveau mot de passe"))
        assert (await api.login("k.lefebvre.escautpont", new_password))["session"]["mustChangePassword"] is True

        # End of mission: the Caf deactivates Marie; her next request fails, and she is told.
        deactivate = """mutation { deactivateAgent(input: {agentNumber: "59-ESC-0001", reason: "Fin de mission"}) {
          agentNumber userErrors { code } } }"""
        assert (await api.call(deactivate, caf))["data"]["deactivateAgent"] == {
            "agentNumber": "59-ESC-0001",
            "userErrors": [],
        }
        after = await api.call("{ me { agentNumber } }", marie["accessToken"])
        assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        farewell = await wait_for_mail(stack.maildir, mails["marie"], "Fin de votre habilitation")
        assert "Motif : Fin de mission" in text_of(farewell)
        log = await api.call('{ connectionLog(agentNumber: "59-ESC-0001") { edges { node { event } } } }', caf)
        events = {edge["node"]["event"] for edge in log["data"]["connectionLog"]["edges"]}
        assert {"LOGIN_OK", "PASSWORD_CHANGED"} <= events
    finally:
        gateway.stop()
        notifier.stop()
