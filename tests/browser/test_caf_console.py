"""The Caf's console on the embedded default (`structures dev`), in Chromium: the review queue on the moderation
service's API, reached from the gateway's page (CORS, the page's policy, /config.json).

A provider's submissions are made through the gateway's API; the moderators' side is played in the browser: the
flagged item in the queue, its diff and flag, claim with a countdown, reject with a reason, the resubmission
approved and published; two moderators at once (the second cannot decide until the first one's lease ends); the
keyboard path through the queue. axe-core finds no serious or critical violation, nothing is refused by the CSP or
CORS, nothing leaves loopback."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.embedded_page import GatewayApi, require_build, shoot
from tests.browser.espace import embedded_default
from tests.browser.pages import Watch, serious_violations

pytestmark = pytest.mark.browser
LEASE_SECONDS = 12
MARIE, MARIE_EMAIL = "m.dupont.escautpont", "m.dupont@escautpont.monenfant.example"
AUDREY, AUDREY_EMAIL = "a.mathon.caf59", "a.mathon@caf59.monenfant.example"
CHOSEN = "girafe lampadaire cornichon violet"
PROMO = "Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"
HOURS = [{"day": d, "opens": "07:30", "closes": "18:00"} for d in ("LUNDI", "MARDI", "MERCREDI", "JEUDI", "VENDREDI")]
FEES = "Le multi-accueil applique le barème national des participations familiales de la Cnaf."
INFO = {
    "openingHours": HOURS,
    "closurePeriods": ["AOUT"],
    "ageMin": {"value": 10, "unit": "SEMAINE"},
    "ageMax": {"value": 4, "unit": "AN"},
    "capacity": 20,
    "fees": FEES,
    "funding": ["PSU"],
}
SUBMIT = """mutation($id: ID!, $info: OperatingInfoInput!) {
  submitOperatingInfo(input: {establishmentId: $id, operatingInfo: $info}) { userErrors { field message } } }"""


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[tuple[GatewayApi, str]]:
    """The embedded default with a short lease, and Marie's token (her password chosen through the API)."""
    require_build()
    async with embedded_default(tmp_path, MODERATION_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS)) as espace:
        base, mail = espace.gateway, espace.maildir
        api = GatewayApi(base, mail)
        marie = await api.first_login(MARIE, MARIE_EMAIL, CHOSEN)
        await api.first_login(AUDREY, AUDREY_EMAIL, CHOSEN)
        yield api, marie


async def _establishments(api: GatewayApi, token: str) -> dict[str, str]:
    me = await api.call("{ me { establishments { establishment { id name } } } }", token)
    return {held["establishment"]["name"]: held["establishment"]["id"] for held in me["me"]["establishments"]}


async def _submit(api: GatewayApi, token: str, establishment: str, info: dict[str, Any]) -> None:
    submitted = await api.call(SUBMIT, token, id=establishment, info=info)
    assert submitted["submitOperatingInfo"]["userErrors"] == []


async def _sign_in(page: Page, base: str, identifier: str) -> None:
    await page.goto(f"{base}/connexion")
    await page.get_by_label("Identifiant").fill(identifier)
    await page.locator("#f-password").fill(CHOSEN)
    await page.get_by_role("button", name="Se connecter").click()


async def _open(page: Page, establishment: str) -> None:
    """The queue, then the item of this establishment (the queue refreshes itself: wait for it)."""
    await page.get_by_role("navigation").get_by_role("link", name="File de modération").click()
    row = page.get_by_role("button", name=establishment, exact=True)
    await expect(row).to_be_visible(timeout=20_000)
    await row.click()
    await expect(page.get_by_role("heading", level=2, name=establishment)).to_be_visible()


async def _published_fees(api: GatewayApi, establishment: str) -> str | None:
    query = "query($id: ID!) { node(id: $id) { ... on Establishment { operatingInfo { fees } } } }"
    async with asyncio.timeout(20):
        while True:
            info = (await api.call(query, id=establishment))["node"]["operatingInfo"]
            if info and info["fees"] == INFO["fees"]:
                return str(info["fees"])
            await asyncio.sleep(0.2)


async def test_a_moderator_rejects_the_flagged_submission_and_approves_the_resubmission(
    browser: Browser, console: tuple[GatewayApi, str]
) -> None:
    api, marie = console
    crèche = (await _establishments(api, marie))["Multi-accueil Les P'tits Mineurs"]
    await _submit(api, marie, crèche, INFO | {"fees": PROMO})
    page = await browser.new_page(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    watch = Watch(page)
    await page.route("**/*", watch.only_loopback)
    violations: dict[str, list[dict[str, Any]]] = {}

    await _sign_in(page, api.base, AUDREY)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Audrey Mathon")
    violations["accueil"] = await serious_violations(page)
    await shoot(page, "console-accueil")
    await _open(page, "Multi-accueil Les P'tits Mineurs")
    await expect(page.locator("#profondeur")).to_contain_text("1 saisie en attente, dont 1 signalée")
    flags = page.get_by_role("region", name="Signalements (1)")
    await expect(flags).to_contain_text("Caractère publicitaire déguisé")
    await expect(flags).to_contain_text("Modalités tarifaires")
    fees = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Modalités tarifaires"))
    await expect(fees.locator("mark")).to_contain_text("-20 %")
    await expect(page.get_by_role("region", name="Fiche publique actuelle")).to_contain_text("Version publiée")
    violations["file"] = await serious_violations(page)
    queue = page.get_by_role("region", name="Saisies en attente")
    await expect(queue).to_contain_text("Crèche")  # the category the gateway sent, in French
    await page.get_by_label("Type de structure").select_option(label="Accueil de loisirs sans hébergement")
    await expect(queue.get_by_role("button", name="Multi-accueil Les P'tits Mineurs", exact=True)).to_have_count(0)
    await page.get_by_label("Type de structure").select_option(label="Crèche")
    await expect(queue.get_by_role("button", name="Multi-accueil Les P'tits Mineurs", exact=True)).to_be_visible()

    await page.get_by_role("button", name="Prendre en charge").click()
    await expect(page.get_by_role("timer")).to_contain_text("Pris en charge par vous — il reste")
    await shoot(page, "console-element")
    await page.get_by_role("button", name="Refuser", exact=True).click()
    reason = page.get_by_role("group", name="Motifs (convention, article 2)")
    await reason.get_by_text("Caractère publicitaire déguisé", exact=True).click()  # the DSFR's label is the box
    await expect(page.get_by_label("Caractère publicitaire déguisé")).to_be_checked()
    await page.get_by_label("Commentaire pour l'agent").fill("Merci de retirer la promotion de votre partenaire.")
    violations["refus"] = await serious_violations(page)
    await shoot(page, "console-refus")
    await page.get_by_role("button", name="Refuser la saisie").click()
    await expect(page.get_by_text("Saisie refusée : l'agent en est informé")).to_be_visible()
    history = page.get_by_role("region", name="Historique")
    await expect(history).to_contain_text("Refusée par CAF59-")
    await expect(history).to_contain_text("« Merci de retirer la promotion de votre partenaire. »")

    await _submit(api, marie, crèche, INFO)
    await page.reload()
    await _open(page, "Multi-accueil Les P'tits Mineurs")
    await expect(page.get_by_text("Aucun signalement automatique.")).to_be_visible()
    await page.get_by_role("button", name="Prendre en charge").click()
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_text("Saisie validée : elle sera publiée.")).to_be_visible()

    assert await _published_fees(api, crèche) == INFO["fees"]

    await page.reload()  # the public page beside the item now shows the approved version: withdrawn (art. 2)
    public = page.get_by_role("region", name="Fiche publique actuelle")
    await expect(public).to_contain_text(FEES)
    await expect(public.get_by_role("listitem").filter(has_text="Lundi")).to_have_text("Lundi : 07:30–18:00")  # French
    await expect(public.get_by_role("listitem").filter(has_text="Samedi")).to_have_text("Samedi : fermé")
    await expect(public).to_contain_text("annuelle : Août")
    await public.get_by_role("button", name="Retirer les informations publiées").click()
    await public.get_by_role("group").get_by_text("Caractère tendancieux ou erroné", exact=True).click()
    await public.get_by_label("Explication pour le fournisseur").fill("Horaires contestés par la commune.")
    violations["retrait"] = await serious_violations(page)
    await public.get_by_role("button", name="Retirer les informations publiées").click()
    await expect(public).to_contain_text("retirée du catalogue public")
    query = "query($id: ID!) { node(id: $id) { ... on Establishment { operatingInfo { version } } } }"
    assert (await api.call(query, id=crèche))["node"]["operatingInfo"] is None
    assert violations == {key: [] for key in violations}
    assert watch.complaints == []
    assert watch.left_loopback == []


async def test_two_moderators_the_second_sees_the_item_held_and_decides_only_once_the_lease_ends(
    browser: Browser, console: tuple[GatewayApi, str]
) -> None:
    api, marie = console
    token = await _token(api, AUDREY)
    created = await api.call(
        """mutation { createCafAgent(input: {lastName: "Leroy", firstName: "Karim", function: "Modérateur",
        email: "k.leroy@caf59.monenfant.example"}) { agentNumber identifier userErrors { code } } }""",
        token,
    )
    karim = created["createCafAgent"]["identifier"]
    await api.first_login(karim, "k.leroy@caf59.monenfant.example", CHOSEN)
    crèche = (await _establishments(api, marie))["Multi-accueil Les P'tits Mineurs"]
    await _submit(api, marie, crèche, INFO)
    first, second = await browser.new_context(locale="fr-FR"), await browser.new_context(locale="fr-FR")
    one, other = await first.new_page(), await second.new_page()
    watches = [Watch(one), Watch(other)]

    await _sign_in(one, api.base, AUDREY)
    await _open(one, "Multi-accueil Les P'tits Mineurs")
    await one.get_by_role("button", name="Prendre en charge").click()
    await expect(one.get_by_role("timer")).to_contain_text("Pris en charge par vous")
    await _sign_in(other, api.base, karim)
    await _open(other, "Multi-accueil Les P'tits Mineurs")

    held = other.get_by_role("timer")
    await expect(held).to_contain_text("Pris en charge par CAF59-")
    await expect(held).to_contain_text("Vous pourrez le prendre en charge à la fin de son bail")
    await expect(other.get_by_role("button", name="Prendre en charge")).to_be_disabled()
    await expect(other.get_by_role("button", name="Valider", exact=True)).to_have_count(0)
    await other.keyboard.press("a")  # the shortcut cannot decide it either
    violations = await serious_violations(other)
    await shoot(other, "console-deux-moderateurs")

    await expect(other.get_by_text("Personne ne traite cette saisie")).to_be_visible(timeout=(LEASE_SECONDS + 5) * 1000)
    await other.get_by_role("button", name="Prendre en charge").click()
    await expect(other.get_by_role("timer")).to_contain_text("Pris en charge par vous")
    await other.get_by_role("button", name="Valider", exact=True).click()
    await expect(other.get_by_text("Saisie validée : elle sera publiée.")).to_be_visible()
    history = other.get_by_role("region", name="Historique")
    await expect(history).to_contain_text(f"Validée par {created['createCafAgent']['agentNumber']}")

    assert violations == []
    assert [w.complaints for w in watches] == [[], []]


async def test_the_keyboard_path_claim_approve_next_without_a_mouse(
    browser: Browser, console: tuple[GatewayApi, str]
) -> None:
    api, marie = console
    establishments = await _establishments(api, marie)
    for name in ("Multi-accueil Les P'tits Mineurs", "Accueil de loisirs municipal d'Escautpont"):
        await _submit(api, marie, establishments[name], INFO)
    page = await browser.new_page(locale="fr-FR")
    watch = Watch(page)
    await _sign_in(page, api.base, AUDREY)
    await page.get_by_role("navigation").get_by_role("link", name="File de modération").click()
    await expect(page.locator("#profondeur")).to_contain_text("2 saisies en attente", timeout=20_000)

    await page.keyboard.press("j")
    await expect(page.get_by_role("heading", level=2, name="Multi-accueil Les P'tits Mineurs")).to_be_visible()
    await page.keyboard.press("c")
    await expect(page.get_by_role("timer")).to_contain_text("Pris en charge par vous")
    await page.keyboard.press("a")
    await expect(page.get_by_text("Saisie validée : elle sera publiée.")).to_be_visible()
    await expect(page.locator("#profondeur")).to_contain_text("1 saisie en attente")
    await page.keyboard.press("j")
    await expect(page.get_by_role("heading", level=2, name="Accueil de loisirs municipal d'Escautpont")).to_be_visible()
    await page.keyboard.press("?")
    await expect(page.get_by_role("heading", name="Raccourcis clavier", level=2)).to_be_focused()
    violations = await serious_violations(page)

    toggle = page.get_by_role("checkbox", name="Raccourcis clavier")
    await toggle.focus()
    await page.keyboard.press("Space")  # switched off (WCAG 2.1.4): the keys type nothing into the queue any more
    await expect(toggle).not_to_be_checked()
    await page.locator("body").focus()
    await page.keyboard.press("k")
    await page.keyboard.press("c")
    await expect(page.get_by_role("heading", level=2, name="Accueil de loisirs municipal d'Escautpont")).to_be_visible()
    await expect(page.get_by_text("Personne ne traite cette saisie")).to_be_visible()

    assert violations == []
    assert watch.complaints == []


async def _token(api: GatewayApi, identifier: str) -> str:
    login = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
      session { accessToken } } }"""
    return str((await api.call(login, i=identifier, p=CHOSEN))["login"]["session"]["accessToken"])
