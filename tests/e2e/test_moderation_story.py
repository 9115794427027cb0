"""Issue 5's story on the real stack: availabilities at once; operating information through the Caf's moderation;
then issue 18's software vendor, delegated by the Caf, transmitting until the provider revokes it."""

import asyncio
import base64
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from gateway.accounts import services
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import account_rights
from gateway.accounts.tokens import TokenSigner
from gateway.catalogue import writes
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL
from gateway.catalogue.tables import establishments
from gateway.graphql.relay import to_global_id
from shared.db import create_session_factory
from shared.events import Topic, physical_topic
from shared.sealing import generate_key_pair
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.mailbox import text_of, wait_for_mail
from tests.e2e.processes import ServiceProcess, service_env
from tests.e2e.test_escautpont_story import Api
from tests.integration.test_availability_publication import PUBLISH, _entry, open_days
from tests.integration.test_operating_info_submission import INFO, SUBMIT
from tests.kafka_tools import read_topic
from tests.subscriptions import collect

pytestmark = pytest.mark.e2e
TEMPORARY = "Tmp4Pass"
QUEUE = """{ reviewQueue(flaggedFirst: true) { edges { node { id rowVersion establishment { id name }
  flags { rule label field excerpt } changes { field } } } } }"""
CLAIM = """mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) { item { rowVersion }
  userErrors { code } } }"""
REJECT = """mutation($id: ID!, $v: Int!) { rejectReviewItem(id: $id, rowVersion: $v, reasons: [PUBLICITE_DEGUISEE],
  comment: "Merci de retirer la promotion de votre partenaire.") { item { status } userErrors { code } } }"""
APPROVE = """mutation($id: ID!, $v: Int!) { approveReviewItem(id: $id, rowVersion: $v) { item { status }
  userErrors { code } } }"""
HOURS_NOW = '{ node(id: "%s") { ... on Establishment { operatingInfo { version openingHours fees } } } }'


async def _accounts(
    gateway_url: str, public_key: str, engines: EngineFactory, mails: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marie (rights on the multi-accueil) and a Caf du Nord moderator, as activation would have made them."""
    monkeypatch.setattr(services, "generate_password", lambda: TEMPORARY)
    hashing = PasswordHashing()
    try:
        async with create_session_factory(engines(gateway_url))() as session, session.begin():
            issuing, now = PasswordIssuing(hashing, public_key), datetime.now(UTC)
            marie = await services.create_provider_agent(
                session, NewPerson("Dupont", "Marie", "Directrice", mails["marie"]), provider_id=MAIRIE_ESCAUTPONT,
                commune_name="Escautpont", departement="59", issuing=issuing, now=now,
            )  # fmt: skip
            await session.execute(
                account_rights.insert(),
                [
                    {"account_id": marie.id, "establishment_id": MULTI_ACCUEIL, "right": r}
                    for r in ("AVAILABILITY", "OPERATING_INFO")
                ],
            )
            await services.bootstrap_caf_agent(
                session,
                NewPerson("Mathon", "Audrey", "Modératrice", mails["caf"]),
                caf_code="CAF59",
                issuing=issuing,
                now=now,
            )
    finally:
        hashing.close()


@dataclass
class Story:
    """The three services of one story as processes, with Marie and a Caf du Nord moderator ready to sign in."""

    gateway: ServiceProcess
    moderation: ServiceProcess
    notifier: ServiceProcess
    urls: dict[str, str]
    mails: dict[str, str]

    @property
    def processes(self) -> tuple[ServiceProcess, ServiceProcess, ServiceProcess]:
        return self.gateway, self.moderation, self.notifier


@contextlib.asynccontextmanager
async def story_services(
    stack: Stack,
    pg_database: DatabaseFactory,
    engines: EngineFactory,
    kafka_namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Story]:
    urls = {name: await pg_database(name) for name in ("gateway", "moderation", "notifier")}
    await fill_catalogue(urls["gateway"])
    private_key, public_key = generate_key_pair()
    seed = os.urandom(32)
    token_key = TokenSigner(seed).jwks()["keys"][0]["x"]
    run = uuid.uuid4().hex[:6]
    mails = {"marie": f"marie-{run}@escautpont.example", "caf": f"caf-{run}@caf59.example"}
    await _accounts(urls["gateway"], public_key, engines, mails, monkeypatch)

    def env(prefix: str, **extra: str) -> dict[str, str]:
        return service_env(prefix, urls[prefix.lower()], stack.kafka, kafka_namespace, **extra)

    signing = base64.b64encode(seed).decode()
    gateway_env = env("GATEWAY", NOTIFIER_PUBLIC_KEY=public_key, TOKEN_SIGNING_KEY=signing)
    story = Story(
        ServiceProcess("gateway", gateway_env, tmp_path / "g.log"),
        ServiceProcess("moderation", env("MODERATION", TOKEN_PUBLIC_KEY=token_key), tmp_path / "m.log"),
        ServiceProcess(
            "notifier", env("NOTIFIER", SMTP_HOST=stack.smtp_host, SMTP_PORT=str(stack.smtp_port),
                            SEALING_PRIVATE_KEY=private_key), tmp_path / "n.log",
        ),
        urls,
        mails,
    )  # fmt: skip
    try:
        for process in reversed(story.processes):
            process.start()
            await process.wait_ready()
        yield story
    finally:
        for process in story.processes:
            process.stop()


async def test_publish_submit_moderate_reject_resubmit_approve(
    stack: Stack, story: Story, kafka_namespace: str, engines: EngineFactory
) -> None:
    gateway, moderation, mails = story.gateway, story.moderation, story.mails
    api, moderators = Api(gateway.url), Api(moderation.url)
    marie = await api.first_login("m.dupont.escautpont", TEMPORARY, "les P'tits Mineurs au printemps")
    caf = await api.first_login("a.mathon.caf59", TEMPORARY, "la Caf du Nord à Lille, 2026")
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)
    followed: list[dict[str, Any]] = []  # an integrator following this crèche live, over graphql-transport-ws
    subscriber = asyncio.create_task(collect(gateway.ws_url, caf, {"establishmentIds": [crèche]}, followed))
    await gateway.wait_ready(report="ready", gauge=("publication_subscribers", 1))

    # Availabilities: published at once.
    [day] = open_days(1)
    published = await api.call(PUBLISH, marie, id=crèche, a=[_entry(day, 2)])
    assert published["data"]["publishAvailabilities"]["userErrors"] == []
    window = f'availabilities(from: "{day}", to: "{day}") {{ places }}'
    public = await api.call(f'{{ node(id: "{crèche}") {{ ... on Establishment {{ {window} }} }} }}')
    assert public["data"]["node"]["availabilities"] == [{"places": 2}]

    # New hours with a promotional sentence: flagged in the Caf's queue, with the excerpt and the diff.
    promo = INFO | {"fees": "Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"}
    first = (await api.call(SUBMIT, marie, id=crèche, info=promo))["data"]["submitOperatingInfo"]
    assert first["userErrors"] == []
    item = await _wait_for_item(moderators, caf)
    assert item["establishment"] == {"id": crèche, "name": "Multi-accueil Les P'tits Mineurs"}
    assert [(f["rule"], f["field"]) for f in item["flags"]] == [("PUBLICITE_DEGUISEE", "fees")]
    assert "-20 %" in item["flags"][0]["excerpt"]
    assert {"fees", "openingHours"} <= {c["field"] for c in item["changes"]}
    by_category = (
        "query($c: [Category!]) { reviewQueue(filter: {categories: $c}) { totalCount edges { node { id } } } }"
    )
    crèches = (await moderators.call(by_category, caf, c=["EAJE"]))["data"]["reviewQueue"]
    leisure = (await moderators.call(by_category, caf, c=["ALSH"]))["data"]["reviewQueue"]
    assert crèches == {"totalCount": 1, "edges": [{"node": {"id": item["id"]}}]}, "the gateway sent the category"
    assert leisure == {"totalCount": 0, "edges": []}

    # Claimed and rejected with that reason: the agent is told why.
    claimed = (await moderators.call(CLAIM, caf, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]
    stale = (await moderators.call(REJECT, caf, id=item["id"], v=item["rowVersion"]))["data"]["rejectReviewItem"]
    assert stale["userErrors"] == [{"code": "STALE"}]
    rejected = (await moderators.call(REJECT, caf, id=item["id"], v=claimed["item"]["rowVersion"]))["data"][
        "rejectReviewItem"
    ]
    assert rejected == {"item": {"status": "REJECTED"}, "userErrors": []}
    refusal = await wait_for_mail(stack.maildir, mails["marie"], "n'ont pas été validées")
    assert "Caractère publicitaire déguisé" in text_of(refusal)
    assert "Merci de retirer la promotion de votre partenaire." in text_of(refusal)

    # Resubmitted cleanly, approved: the public view shows the new hours, and the publication is announced.
    second = (await api.call(SUBMIT, marie, id=crèche, info=INFO))["data"]["submitOperatingInfo"]
    assert second["userErrors"] == []
    clean = await _wait_for_item(moderators, caf)
    assert clean["flags"] == []
    claimed = (await moderators.call(CLAIM, caf, id=clean["id"], v=clean["rowVersion"]))["data"]["claimReviewItem"]
    approved = (await moderators.call(APPROVE, caf, id=clean["id"], v=claimed["item"]["rowVersion"]))["data"]
    assert approved["approveReviewItem"]["item"]["status"] == "APPROVED"
    info = await _wait_for_version(api, crèche, 2)
    assert info["openingHours"].startswith("Mo-Fr 07:30-18:00")
    assert info["fees"] == INFO["fees"]
    announced = await read_topic(stack.kafka, physical_topic(Topic.PUBLICATIONS, kafka_namespace), expected=2)
    kinds = [dict(r.headers)["ce_type"].decode() for r in announced]
    assert kinds == [
        "fr.monenfant.structures.availabilities.published.v1",
        "fr.monenfant.structures.operating-info.published.v1",
    ]
    assert json.loads(announced[1].value)["version"] == 2
    async with asyncio.timeout(10):  # ...and reaches the subscriber through the gateway's live feed
        while len(followed) < 2:
            await asyncio.sleep(0.05)
    assert [(e["type"], e["data"].get("version")) for e in followed] == [
        ("AVAILABILITIES_PUBLISHED", None),
        ("OPERATING_INFO_PUBLISHED", 2),
    ]
    assert [e["id"] for e in followed] == [dict(r.headers)["ce_id"].decode() for r in announced]
    subscriber.cancel()
    mine = await api.call("{ mySubmissions { edges { node { status } } } }", marie)
    assert [e["node"]["status"] for e in mine["data"]["mySubmissions"]["edges"]] == ["APPROVED", "REJECTED"]

    second = await _second_creche(engines, story.urls["gateway"])
    await _a_vendor_transmits_until_revoked(gateway.url, api, caf, marie, second)


GRANT = """mutation($e: [ID!]!) { grantTransmissionClient(input: {name: "Logiciel Petits Pas", establishmentIds: $e})
  { clientId clientSecret userErrors { code } } }"""
REVOKE = "mutation($id: String!) { revokeTransmissionClient(clientId: $id) { revoked userErrors { code } } }"
TRANSMITTED = """query($ids: [ID!]!, $d: Date!) { nodes(ids: $ids) { ... on Establishment { name
  availabilities(from: $d, to: $d) { places channel } availabilityStatus { channel } } } }"""


async def _second_creche(engines: EngineFactory, url: str) -> str:
    """A second crèche of the Mairie d'Escautpont (the catalogue's other crèche is another provider's)."""
    async with create_session_factory(engines(url))() as session, session.begin():
        multi = (await session.execute(select(establishments).where(establishments.c.id == MULTI_ACCUEIL))).one()
        copied = {k: v for k, v in multi._asdict().items() if k not in ("id", "name", "availability_updated_at")}
        return await writes.add_establishment(session, **copied, name="Crèche familiale Les P'tits Mineurs")


async def _a_vendor_transmits_until_revoked(url: str, api: Api, caf: str, marie: str, second: str) -> None:
    """Issue 18: the Caf delegates both of the Mairie's crèches to a vendor, whose one call publishes the good
    crèche's availabilities and refuses the other's batch; revoked by the provider, its token and secret stop."""
    crèches = [to_global_id("Establishment", MULTI_ACCUEIL), to_global_id("Establishment", second)]
    granted = (await api.call(GRANT, caf, e=crèches))["data"]["grantTransmissionClient"]
    assert granted["userErrors"] == []
    vendor = httpx.BasicAuth(granted["clientId"], granted["clientSecret"])
    form = {"grant_type": "client_credentials", "scope": "availabilities:write"}
    day, too_soon = open_days(2)[1], datetime.now(ZoneInfo("Europe/Paris")).date()
    body = {
        "establishments": [
            {"establishmentId": crèches[0], "availabilities": [{"date": day.isoformat(), "places": 4}]},
            {
                "establishmentId": crèches[1],
                "availabilities": [{"date": day.isoformat(), "places": 1}, {"date": too_soon.isoformat(), "places": 1}],
            },
        ]
    }
    async with httpx.AsyncClient(base_url=url) as http:
        token = (await http.post("/oauth/token", data=form, auth=vendor)).json()["access_token"]
        bearer = {"authorization": f"Bearer {token}", "idempotency-key": str(uuid.uuid4())}
        sent = await http.post("/transmission/availabilities", json=body, headers=bearer)
        public = (await api.call(TRANSMITTED, ids=crèches, d=day.isoformat()))["data"]["nodes"]
        revoked = (await api.call(REVOKE, marie, id=granted["clientId"]))["data"]["revokeTransmissionClient"]
        bearer["idempotency-key"] = str(uuid.uuid4())
        refused = await http.post("/transmission/availabilities", json=body, headers=bearer)
        no_token = await http.post("/oauth/token", data=form, auth=vendor)

    results = sent.json()["results"]
    assert [r["status"] for r in results] == ["ACCEPTED", "REFUSED"]
    refusals = [(e["field"], e["code"]) for e in results[1]["errors"]]
    assert ("establishments[1].availabilities[1].date", "TOO_LATE") in refusals
    assert public[0]["availabilities"] == [{"places": 4, "channel": "TRANSMISSION_INFORMATISEE"}]
    assert public[0]["availabilityStatus"]["channel"] == "TRANSMISSION_INFORMATISEE"
    assert public[1]["availabilities"] == []
    assert revoked == {"revoked": True, "userErrors": []}
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
    assert (no_token.status_code, no_token.json()["error"]) == (401, "invalid_client")


async def _wait_for_item(moderators: Api, token: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            edges = (await moderators.call(QUEUE, token))["data"]["reviewQueue"]["edges"]
            if edges:
                item: dict[str, Any] = edges[0]["node"]
                return item
            await asyncio.sleep(0.2)


async def _wait_for_version(api: Api, crèche: str, version: int, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            info: dict[str, Any] = (await api.call(HOURS_NOW % crèche))["data"]["node"]["operatingInfo"]
            if info["version"] == version:
                return info
            await asyncio.sleep(0.2)
