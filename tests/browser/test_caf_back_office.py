"""The Caf's back-office on the embedded default, in Chromium: the Escautpont town hall's habilitation request
(made through the gateway's API, its image challenge issued in the test's own database session) is processed by a
Caf agent to activation — convention sent, signed convention recorded with the deliberation, activation with its
confirmation — and the new agent, deactivated at the end of her mission, loses access."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from gateway.graphql.relay import to_global_id
from gateway.habilitation.challenges import issue_challenge
from shared.db import create_engine, create_session_factory
from tests.browser.embedded_page import GatewayApi, Watch, embedded_default, require_build, serious_violations, shoot

pytestmark = pytest.mark.browser
AUDREY, AUDREY_EMAIL = "a.mathon.caf59", "a.mathon@caf59.monenfant.example"
KARINE_EMAIL = "k.lefebvre@escautpont.example"
CHOSEN = "girafe lampadaire cornichon violet"
MULTI_ACCUEIL = to_global_id("Establishment", "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001")
REQUEST = """mutation($input: RequestHabilitationInput!) { requestHabilitation(input: $input) {
  request { number } userErrors { field message } } }"""


@pytest.fixture
async def back_office(tmp_path: Path) -> AsyncIterator[tuple[GatewayApi, str]]:
    """The embedded default, the Caf agent's password chosen, and the Escautpont request's number."""
    require_build()
    async with embedded_default(tmp_path) as (base, _, mail):
        api = GatewayApi(base, mail)
        await api.first_login(AUDREY, AUDREY_EMAIL, CHOSEN)
        challenge = await _challenge(tmp_path / "data" / "gateway.sqlite3", "ESC59A")
        requested = (await api.call(REQUEST, input=_escautpont(challenge, "ESC59A")))["requestHabilitation"]
        assert requested["userErrors"] == []
        yield api, requested["request"]["number"]


async def _challenge(database: Path, text: str) -> str:
    """The image challenge as a person would solve it: the test drew it, so it knows what it says."""
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with create_session_factory(engine)() as session, session.begin():
            issued = await issue_challenge(session, purpose="HABILITATION_REQUEST", now=datetime.now(UTC), text=text)
            return issued.id
    finally:
        await engine.dispose()


def _escautpont(challenge: str, answer: str) -> dict[str, Any]:
    return {
        "caf": "CAF59",
        "provider": {
            "name": "Mairie d'Escautpont",
            "kind": "COMMUNE",
            "siret": "21590207300018",
            "street": "rue Henri Durre",
            "postalCode": "59278",
            "communeInsee": "59207",
            "email": "mairie@escautpont.example",
            "representativeName": "Raphaël KRUSZYNSKI",
            "representativeTitle": "Maire",
        },
        "persons": [
            {
                "lastName": "Lefebvre",
                "firstName": "Karine",
                "function": "Coordinatrice enfance-jeunesse",
                "email": KARINE_EMAIL,
            }
        ],
        "operatingInfoEstablishments": [MULTI_ACCUEIL],
        "availabilityEstablishments": [MULTI_ACCUEIL],
        "challenge": {"id": challenge, "answer": answer},
    }


async def _sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/connexion")
    await page.get_by_label("Identifiant").fill(AUDREY)
    await page.locator("#f-password").fill(CHOSEN)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Audrey Mathon")


async def test_a_caf_agent_activates_the_escautpont_request_and_deactivates_the_agent_at_the_end_of_her_mission(
    browser: Browser, back_office: tuple[GatewayApi, str]
) -> None:
    api, number = back_office
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    watch = Watch(page)
    await page.route("**/*", watch.only_loopback)
    violations: dict[str, list[dict[str, Any]]] = {}

    await _sign_in(page, api.base)
    await page.get_by_role("navigation").get_by_role("link", name="Demandes d'habilitation").click()
    await expect(page.get_by_role("table", name="Demandes")).to_contain_text("Soumise à la Caf")
    violations["demandes"] = await serious_violations(page)
    await page.get_by_role("link", name=number).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Mairie d'Escautpont")
    establishments = page.get_by_role("table", name="Établissements demandés")
    await expect(establishments).to_contain_text("Multi-accueil Les P'tits Mineurs")
    await expect(establishments).to_contain_text("Mairie d'Escautpont")
    await expect(page.get_by_role("region", name="Personnes à habiliter")).to_contain_text(KARINE_EMAIL)
    violations["demande"] = await serious_violations(page)
    await shoot(page, "console-habilitation")

    await page.get_by_role("button", name="Convention envoyée au fournisseur").click()
    await expect(page.get_by_text("Convention notée comme envoyée au fournisseur.")).to_be_visible()
    await page.get_by_label("Date de signature").fill("2026-11-20")
    await page.get_by_label("Lieu de signature").fill("Escautpont")
    await page.get_by_label("Signataires").fill("Raphaël KRUSZYNSKI, maire")
    await page.get_by_label("Référence de la délibération").fill("DEL-2026-042")
    await page.get_by_label("Date de la délibération").fill("2026-11-12")
    violations["convention"] = await serious_violations(page)
    await page.get_by_role("button", name="Enregistrer la convention signée").click()
    await expect(page.get_by_text("Convention signée enregistrée.")).to_be_visible()

    await page.get_by_role("button", name="Activer l'habilitation").click()  # without the confirmation: refused
    await expect(page.get_by_role("alert").filter(has_text="Action refusée")).to_be_visible()
    await page.locator("label[for=confirmer-fournisseur]").click()
    await page.get_by_role("button", name="Activer l'habilitation").click()
    activated = page.get_by_text("Habilitation activée : 1 compte créé")
    await expect(activated).to_be_visible()
    instruction = page.get_by_role("region", name="Instruction")
    await expect(instruction).to_contain_text("Convention signée reçue par CAF59-0001 : signée le 20/11/2026")

    identifier = (await activated.inner_text()).split("[")[1].split("]")[0]
    karine = await api.first_login(identifier, KARINE_EMAIL, CHOSEN)
    assert (await api.call("{ me { lastName } }", karine))["me"] == {"lastName": "Lefebvre"}
    agents = page.get_by_role("region", name="Agents de Mairie d'Escautpont (annexe de l'article 3-2)")
    await expect(agents).to_contain_text("Karine Lefebvre")
    agent_number = (await agents.get_by_role("listitem").filter(has_text="Karine Lefebvre").inner_text()).split("(")[1]
    agent_number = agent_number.split(")")[0]
    violations["agents"] = await serious_violations(page)
    await shoot(page, "console-agents")
    await agents.get_by_role("button", name="Désactiver Karine Lefebvre").click()
    await agents.get_by_label("Motif de la désactivation").fill("Fin de mission")
    await agents.get_by_role("button", name="Confirmer la désactivation").click()
    await expect(page.get_by_text("désactivé : ses sessions prennent fin partout")).to_be_visible()

    refused = await api.raw("{ me { lastName } }", karine)

    await page.get_by_role("navigation").get_by_role("link", name="Journal des connexions").click()
    await page.get_by_label("Numéro d'agent").fill(agent_number)
    await page.get_by_label("Type d'entrée").select_option(label="Mot de passe changé")
    await page.get_by_label("Du", exact=True).fill(datetime.now(ZoneInfo("Europe/Paris")).date().isoformat())
    await page.get_by_role("button", name="Filtrer").click()
    entries = page.get_by_role("table", name="Entrées du journal")
    await expect(page.get_by_text("1 entrée avec ces filtres")).to_be_visible()  # counted by the server
    await expect(entries).to_contain_text(f"{identifier} ({agent_number})")
    await expect(entries.get_by_role("row")).to_have_count(2)  # the header, and her one password change
    violations["journal"] = await serious_violations(page)
    await shoot(page, "console-journal")
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Exporter en CSV").click()
    saved = Path(await (await download.value).path())

    await page.get_by_role("navigation").get_by_role("link", name="Conventions").click()
    convention = page.get_by_role("region", name=f"Mairie d'Escautpont — demande {number}")
    await expect(convention).to_contain_text("En vigueur")
    await expect(convention).to_contain_text("Date limite de préavis")
    await convention.get_by_role("button", name="Enregistrer une résiliation").click()
    await convention.get_by_label("Référence de la lettre recommandée").fill("1A 234 567 8901 2")
    await convention.get_by_label("Reçue le").fill(date.today().isoformat())
    violations["conventions"] = await serious_violations(page)
    await convention.get_by_role("button", name="Enregistrer la résiliation").click()
    await expect(convention).to_contain_text("Résiliation notifiée")
    await expect(convention).to_contain_text("Résiliation effective le")
    csv = saved.read_text(encoding="utf-8-sig").splitlines()  # noqa: ASYNC240 - a test reading its download

    assert csv[0].startswith("Date et heure (UTC);Identifiant;Numéro d'agent;Code;Événement")
    assert [line.split(";")[1:4] for line in csv[1:]] == [[identifier, agent_number, "PASSWORD_CHANGED"]]
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert violations == {key: [] for key in violations}
    assert watch.complaints == []
    assert watch.left_loopback == []


async def test_a_caf_agent_registers_an_integrator_sees_its_key_once_and_revokes_it(
    browser: Browser, back_office: tuple[GatewayApi, str]
) -> None:
    api, _ = back_office
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    watch = Watch(page)
    await _sign_in(page, api.base)
    await page.get_by_role("navigation").get_by_role("link", name="Intégrateurs").click()

    await page.get_by_label("Nom", exact=True).fill("Ville de Lille — portail familles")
    await page.get_by_label("Adresse électronique de contact").fill("portail@lille.example")
    await page.get_by_label("Départements lisibles").fill("59")
    await page.get_by_role("button", name="Créer l'intégrateur et sa première clé").click()
    first = await page.locator("#cle-affichee").inner_text()
    integrator = page.get_by_role("region", name="Ville de Lille — portail familles")
    await expect(integrator).to_contain_text("jamais utilisée")
    violations = await serious_violations(page)
    await integrator.get_by_role("button", name="Nouvelle clé").click()
    await expect(page.locator("#cle-affichee")).not_to_have_text(first)
    await expect(integrator.get_by_role("listitem")).to_have_count(2)
    await integrator.get_by_role("button", name="Révoquer la clé").first.click()
    await expect(page.locator("#cle-affichee")).to_have_count(0)  # a key is shown once, never again
    await expect(integrator.get_by_text("Révoquée le")).to_have_count(1)

    assert len(first) >= 20
    assert violations == []
    assert watch.complaints == []
