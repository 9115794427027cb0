"""The Caf's side of issue 15 on the local real stack (PostgreSQL, Kafka, the SMTP sink; the three services as
processes), in Chromium: a Caf agent signs in, processes the Escautpont request to activation; the provider's
submission (made through the API) appears in the queue flagged, the moderator claims it, sees the diff and the flag,
rejects it with a reason; the resubmission is approved and appears in the public catalogue; an agent is deactivated
and loses access."""

import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from gateway.accounts import services
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import account_rights
from gateway.accounts.tokens import TokenSigner
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from gateway.habilitation.challenges import issue_challenge
from shared.db import create_session_factory
from shared.sealing import generate_key_pair
from tests.browser.embedded_page import GatewayApi, require_build
from tests.browser.pages import Watch, serious_violations
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.processes import ServiceProcess, service_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
TEMPORARY = "Tmp4Pass"
CHOSEN = "girafe lampadaire cornichon violet"
CRECHE = to_global_id("Establishment", str(MULTI_ACCUEIL))
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
SUBMIT = """mutation($id: ID!, $info: OperatingInfoInput!) {
  submitOperatingInfo(input: {establishmentId: $id, operatingInfo: $info}) { userErrors { field message } } }"""
REQUEST = """mutation($input: RequestHabilitationInput!) { requestHabilitation(input: $input) {
  request { number } userErrors { field message } } }"""


async def _accounts(gateway_url: str, public_key: str, engines: EngineFactory, mails: dict[str, str]) -> None:
    """Marie (rights on the multi-accueil) and a Caf du Nord moderator, their password ``TEMPORARY``."""
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
                session, NewPerson("Mathon", "Audrey", "Modératrice", mails["caf"]), caf_code="CAF59",
                issuing=issuing, now=now,
            )  # fmt: skip
    finally:
        hashing.close()


@pytest.fixture
async def real_stack(
    stack: Stack,
    pg_database: DatabaseFactory,
    engines: EngineFactory,
    kafka_namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[GatewayApi, dict[str, str], EngineFactory]]:
    """The three services on the real stack, the page served by the gateway and allowed at moderation."""
    require_build()
    urls = {name: await pg_database(name) for name in ("gateway", "moderation", "notifier")}
    await fill_catalogue(urls["gateway"])
    private_key, public_key = generate_key_pair()
    seed = os.urandom(32)
    run = uuid.uuid4().hex[:6]
    mails = {"marie": f"marie-{run}@escautpont.example", "caf": f"caf-{run}@caf59.example"}
    mails["karine"] = f"karine-{run}@escautpont.example"
    monkeypatch.setattr(services, "generate_password", lambda: TEMPORARY)
    await _accounts(urls["gateway"], public_key, engines, mails)

    def env(prefix: str, **extra: str) -> dict[str, str]:
        return service_env(prefix, urls[prefix.lower()], stack.kafka, kafka_namespace, **extra)

    token_key = TokenSigner(seed).jwks()["keys"][0]["x"]
    moderation = ServiceProcess("moderation", {}, tmp_path / "m.log")
    gateway = ServiceProcess("gateway", {}, tmp_path / "g.log")
    gateway.env = env(
        "GATEWAY", NOTIFIER_PUBLIC_KEY=public_key, TOKEN_SIGNING_KEY=base64.b64encode(seed).decode(),
        MODERATION_URL=f"{moderation.url}/graphql",
    )  # fmt: skip
    moderation.env = env("MODERATION", TOKEN_PUBLIC_KEY=token_key, CORS_ORIGINS=f'["{gateway.url}"]')
    notifier = ServiceProcess(
        "notifier",
        env("NOTIFIER", SMTP_HOST=stack.smtp_host, SMTP_PORT=str(stack.smtp_port), SEALING_PRIVATE_KEY=private_key),
        tmp_path / "n.log",
    )
    processes = (notifier, moderation, gateway)
    try:
        for process in processes:
            process.start()
            await process.wait_ready()
        yield GatewayApi(gateway.url, stack.maildir), mails | {"gateway_db": urls["gateway"]}, engines
    finally:
        for process in processes:
            process.stop()


async def _challenge(gateway_db: str, engines: EngineFactory, text: str) -> str:
    async with create_session_factory(engines(gateway_db))() as session, session.begin():
        return (await issue_challenge(session, purpose="HABILITATION_REQUEST", now=datetime.now(UTC), text=text)).id


def _escautpont(challenge: str, karine: str) -> dict[str, Any]:
    return {
        "caf": "CAF59",
        "provider": {
            "name": "Mairie d'Escautpont", "kind": "COMMUNE", "siret": "21590207300018", "street": "rue Henri Durre",
            "postalCode": "59278", "communeInsee": "59207", "email": "mairie@escautpont.example",
            "representativeName": "Raphaël KRUSZYNSKI", "representativeTitle": "Maire",
        },
        "persons": [{"lastName": "Lefebvre", "firstName": "Karine", "function": "Coordinatrice", "email": karine}],
        "operatingInfoEstablishments": [CRECHE],
        "availabilityEstablishments": [CRECHE],
        "challenge": {"id": challenge, "answer": "ESC59A"},
    }  # fmt: skip


async def _first_sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/connexion")
    await page.get_by_label("Identifiant").fill("a.mathon.caf59")
    await page.locator("#f-password").fill(TEMPORARY)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Choisir votre mot de passe")
    await page.locator("#f-currentPassword").fill(TEMPORARY)
    for field in ("#f-newPassword", "#f-confirmation"):
        await page.locator(field).fill(CHOSEN)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Audrey Mathon")


async def _activate(page: Page, number: str) -> str:
    """The request processed to activation in the browser: the identifier of the account it created."""
    await page.get_by_role("navigation").get_by_role("link", name="Demandes d'habilitation").click()
    await page.get_by_role("link", name=number).click()
    await page.get_by_role("button", name="Convention envoyée au fournisseur").click()
    await expect(page.get_by_text("Convention notée comme envoyée au fournisseur.")).to_be_visible()
    await page.get_by_label("Date de signature").fill("2026-11-20")
    await page.get_by_label("Lieu de signature").fill("Escautpont")
    await page.get_by_label("Signataires").fill("Raphaël KRUSZYNSKI, maire")
    await page.get_by_label("Référence de la délibération").fill("DEL-2026-042")
    await page.get_by_label("Date de la délibération").fill("2026-11-12")
    await page.get_by_role("button", name="Enregistrer la convention signée").click()
    await page.locator("label[for=confirmer-fournisseur]").click()
    await page.get_by_role("button", name="Activer l'habilitation").click()
    activated = page.get_by_text("Habilitation activée : 1 compte créé")
    await expect(activated).to_be_visible()
    return (await activated.inner_text()).split("[")[1].split("]")[0]


async def _open_item(page: Page) -> None:
    await page.get_by_role("navigation").get_by_role("link", name="File de modération").click()
    row = page.get_by_role("button", name="Multi-accueil Les P'tits Mineurs", exact=True)
    await expect(row).to_be_visible(timeout=30_000)
    await row.click()


async def _published(api: GatewayApi) -> dict[str, Any]:
    query = "query($id: ID!) { node(id: $id) { ... on Establishment { operatingInfo { version fees } } } }"
    async with asyncio.timeout(30):
        while True:
            info: dict[str, Any] = (await api.call(query, id=CRECHE))["node"]["operatingInfo"]
            if info["fees"] == INFO["fees"] and info["version"] > 1:
                return info
            await asyncio.sleep(0.2)


async def test_the_cafs_side_on_the_real_stack(
    browser: Browser, real_stack: tuple[GatewayApi, dict[str, str], EngineFactory]
) -> None:
    api, mails, engines = real_stack
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    watch = Watch(page)
    await page.route("**/*", watch.only_loopback)
    await _first_sign_in(page, api.base)

    challenge = await _challenge(mails["gateway_db"], engines, "ESC59A")
    requested = (await api.call(REQUEST, input=_escautpont(challenge, mails["karine"])))["requestHabilitation"]
    assert requested["userErrors"] == []
    karine_identifier = await _activate(page, requested["request"]["number"])
    karine = await api.first_login(karine_identifier, mails["karine"], CHOSEN)

    marie = await api.first_login("m.dupont.escautpont", mails["marie"], CHOSEN)
    promo = INFO | {"fees": "Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"}
    assert (await api.call(SUBMIT, marie, id=CRECHE, info=promo))["submitOperatingInfo"]["userErrors"] == []
    await _open_item(page)
    await expect(page.get_by_role("region", name="Signalements (1)")).to_contain_text("Caractère publicitaire déguisé")
    fees = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Modalités tarifaires"))
    await expect(fees.locator("mark")).to_contain_text("-20 %")
    await page.get_by_role("button", name="Prendre en charge").click()
    await expect(page.get_by_role("timer")).to_contain_text("Pris en charge par vous")
    await page.get_by_role("button", name="Refuser", exact=True).click()
    reasons = page.get_by_role("group", name="Motifs (convention, article 2)")
    await reasons.get_by_text("Caractère publicitaire déguisé", exact=True).click()
    await page.get_by_label("Commentaire pour l'agent").fill("Merci de retirer la promotion de votre partenaire.")
    await page.get_by_role("button", name="Refuser la saisie").click()
    await expect(page.get_by_text("Saisie refusée : l'agent en est informé")).to_be_visible()
    queue_violations = await serious_violations(page)

    assert (await api.call(SUBMIT, marie, id=CRECHE, info=INFO))["submitOperatingInfo"]["userErrors"] == []
    await page.reload()
    await _open_item(page)
    await expect(page.get_by_text("Aucun signalement automatique.")).to_be_visible()
    await page.get_by_role("button", name="Prendre en charge").click()
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_text("Saisie validée : elle sera publiée.")).to_be_visible()
    assert (await _published(api))["fees"] == INFO["fees"]

    await page.get_by_role("navigation").get_by_role("link", name="Demandes d'habilitation").click()
    await page.get_by_role("link", name=requested["request"]["number"]).click()
    agents = page.get_by_role("region", name="Agents de Mairie d'Escautpont (annexe de l'article 3-2)")
    await agents.get_by_role("button", name="Désactiver Karine Lefebvre").click()
    await agents.get_by_label("Motif de la désactivation").fill("Fin de mission")
    await agents.get_by_role("button", name="Confirmer la désactivation").click()
    await expect(page.get_by_text("désactivé : ses sessions prennent fin partout")).to_be_visible()
    refused = await api.raw("{ me { lastName } }", karine)

    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert queue_violations == []
    assert watch.complaints == []
    assert watch.left_loopback == []
