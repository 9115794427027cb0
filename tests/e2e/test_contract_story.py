"""The Escautpont story as a newcomer plays it: the README's demo data and the three committed SDLs, nothing else.

The services run as processes on the real stack with the demo loaded (``GATEWAY_DEMO_DATA``, as ``make run``
does). Every identifier comes from an answer (``me``, a search by commune, the review queue), every password from
an e-mail, every document is checked against ``<service>/schema.graphql`` before it is sent (issue 13).
"""

import asyncio
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import DatabaseFactory, Stack
from tests.e2e.contract import ContractClient
from tests.e2e.mailbox import mail_names, password_in, text_of, wait_for_mail
from tests.e2e.processes import ROOT, ServiceProcess, service_env

pytestmark = pytest.mark.e2e

# From the README's demo table.
AUDREY, MARIE = "a.mathon.caf59", "m.dupont.escautpont"
AUDREY_MAIL, MARIE_MAIL = "a.mathon@caf59.monenfant.example", "m.dupont@escautpont.monenfant.example"
CRÈCHE = "Multi-accueil Les P'tits Mineurs"

LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken mustChangePassword } userErrors { field code message } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken mustChangePassword } userErrors { field code message } } }"""
ME = """{ me { identifier agentNumber kind kindLabel provider { id name }
  establishments { rights { code label } establishment { id name availabilityStatus { state label } } } } }"""
IN_ESCAUTPONT = """{ establishments(first: 20, filter: {communeInsee: "59207"}) { totalCount
  edges { node { id name provider { name } } } } }"""
AGENTS = """query($p: ID!) { providerAgents(providerId: $p) { totalCount edges { node {
  agentNumber lastName status statusLabel rights { right { code } establishment { id name } } } } } }"""
PUBLISH = """mutation($id: ID!, $a: [AvailabilityInput!]!) { publishAvailabilities(input: {establishmentId: $id,
  availabilities: $a}) { establishment { availabilityStatus { state } } userErrors { field code message } } }"""
PUBLIC_PLACES = """query($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on Establishment {
  availabilities(from: $from, to: $to) { date places } } } }"""
SUBMIT = """mutation($id: ID!, $info: OperatingInfoInput!, $key: String!) { submitOperatingInfo(input: {
  establishmentId: $id, operatingInfo: $info, idempotencyKey: $key}) {
  submission { id status statusLabel version } userErrors { field code message } } }"""
MINE = """{ mySubmissions { totalCount edges { node { id status statusLabel version establishment { id name }
  reasons { code label } comment } } } }"""
QUEUE = """query($e: ID!) { reviewQueue(filter: {establishmentId: $e}) { totalCount edges { node {
  id rowVersion status submissionId version establishment { id name }
  flags { rule label field excerpt } changes { field label } } } } }"""
CLAIM = """mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) { item { rowVersion }
  userErrors { field code message } } }"""
REJECT = """mutation($id: ID!, $v: Int!) { rejectReviewItem(id: $id, rowVersion: $v, reasons: [PUBLICITE_DEGUISEE],
  comment: "Merci de retirer la promotion de votre partenaire.") { item { status statusLabel }
  userErrors { field code message } } }"""
APPROVE = """mutation($id: ID!, $v: Int!) { approveReviewItem(id: $id, rowVersion: $v) { item { status }
  userErrors { field code message } } }"""
PUBLIC_INFO = """query($id: ID!) { node(id: $id) { ... on Establishment { operatingInfo { version fees
  weeklyHours { day opens closes } } } } }"""
DELIVERIES = """{ deliveries(first: 100) { totalCount edges { node { kind kindLabel recipient subject status
  statusLabel sentAt } } } }"""

HOURS = [{"day": d, "opens": "07:30", "closes": "18:00"} for d in ("LUNDI", "MARDI", "MERCREDI", "JEUDI", "VENDREDI")]
INFO = {
    "openingHours": HOURS,
    "closurePeriods": ["AOUT"],
    "ageMin": {"value": 10, "unit": "SEMAINE"},
    "ageMax": {"value": 4, "unit": "AN"},
    "capacity": 20,
    "fees": "Le multi-accueil applique le barème national des participations familiales de la Cnaf.",
    "funding": ["PSU"],
}
ADVERTISING = INFO | {"fees": "Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"}


def next_week() -> list[date]:
    """Monday to Friday of the first week that starts at least three days from now (the 3-day rule)."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    monday = today + timedelta(days=3 + (7 - (today + timedelta(days=3)).weekday()) % 7)
    return [monday + timedelta(days=n) for n in range(5)]


async def first_login(gateway: ContractClient, identifier: str, generated: str, chosen: str) -> str:
    first = (await gateway.call(LOGIN, i=identifier, p=generated))["login"]
    assert first["userErrors"] == []
    assert first["session"]["mustChangePassword"] is True
    changed = (await gateway.call(CHANGE, first["session"]["accessToken"], c=generated, n=chosen))["changePassword"]
    assert changed["userErrors"] == []
    assert changed["session"]["mustChangePassword"] is False
    return str(changed["session"]["accessToken"])


async def test_a_newcomer_plays_the_story_with_the_readme_and_the_committed_contracts(
    stack: Stack, pg_database: DatabaseFactory, kafka_namespace: str, tmp_path: Path
) -> None:
    earlier_mail = mail_names(stack.maildir)
    urls = {name: await pg_database(name) for name in ("gateway", "moderation", "notifier")}
    keys = await _operator_keys()  # as the README tells an operator: `structures keys`, then the gateway's JWKS

    def env(prefix: str, **extra: str) -> dict[str, str]:
        return service_env(prefix, urls[prefix.lower()], stack.kafka, kafka_namespace, **extra)

    gateway_process = ServiceProcess(
        "gateway",
        env("GATEWAY", NOTIFIER_PUBLIC_KEY=keys["GATEWAY_NOTIFIER_PUBLIC_KEY"], DEMO_DATA="true",
            TOKEN_SIGNING_KEY=keys["GATEWAY_TOKEN_SIGNING_KEY"]),
        tmp_path / "g.log",
    )  # fmt: skip
    processes = [gateway_process]
    try:
        gateway_process.start()
        await gateway_process.wait_ready()
        async with httpx.AsyncClient() as client:
            jwks = (await client.get(f"{gateway_process.url}/.well-known/jwks.json")).json()
        token_key = jwks["keys"][0]["x"]
        processes += [
            ServiceProcess("moderation", env("MODERATION", TOKEN_PUBLIC_KEY=token_key), tmp_path / "m.log"),
            ServiceProcess("notifier", env("NOTIFIER", SMTP_HOST=stack.smtp_host, SMTP_PORT=str(stack.smtp_port),
                                           SEALING_PRIVATE_KEY=keys["NOTIFIER_SEALING_PRIVATE_KEY"],
                                           TOKEN_PUBLIC_KEY=token_key), tmp_path / "n.log"),
        ]  # fmt: skip
        for process in processes[1:]:
            process.start()
            await process.wait_ready()
        gateway, moderation, notifier = (ContractClient(p.name, p.url) for p in processes)
        await _play(stack, gateway, moderation, notifier, earlier_mail)
    finally:
        for process in processes:
            process.stop()


async def _operator_keys() -> dict[str, str]:
    command = [sys.executable, "-m", "structures", "keys"]
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, check=True, capture_output=True, text=True)
    return dict(line.split("=", 1) for line in done.stdout.split())


async def _play(
    stack: Stack,
    gateway: ContractClient,
    moderation: ContractClient,
    notifier: ContractClient,
    earlier: frozenset[str],
) -> None:
    # Both demo accounts received their generated password by e-mail; each chooses a personal one.
    async def password_of(address: str) -> str:
        return password_in(await wait_for_mail(stack.maildir, address, "codes d'accès", ignoring=earlier))

    audrey = await first_login(gateway, AUDREY, await password_of(AUDREY_MAIL), "la Caf du Nord à Lille, 2026")
    marie = await first_login(gateway, MARIE, await password_of(MARIE_MAIL), "les P'tits Mineurs en mai")

    # Marie finds her scope with `me`; the public search by commune gives the same identifier.
    me = (await gateway.call(ME, marie))["me"]
    assert (me["identifier"], me["agentNumber"], me["kind"]) == (MARIE, "59-ESC-0001", "PROVIDER_AGENT")
    assert me["provider"]["name"] == "Mairie d'Escautpont"
    held = {e["establishment"]["name"]: e for e in me["establishments"]}
    crèche = held[CRÈCHE]["establishment"]["id"]
    assert sorted(r["code"] for r in held[CRÈCHE]["rights"]) == ["AVAILABILITY", "OPERATING_INFO"]
    found = (await gateway.call(IN_ESCAUTPONT))["establishments"]["edges"]
    assert {"id": crèche, "name": CRÈCHE, "provider": {"name": "Mairie d'Escautpont"}} in [e["node"] for e in found]

    # The Caf reads the provider's agents and their rights (annex of art. 3-2).
    agents = (await gateway.call(AGENTS, audrey, p=me["provider"]["id"]))["providerAgents"]
    [agent] = [edge["node"] for edge in agents["edges"]]
    assert (agent["agentNumber"], agent["status"]) == ("59-ESC-0001", "ACTIF")
    assert {(r["right"]["code"], r["establishment"]["id"]) for r in agent["rights"]} >= {
        ("AVAILABILITY", crèche),
        ("OPERATING_INFO", crèche),
    }

    # Next week's availabilities: public at once.
    week = next_week()
    published = await gateway.call(PUBLISH, marie, id=crèche, a=[{"date": d.isoformat(), "places": 3} for d in week])
    open_days = _open_days(published["publishAvailabilities"]["userErrors"], week)
    assert published["publishAvailabilities"]["establishment"]["availabilityStatus"]["state"] == "DISPONIBLE"
    public = await gateway.call(PUBLIC_PLACES, id=crèche, **{"from": week[0].isoformat(), "to": week[-1].isoformat()})
    assert public["node"]["availabilities"] == [{"date": d.isoformat(), "places": 3} for d in open_days]

    # Operating information with an advertising sentence: flagged in the Caf's queue, found by the gateway's ID.
    submitted = await gateway.call(SUBMIT, marie, id=crèche, info=ADVERTISING, key=uuid.uuid4().hex)
    submission = submitted["submitOperatingInfo"]
    assert submission["userErrors"] == []
    assert submission["submission"]["statusLabel"] == "En attente de validation par la Caf"
    item = await _queued(moderation, audrey, crèche)
    assert item["establishment"] == {"id": crèche, "name": CRÈCHE}
    assert item["submissionId"] == submission["submission"]["id"]
    assert [(f["rule"], f["field"]) for f in item["flags"]] == [("PUBLICITE_DEGUISEE", "fees")]
    assert {"field": "fees", "label": "Modalités tarifaires"} in item["changes"]

    # Claimed and rejected with its reason: Marie reads why, in her submissions and by e-mail.
    claimed = (await moderation.call(CLAIM, audrey, id=item["id"], v=item["rowVersion"]))["claimReviewItem"]
    assert claimed["userErrors"] == []
    rejected = await moderation.call(REJECT, audrey, id=item["id"], v=claimed["item"]["rowVersion"])
    assert rejected["rejectReviewItem"]["userErrors"] == []
    mine = await _submission_state(gateway, marie, submission["submission"]["id"], "REJECTED")
    assert mine["establishment"] == {"id": crèche, "name": CRÈCHE}
    assert mine["reasons"] == [{"code": "PUBLICITE_DEGUISEE", "label": "Caractère publicitaire déguisé"}]
    assert mine["comment"] == "Merci de retirer la promotion de votre partenaire."
    refusal = await wait_for_mail(stack.maildir, MARIE_MAIL, "n'ont pas été validées", ignoring=earlier)
    assert "Caractère publicitaire déguisé" in text_of(refusal)

    # Corrected and resubmitted, approved: families see it.
    second = (await gateway.call(SUBMIT, marie, id=crèche, info=INFO, key=uuid.uuid4().hex))["submitOperatingInfo"]
    assert second["userErrors"] == []
    clean = await _queued(moderation, audrey, crèche, status="PENDING")
    assert clean["flags"] == []
    claimed = (await moderation.call(CLAIM, audrey, id=clean["id"], v=clean["rowVersion"]))["claimReviewItem"]
    approved = await moderation.call(APPROVE, audrey, id=clean["id"], v=claimed["item"]["rowVersion"])
    assert approved["approveReviewItem"] == {"item": {"status": "APPROVED"}, "userErrors": []}
    await _submission_state(gateway, marie, second["submission"]["id"], "APPROVED")
    info = (await gateway.call(PUBLIC_INFO, id=crèche))["node"]["operatingInfo"]
    assert info["fees"] == INFO["fees"]
    assert info["weeklyHours"][0] == {"day": "LUNDI", "opens": "07:30:00", "closes": "18:00:00"}

    # Every e-mail of the story is visible to the Caf on the notifier: two passwords, two decisions.
    await wait_for_mail(stack.maildir, MARIE_MAIL, "sont publiées", ignoring=earlier)
    sent = await _deliveries(notifier, audrey, expected=4)
    assert sorted((d["kind"], d["recipient"]) for d in sent) == [
        ("MODERATION_DECIDED", MARIE_MAIL),
        ("MODERATION_DECIDED", MARIE_MAIL),
        ("PASSWORD_ISSUED", AUDREY_MAIL),
        ("PASSWORD_ISSUED", MARIE_MAIL),
    ]
    assert {d["statusLabel"] for d in sent} == {"Envoyé"}


def _open_days(errors: list[dict[str, Any]], week: list[date]) -> list[date]:
    """The days accepted; a day may be refused only as a closed day (a public holiday), at its own entry."""
    closed = set()
    for error in errors:
        assert error["code"] == "CLOSED_DAY", error
        closed.add(int(error["field"].removeprefix("availabilities[").split("]")[0]))
    assert len(closed) < len(week)
    return [day for index, day in enumerate(week) if index not in closed]


async def _queued(moderation: ContractClient, token: str, crèche: str, status: str = "PENDING") -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            edges = (await moderation.call(QUEUE, token, e=crèche))["reviewQueue"]["edges"]
            waiting: list[dict[str, Any]] = [edge["node"] for edge in edges if edge["node"]["status"] == status]
            if waiting:
                return waiting[0]
            await asyncio.sleep(0.2)


async def _submission_state(gateway: ContractClient, token: str, submission: str, status: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            edges = (await gateway.call(MINE, token))["mySubmissions"]["edges"]
            mine: dict[str, Any]
            [mine] = [edge["node"] for edge in edges if edge["node"]["id"] == submission]
            if mine["status"] == status:
                return mine
            await asyncio.sleep(0.2)


async def _deliveries(notifier: ContractClient, token: str, *, expected: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(30):
        while True:
            edges = (await notifier.call(DELIVERIES, token))["deliveries"]["edges"]
            sent = [edge["node"] for edge in edges if edge["node"]["status"] == "SENT"]
            if len(sent) >= expected:
                return sent
            await asyncio.sleep(0.2)
