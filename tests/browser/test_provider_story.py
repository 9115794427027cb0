"""Issue 14's story of a provider, in Chromium, on the real stack and on the embedded default.

The Escautpont agent does everything in the browser as a person would (typing, clicking, found by role and label):
she signs in with the e-mailed password, chooses her own, publishes next week's availabilities, submits operating
information with an advertising sentence, sees it refused with the reason and the Caf's comment, corrects it,
submits again and sees it published in the preview. The Caf du Nord's administrator decides through the moderation
service's GraphQL API. Each page the story visits passes axe-core without a serious or critical violation."""

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from gateway.catalogue.demo import MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from tests.browser.espace import Espace, demo_on_stack, embedded_default
from tests.browser.pages import Watch, serious_violations
from tests.e2e.mailbox import password_in
from tests.e2e.test_escautpont_story import Api

pytestmark = pytest.mark.browser
AGENT, AGENT_EMAIL = "m.dupont.escautpont", "m.dupont@escautpont.monenfant.example"
MODERATOR, MODERATOR_EMAIL = "a.mathon.caf59", "a.mathon@caf59.monenfant.example"
CHOSEN = {AGENT: "girafe lampadaire cornichon violet", MODERATOR: "la Caf du Nord à Lille, 2026"}
CRECHE = "Multi-accueil Les P'tits Mineurs"
ADVERTISING = "Barème national. Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"
CORRECTED = "Barème national des participations familiales ; repas et goûter compris."
COMMENT = "Merci de retirer la promotion de votre partenaire."
QUEUE = """query($e: ID!) { reviewQueue(filter: {establishmentId: $e}) { edges { node {
  id rowVersion flags { rule field } } } } }"""
CLAIM = """mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) { item { rowVersion }
  userErrors { code } } }"""
REJECT = """mutation($id: ID!, $v: Int!, $c: String!) { rejectReviewItem(id: $id, rowVersion: $v,
  reasons: [PUBLICITE_DEGUISEE], comment: $c) { item { status } userErrors { code } } }"""
APPROVE = """mutation($id: ID!, $v: Int!) { approveReviewItem(id: $id, rowVersion: $v) { item { status }
  userErrors { code } } }"""


@pytest.fixture(params=[pytest.param("real-stack", marks=pytest.mark.e2e), "embedded"])
async def espace(request: pytest.FixtureRequest, built: None, tmp_path: Path) -> AsyncIterator[Espace]:
    if request.param == "embedded":
        async with embedded_default(tmp_path) as running:
            yield running
        return
    stack, templates = request.getfixturevalue("stack"), request.getfixturevalue("pg_templates")
    async with demo_on_stack(stack, templates, request.getfixturevalue("kafka_namespace"), tmp_path) as running:
        yield running


class Moderator:
    """The Caf du Nord's administrator, deciding through the moderation service's GraphQL API."""

    def __init__(self, espace: Espace, token: str) -> None:
        self.api, self.token, self.decided = Api(espace.moderation), token, set[str]()

    @classmethod
    async def first_login(cls, espace: Espace) -> "Moderator":
        generated = password_in(await espace.mail(MODERATOR_EMAIL, "codes d'accès"))
        return cls(espace, await Api(espace.gateway).first_login(MODERATOR, generated, CHOSEN[MODERATOR]))

    async def next_item(self, establishment: str, timeout: float = 30) -> dict[str, Any]:
        """The establishment's first item in the queue not decided yet (it travels from the gateway first)."""
        async with asyncio.timeout(timeout):
            while True:
                answer = await self.api.call(QUEUE, self.token, e=establishment)
                items: list[dict[str, Any]] = [edge["node"] for edge in answer["data"]["reviewQueue"]["edges"]]
                fresh = [item for item in items if item["id"] not in self.decided]
                if fresh:
                    return fresh[0]
                await asyncio.sleep(0.2)

    async def claim(self, item: dict[str, Any]) -> int:
        claimed = (await self.api.call(CLAIM, self.token, id=item["id"], v=item["rowVersion"]))["data"]
        assert claimed["claimReviewItem"]["userErrors"] == []
        self.decided.add(item["id"])
        return int(claimed["claimReviewItem"]["item"]["rowVersion"])

    async def reject(self, item: dict[str, Any], comment: str) -> None:
        version = await self.claim(item)
        answer = (await self.api.call(REJECT, self.token, id=item["id"], v=version, c=comment))["data"]
        assert answer["rejectReviewItem"] == {"item": {"status": "REJECTED"}, "userErrors": []}

    async def approve(self, item: dict[str, Any]) -> None:
        version = await self.claim(item)
        answer = (await self.api.call(APPROVE, self.token, id=item["id"], v=version))["data"]
        assert answer["approveReviewItem"] == {"item": {"status": "APPROVED"}, "userErrors": []}


class Visit:
    """The agent's tab, and axe-core's serious or critical findings on each page state it looked at."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.violations: dict[str, list[dict[str, Any]]] = {}

    async def check(self, name: str) -> None:
        await self.page.wait_for_load_state("networkidle")
        self.violations[name] = await serious_violations(self.page)

    async def go(self, link: str) -> None:
        await self.page.get_by_role("navigation").get_by_role("link", name=link).click()
        await expect(self.page.get_by_role("heading", level=1)).to_have_text(link)

    async def reload_until(self, shown: Locator, timeout: float = 30) -> None:
        """Reload, as a person waiting for the Caf's answer would, until ``shown`` is on the page."""
        async with asyncio.timeout(timeout):
            while True:
                await self.page.reload()
                try:
                    await expect(shown).to_be_visible(timeout=2_000)
                except AssertionError:
                    continue
                return


async def test_the_provider_story(browser: Browser, espace: Espace) -> None:
    generated = password_in(await espace.mail(AGENT_EMAIL, "codes d'accès"))
    moderator = await Moderator.first_login(espace)
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)
    page = await browser.new_page(locale="fr-FR", timezone_id="Europe/Paris")
    watch, visit = Watch(page), Visit(page)
    await page.route("**/*", watch.only_loopback)

    await _sign_in_and_choose_a_password(visit, espace.gateway, generated)
    await _publish_next_weeks_availabilities(visit)

    # Operating information with an advertising sentence: refused by the Caf, with the reason and her comment.
    await visit.go("Modalités de fonctionnement")
    await page.get_by_role("combobox", name="Établissement").select_option(label=CRECHE)
    published = page.get_by_text(re.compile(r"^Version publiée : \d+"))
    version_before = int(re.findall(r"\d+", await published.inner_text())[0])
    preview = page.get_by_role("region", name="Aperçu : ce que verront les familles")
    await page.get_by_label("Modalités tarifaires").fill(ADVERTISING)
    await expect(preview).to_contain_text("Bébé+")
    await _send_for_validation(visit)

    item = await moderator.next_item(crèche)
    assert {"rule": "PUBLICITE_DEGUISEE", "field": "fees"} in item["flags"]
    await moderator.reject(item, COMMENT)
    await visit.reload_until(page.get_by_role("heading", name=re.compile(r"^Dernière saisie refusée par la Caf")))
    await expect(page.get_by_role("listitem").filter(has_text="Caractère publicitaire déguisé")).to_be_visible()
    await expect(page.get_by_text(f"Commentaire de la Caf : « {COMMENT} »")).to_be_visible()
    await visit.check("modalites-refusee")

    # Corrected and submitted again: approved, then published, and the preview shows it.
    await page.get_by_role("button", name="Corriger et soumettre à nouveau").click()
    fees = page.get_by_label("Modalités tarifaires")
    await expect(fees).to_have_value(ADVERTISING)
    await fees.fill(CORRECTED)
    await _send_for_validation(visit)
    clean = await moderator.next_item(crèche)
    assert clean["flags"] == []
    await moderator.approve(clean)
    await visit.reload_until(page.get_by_text(f"Version publiée : {version_before + 1},"))
    await expect(page.get_by_text("Validée et publiée")).to_be_visible()
    await expect(preview).to_contain_text(CORRECTED)
    await expect(preview).not_to_contain_text("Bébé+")
    await visit.check("modalites-publiee")

    assert visit.violations == {key: [] for key in visit.violations}
    assert watch.complaints == []
    assert watch.left_loopback == []


async def _sign_in_and_choose_a_password(visit: Visit, base: str, generated: str) -> None:
    page = visit.page
    await page.goto(f"{base}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace professionnel")
    await visit.check("connexion")
    await page.get_by_label("Identifiant").fill(AGENT)
    await page.get_by_label("Mot de passe", exact=True).fill(generated)
    await page.get_by_role("button", name="Se connecter").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Choisir votre mot de passe")
    await visit.check("mot-de-passe")
    await page.get_by_label("Mot de passe actuel").fill(generated)
    await page.get_by_label(re.compile(r"^Nouveau mot de passe")).fill(CHOSEN[AGENT])
    await page.get_by_label("Confirmation du nouveau mot de passe").fill(CHOSEN[AGENT])
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()

    await expect(page.get_by_role("heading", name="Mes établissements")).to_be_visible()
    await expect(page.get_by_role("heading", name=CRECHE)).to_be_visible()
    await visit.check("accueil")


async def _send_for_validation(visit: Visit) -> None:
    """The form as typed goes through axe-core, then to the Caf."""
    await visit.check(f"modalites-{len(visit.violations)}")
    await visit.page.get_by_role("button", name="Soumettre à la validation de la Caf").click()
    await expect(visit.page.get_by_role("status").filter(has_text="est transmise à votre Caf")).to_be_visible()


async def _publish_next_weeks_availabilities(visit: Visit) -> None:
    """Places on each open day of next week (or of the first week after it when the crèche is closed then)."""
    page = visit.page
    await visit.go("Disponibilités")
    week = await _first_open_week(page)
    days = week.get_by_label(re.compile(r"^Matin, ")).and_(page.locator(":enabled"))
    count = await days.count()
    for index in range(count):
        await days.nth(index).fill("3")
    await expect(page.get_by_text(f"{count} date(s) modifiée(s), non publiée(s).")).to_be_visible()
    await visit.check("disponibilites")
    await page.get_by_role("button", name="Publier les disponibilités").click()
    success = page.get_by_role("status").filter(has_text="Disponibilités publiées")
    await expect(success).to_contain_text(f"{count} date(s) publiée(s)")
    await page.reload()
    await expect(days.first).to_have_value("3")


async def _first_open_week(page: Page) -> Locator:
    weeks = page.get_by_role("region", name=re.compile(r"^Semaine du "))
    await expect(weeks.first).to_be_visible()
    for index in range(1, await weeks.count()):
        week = weeks.nth(index)
        if await week.locator("input:enabled").count():
            return week
    raise AssertionError("no open day in the eight weeks the grid shows")
