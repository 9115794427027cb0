"""The espace professionnel on the embedded default (`structures dev`), in Chromium: a demo agent signs in with the
e-mailed password, chooses her own (a weak one is refused at the field), sees her establishments, keeps her session
across a reload, delegates the transmission to a software and revokes it, finds what she was typing again after
her session ended elsewhere, and publishes availabilities on the grid (a bad cell refused in place before anything
is sent). Every screen passes axe-core without a serious or critical violation, nothing is refused by the page's
Content-Security-Policy, and nothing is asked of any host but the gateway."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import Watch, serious_violations
from tests.e2e.mailbox import password_in, wait_for_mail

pytestmark = pytest.mark.browser
AGENT, EMAIL = "m.dupont.escautpont", "m.dupont@escautpont.monenfant.example"
CHOSEN = "girafe lampadaire cornichon violet"


async def _first_sign_in(page: Page, base: str, mail: Path) -> None:
    """The demo agent's first sign-in with the e-mailed password, then her own."""
    generated = password_in(await wait_for_mail(mail, EMAIL, "codes d'accès"))
    await page.goto(f"{base}/connexion")
    await _sign_in(page, generated)
    await page.locator("#f-currentPassword").fill(generated)
    for field in ("#f-newPassword", "#f-confirmation"):
        await page.locator(field).fill(CHOSEN)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(page.get_by_role("heading", name="Mes établissements")).to_be_visible()


async def _sign_in(page: Page, password: str) -> None:
    await page.get_by_label("Identifiant").fill(AGENT)
    await page.locator("#f-password").fill(password)
    await page.get_by_role("button", name="Se connecter").click()


async def test_an_agent_signs_in_chooses_her_password_and_sees_her_establishments(
    browser: Browser, embedded: tuple[str, Path]
) -> None:
    base, mail = embedded
    generated = password_in(await wait_for_mail(mail, EMAIL, "codes d'accès"))
    page = await browser.new_page(locale="fr-FR")
    watch = Watch(page)
    await page.route("**/*", watch.only_loopback)
    violations: dict[str, list[dict[str, Any]]] = {}

    await page.goto(f"{base}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace professionnel")
    violations["connexion"] = await serious_violations(page)
    await _sign_in(page, generated)

    await expect(page.get_by_role("heading", level=1)).to_have_text("Choisir votre mot de passe")
    await page.locator("#f-currentPassword").fill(generated)
    for field in ("#f-newPassword", "#f-confirmation"):
        await page.locator(field).fill("court")
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    summary = page.get_by_role("alert").filter(has_text="Votre envoi a été refusé")
    await expect(summary).to_contain_text("Nouveau mot de passe : ")
    violations["mot-de-passe"] = await serious_violations(page)
    for field in ("#f-newPassword", "#f-confirmation"):
        await page.locator(field).fill(CHOSEN)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()

    await expect(page.get_by_role("heading", name="Mes établissements")).to_be_visible()
    await expect(page.get_by_role("heading", name="Multi-accueil Les P'tits Mineurs")).to_be_visible()
    await expect(page).to_have_title("Accueil — Espace professionnel monenfant.fr")
    violations["accueil"] = await serious_violations(page)
    await page.reload()  # the refresh token in sessionStorage brings a new access token
    await expect(page.get_by_role("heading", name="Mes établissements")).to_be_visible()
    navigation = [
        ("/disponibilites", "Disponibilités"),
        ("/modalites", "Modalités de fonctionnement"),
        ("/logiciels", "Logiciels de transmission"),
        ("/historique", "Historique"),
    ]
    for path, heading in navigation:
        await page.get_by_role("navigation").get_by_role("link", name=heading).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await page.wait_for_load_state("networkidle")
        violations[path] = await serious_violations(page)
    await page.set_viewport_size({"width": 640, "height": 400})  # a 1280 × 800 window at 200 % zoom
    await expect(page.get_by_role("table", name="Saisies, les plus récentes d'abord")).to_be_visible()
    violations["/historique à 200 %"] = await serious_violations(page)  # its tables scroll: keyboard too
    await page.set_viewport_size({"width": 1280, "height": 720})
    await page.get_by_role("navigation").get_by_role("link", name="Logiciels de transmission").click()
    await _delegates_then_revokes_a_software(page)
    violations["/logiciels, délégué puis révoqué"] = await serious_violations(page)
    await page.get_by_role("link", name="Mon compte").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    await page.wait_for_load_state("networkidle")
    violations["/compte"] = await serious_violations(page)
    await page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    violations["/accessibilite"] = await serious_violations(page)
    signed_out = await browser.new_page(locale="fr-FR")  # a fresh tab has no session: the reset is for it
    await signed_out.goto(f"{base}/mot-de-passe-oublie")
    await expect(signed_out.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    await signed_out.wait_for_load_state("networkidle")
    violations["/mot-de-passe-oublie"] = await serious_violations(signed_out)

    assert violations == {key: [] for key in violations}
    assert watch.complaints == []
    assert watch.left_loopback == []


async def _delegates_then_revokes_a_software(page: Page) -> None:
    """On « Logiciels de transmission »: the secret is shown once at the grant, a new one at the rotation; revoked."""
    await page.get_by_label("Nom du logiciel").fill("Logiciel Petits Pas")
    await page.locator("label", has_text="Multi-accueil Les P'tits Mineurs").click()  # the DSFR box lies under it
    await expect(page.get_by_label("Multi-accueil Les P'tits Mineurs")).to_be_checked()
    await page.get_by_role("button", name="Déléguer et afficher les identifiants").click()
    first = await page.locator("#secret-affiche").text_content()
    # The client's own heading, not the alert's « Identifiants de Logiciel Petits Pas : … » above it.
    await expect(page.get_by_role("heading", level=2, name="Logiciel Petits Pas", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Nouveau secret pour Logiciel Petits Pas").click()
    await expect(page.locator("#secret-affiche")).not_to_have_text(first or "")
    await page.get_by_role("button", name="Révoquer Logiciel Petits Pas").click()
    await expect(page.get_by_text("Révoqué le")).to_be_visible()
    await expect(page.locator("#secret-affiche")).to_have_count(0)


async def test_an_expired_session_returns_to_sign_in_and_keeps_what_was_typed(
    browser: Browser, embedded: tuple[str, Path]
) -> None:
    base, mail = embedded
    generated = password_in(await wait_for_mail(mail, EMAIL, "codes d'accès"))
    page = await browser.new_page(locale="fr-FR")
    watch = Watch(page)
    await page.goto(f"{base}/connexion")
    await _sign_in(page, generated)
    await page.locator("#f-currentPassword").fill(generated)
    for field in ("#f-newPassword", "#f-confirmation"):
        await page.locator(field).fill(CHOSEN)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await page.get_by_role("link", name="Modifier les modalités").last.click()
    await page.locator("#f-fees").fill("Barème national ; goûter fourni.")

    # Her session ends elsewhere: a password change from another browser revokes every session of the account.
    other = await browser.new_page()
    await other.goto(f"{base}/connexion")
    await _sign_in(other, CHOSEN)
    await expect(other.get_by_role("heading", name="Mes établissements")).to_be_visible()
    await other.goto(f"{base}/mot-de-passe")
    await other.locator("#f-currentPassword").fill(CHOSEN)
    for field in ("#f-newPassword", "#f-confirmation"):
        await other.locator(field).fill(f"{CHOSEN} bis")
    await other.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(other.get_by_role("heading", name="Mes établissements")).to_be_visible()

    await page.get_by_role("navigation").get_by_role("link", name="Historique").click()
    await expect(page.get_by_role("alert").filter(has_text="Votre session a expiré")).to_be_visible(timeout=20_000)
    await _sign_in(page, f"{CHOSEN} bis")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Historique")
    await page.get_by_role("navigation").get_by_role("link", name="Modalités de fonctionnement").click()
    await page.get_by_role("combobox", name="Établissement").select_option(label="Multi-accueil Les P'tits Mineurs")

    await expect(page.locator("#f-fees")).to_have_value("Barème national ; goûter fourni.")
    await expect(page.get_by_text("Une saisie non envoyée a été retrouvée sur cet appareil")).to_be_visible()
    assert [c for c in watch.complaints if "401" not in c and "UNAUTHENTICATED" not in c] == []


async def test_availabilities_typed_on_the_grid_are_published_and_a_bad_cell_is_refused_in_place(
    browser: Browser, embedded: tuple[str, Path]
) -> None:
    base, mail = embedded
    page = await browser.new_page(locale="fr-FR")
    watch = Watch(page)
    await _first_sign_in(page, base, mail)
    await page.get_by_role("link", name="Saisir les disponibilités").click()
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    next_week = [today + timedelta(days=7 - today.weekday() + offset) for offset in range(5)]
    cells = page.locator(", ".join(f"#dispo-{day.isoformat()}-MATIN:enabled" for day in next_week))
    await expect(cells.first).to_be_visible()
    first, second = cells.nth(0), cells.nth(1)
    publish = page.get_by_role("button", name="Publier les disponibilités")

    await first.fill("3")
    await second.fill("trois")
    await publish.click()
    await expect(second).to_have_attribute("aria-invalid", "true")
    refusal = page.locator(f"#{await second.get_attribute('id')}-erreur")
    await expect(refusal).to_have_text("Un nombre de places de 0 à 500.")
    await second.fill("")
    await publish.click()

    await expect(page.get_by_role("status").filter(has_text="Disponibilités publiées")).to_be_visible()
    await expect(first).to_have_value("3")  # read back from the API
    assert watch.complaints == []
