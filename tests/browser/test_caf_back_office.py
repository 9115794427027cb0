"""The Caf's back-office on the embedded default, in Chromium: the Escautpont town hall's habilitation request
(made through the gateway's API, its image challenge issued in the test's own database session) is processed by a
Caf agent to activation — convention sent, signed convention recorded with the deliberation, activation with its
confirmation —; an amendment then removes the new agent (she loses access) and adds another with a right, who gets
her password by e-mail and, deactivated at the end of her mission, loses access too. The Caf's integrators (an API
key shown once, revoked) and its register of establishments (created, renamed and closed, which the public catalogue
follows)."""

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from gateway.graphql.relay import to_global_id
from gateway.habilitation.challenges import issue_challenge
from shared.db import create_engine, create_session_factory
from tests.browser.embedded_page import GatewayApi, require_build, shoot
from tests.browser.espace import embedded_default
from tests.browser.pages import Watch, serious_violations

pytestmark = pytest.mark.browser
AUDREY, AUDREY_EMAIL = "a.mathon.caf59", "a.mathon@caf59.monenfant.example"
KARINE_EMAIL = "k.lefebvre@escautpont.example"
SOPHIE_EMAIL = "s.martin@escautpont.example"
CHOSEN = "girafe lampadaire cornichon violet"
MULTI_ACCUEIL = to_global_id("Establishment", "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001")
HIRONDELLES, RENAMED = "Micro-crèche Les Hirondelles", "Micro-crèche Les Hirondelles (Famars)"
IN_VALENCIENNES = """{ establishments(first: 100, filter: {communeInsee: "59606"}) { edges { node { name } } } }"""
REQUEST = """mutation($input: RequestHabilitationInput!) { requestHabilitation(input: $input) {
  request { number } userErrors { field message } } }"""


@pytest.fixture
async def back_office(tmp_path: Path) -> AsyncIterator[tuple[GatewayApi, str]]:
    """The embedded default, the Caf agent's password chosen, and the Escautpont request's number."""
    require_build()
    async with embedded_default(tmp_path) as espace:
        base, mail = espace.gateway, espace.maildir
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

    await page.get_by_role("link", name="Enregistrer un avenant (agents et droits)").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Avenant à la convention — Mairie d'Escautpont")
    await page.get_by_role("button", name="Vérifier l'avenant").click()  # nothing filled in: the form says what lacks
    await expect(page.get_by_role("alert").filter(has_text="Indiquez la date de signature")).to_be_visible()
    await page.get_by_label("Date de signature de l'avenant").fill("2026-12-01")
    await page.get_by_label("Objet de l'avenant").fill("Départ de Mme Lefebvre, arrivée de Mme Martin")
    await page.get_by_text("Retirer Karine Lefebvre de l'annexe").click()  # the DSFR's label stands over its box
    await page.get_by_role("button", name="Ajouter une personne").click()
    added = page.get_by_role("group", name="Personne ajoutée n° 1")
    await added.get_by_label("Nom", exact=True).fill("Martin")
    await added.get_by_label("Prénom", exact=True).fill("Sophie")
    await added.get_by_label("Fonction", exact=True).fill("Directrice du multi-accueil")
    await added.get_by_label("Adresse électronique").fill(SOPHIE_EMAIL)
    await added.get_by_text("Saisie des disponibilités — Multi-accueil Les P'tits Mineurs").click()
    violations["avenant"] = await serious_violations(page)
    await page.get_by_role("button", name="Vérifier l'avenant").click()
    summary = page.get_by_role("list", name="Changements de l'avenant")
    await expect(summary).to_contain_text(f"Ajout de Sophie Martin ({SOPHIE_EMAIL}) : « Saisie des disponibilités »")
    await expect(summary).to_contain_text(f"Retrait de Karine Lefebvre ({agent_number}) : son compte est désactivé")
    violations["avenant-confirmation"] = await serious_violations(page)
    await page.get_by_role("button", name="Enregistrer l'avenant").click()
    recorded = page.get_by_text("Avenant du 01/12/2026 enregistré. 1 compte créé")
    await expect(recorded).to_be_visible()
    annex = page.get_by_role("region", name="Annexe en vigueur (article 3-2) — Mairie d'Escautpont")
    await expect(annex).to_contain_text("Sophie Martin")
    await expect(annex).to_contain_text("Saisie des disponibilités (Multi-accueil Les P'tits Mineurs)")
    await expect(annex).not_to_contain_text("Karine Lefebvre")
    amendments = page.get_by_role("region", name="Avenants enregistrés")
    await expect(amendments).to_contain_text("Avenant signé le 01/12/2026 : Départ de Mme Lefebvre")
    await expect(amendments).to_contain_text(f"Retrait de Karine Lefebvre ({agent_number})")
    violations["avenant-enregistre"] = await serious_violations(page)
    await shoot(page, "console-avenant")
    refused = await api.raw("{ me { lastName } }", karine)

    sophie_identifier = (await recorded.inner_text()).split("[")[1].split("]")[0]
    sophie = await api.first_login(sophie_identifier, SOPHIE_EMAIL, CHOSEN)  # her password came by e-mail
    rights = (await api.call("{ me { establishments { rights { code } } } }", sophie))["me"]["establishments"]
    await page.get_by_role("link", name=f"Demande {number}").click()
    await agents.get_by_role("button", name="Désactiver Sophie Martin").click()
    await agents.get_by_label("Motif de la désactivation").fill("Fin de mission")
    await agents.get_by_role("button", name="Confirmer la désactivation").click()
    await expect(page.get_by_text("désactivé : ses sessions prennent fin partout")).to_be_visible()
    refused_after_deactivation = await api.raw("{ me { lastName } }", sophie)

    await page.get_by_role("navigation").get_by_role("link", name="Journal des connexions").click()
    await page.get_by_label("Numéro d'agent").fill(agent_number)
    await page.get_by_label("Fournisseur").select_option(label="Mairie d'Escautpont (21590207300018)")
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
    assert rights == [{"rights": [{"code": "AVAILABILITY"}]}]
    assert refused_after_deactivation["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert violations == {key: [] for key in violations}
    assert watch.complaints == []
    assert watch.left_loopback == []


async def test_a_caf_agent_registers_an_integrator_sees_its_key_once_revokes_it_and_keeps_the_register(
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

    register = await _keep_the_register(page, api)

    assert len(first) >= 20
    assert violations == []
    assert register == {key: [] for key in register}
    assert watch.complaints == []


async def _public_names(api: GatewayApi, *, until: Callable[[list[str]], bool]) -> list[str]:
    """The public catalogue's establishments in Valenciennes, once ``until`` holds (its response cache answers
    until the process has read the publication) or after a few seconds."""
    names: list[str] = []
    for _ in range(50):
        found = await api.call(IN_VALENCIENNES)
        names = [edge["node"]["name"] for edge in found["establishments"]["edges"]]
        if until(names):
            break
        await asyncio.sleep(0.1)
    return names


async def _keep_the_register(page: Page, api: GatewayApi) -> dict[str, list[dict[str, Any]]]:
    """Create an establishment (refused once outside the territory), rename it, close it today; the public
    catalogue follows each step. The axe violations of each state of the screen."""
    violations: dict[str, list[dict[str, Any]]] = {}
    await page.get_by_role("navigation").get_by_role("link", name="Registre des établissements").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Registre des établissements")
    await expect(page.get_by_role("table", name="Établissements du registre")).to_contain_text("Mairie d'Escautpont")
    violations["registre"] = await serious_violations(page)
    form = page.get_by_role("region", name="Nouvel établissement")
    await form.get_by_label("Gestionnaire").select_option(label="Mairie d'Escautpont — SIRET 21590207300018")
    await form.get_by_label("Nom", exact=True).fill(HIRONDELLES)
    await form.get_by_label("Type de structure").select_option(label="Crèche")
    await form.get_by_label("Type d'EAJE").select_option(label="Micro-crèche")
    await form.get_by_label("Voie").fill("rue de Famars")
    await form.get_by_label("Code postal").fill("59300")
    await form.get_by_label("Code INSEE de la commune").fill("62041")  # Arras: the Pas-de-Calais
    await form.get_by_label("Latitude").fill("50,357")
    await form.get_by_label("Longitude").fill("3,523")
    await form.get_by_label("Nombre de places agréées").fill("12")
    await form.get_by_role("button", name="Créer l'établissement").click()
    summary = page.get_by_role("alert").filter(has_text="Votre envoi a été refusé")
    await expect(summary).to_contain_text("Code INSEE de la commune : Commune inconnue ou hors du territoire")
    await expect(page.locator("#f-communeInsee")).to_have_attribute("aria-describedby", re.compile("."))
    violations["refus"] = await serious_violations(page)
    await form.get_by_label("Code INSEE de la commune").fill("59606")
    await form.get_by_role("button", name="Créer l'établissement").click()
    await expect(page.get_by_text(f"« {HIRONDELLES} » est créé et publié.")).to_be_visible()
    created = await _public_names(api, until=lambda names: HIRONDELLES in names)

    await page.get_by_label("Nom", exact=True).first.fill("Hirondelles")
    await page.get_by_role("button", name="Rechercher").click()
    row = page.get_by_role("table", name="Établissements du registre").get_by_role("row").filter(has_text=HIRONDELLES)
    await expect(row).to_contain_text("Micro-crèche")
    await row.get_by_role("button", name="Modifier").click()
    edit = page.get_by_role("region", name=f"Modifier « {HIRONDELLES} »")
    await expect(edit.get_by_label("Latitude")).to_have_value("50,357")
    await edit.get_by_label("Nom", exact=True).fill(RENAMED)
    await edit.get_by_role("button", name="Enregistrer les modifications").click()
    await expect(page.get_by_text(f"« {RENAMED} » est modifié")).to_be_visible()
    renamed = await _public_names(api, until=lambda names: RENAMED in names)

    await page.get_by_role("row").filter(has_text=RENAMED).get_by_role("button", name="Fermer").click()
    closing = page.get_by_role("region", name=f"Fermer « {RENAMED} »")
    await expect(closing.get_by_role("heading")).to_be_focused()
    await expect(closing).to_contain_text("quittera le catalogue public dès aujourd'hui")
    await closing.get_by_label("Motif de la fermeture").fill("Cessation d'activité")
    violations["fermeture"] = await serious_violations(page)
    await shoot(page, "console-registre")
    await closing.get_by_role("button", name="Confirmer la fermeture").click()
    await expect(page.get_by_text(f"« {RENAMED} » est fermé")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text=RENAMED)).to_contain_text("Fermé depuis le")
    closed = await _public_names(api, until=lambda names: RENAMED not in names)

    assert HIRONDELLES in created
    assert (RENAMED in renamed, HIRONDELLES in renamed) == (True, False)
    assert RENAMED not in closed
    return violations
