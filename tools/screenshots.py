"""Screenshots of each screen of the espace professionnel, for the README: ``docs/screenshots/*.png``.

Starts the embedded default (``structures dev``, SQLite, in a temporary folder, on free ports), then drives headless
Chromium from Debian (``make chromium``) through the screens as the Escautpont demo agent, the Caf du Nord's
administrator refusing her first submission through the moderation API so the refused state can be shown too.
Each picture is the 1280 × 800 window, reduced to 256 colours (a few tens of kB each). Chromium draws date and time
fields in its interface language: it runs with ``LANGUAGE=fr`` and needs Debian's ``chromium-l10n`` (``make
chromium``), without which they read « mm/dd/yyyy » and « 07:30 AM ».

    .venv/bin/python tools/screenshots.py                 # needs web/ built (make install)
    .venv/bin/python tools/screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
from PIL import Image
from playwright.sync_api import Locator, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SIZE: ViewportSize = {"width": 1280, "height": 800}
AGENT, AGENT_EMAIL = "m.dupont.escautpont", "m.dupont@escautpont.monenfant.example"
MODERATOR, MODERATOR_EMAIL = "a.mathon.caf59", "a.mathon@caf59.monenfant.example"
CHOSEN = {AGENT: "girafe lampadaire cornichon violet", MODERATOR: "la Caf du Nord à Lille, 2026"}
CRECHE = "Multi-accueil Les P'tits Mineurs"
ADVERTISING = "Barème national. Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"
COMMENT = "Merci de retirer la promotion de votre partenaire."
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { accessToken } userErrors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  session { accessToken } userErrors { code } } }"""
QUEUE = "{ reviewQueue { edges { node { id rowVersion } } } }"
CLAIM = "mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) { item { rowVersion } } }"
REJECT = """mutation($id: ID!, $v: Int!, $c: String!) { rejectReviewItem(id: $id, rowVersion: $v,
  reasons: [PUBLICITE_DEGUISEE], comment: $c) { item { status } } }"""


T = TypeVar("T")


class ScreenshotError(Exception):
    """The screenshots cannot be taken; the message says why."""


@dataclass(frozen=True)
class Embedded:
    gateway: str
    moderation: str
    mail: Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where the PNGs go")
    out: Path = parser.parse_args().out
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        raise ScreenshotError("web/ is not built: make install (or npm ci && npm run build in web/)")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, embedded_default(Path(folder)) as running:
        take_all(running, out)
    total = sum(path.stat().st_size for path in out.glob("*.png"))
    print(f"{len(list(out.glob('*.png')))} screenshots in {out}, {total / 1024:.0f} kB in all")  # noqa: T201


@contextmanager
def embedded_default(folder: Path) -> Iterator[Embedded]:
    port = _free_port_run()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MODERATION_", "NOTIFIER_"))}
    command = [sys.executable, "-m", "structures", "dev", "--data-dir", str(folder / "data"), "--port", str(port)]
    with (folder / "dev.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"
        _poll(lambda: httpx.get(f"{base}/readyz").status_code == 200 or None, "the embedded default to start")
        yield Embedded(base, f"http://127.0.0.1:{port + 1}", folder / "data" / "mail")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def take_all(running: Embedded, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--lang=fr-FR"], env={**os.environ, "LANGUAGE": "fr"}
        )
        page = browser.new_page(viewport=SIZE, locale="fr-FR", timezone_id="Europe/Paris")
        page.route("**/*", lambda route: route.abort() if not _loopback(route.request.url) else route.continue_())
        shoot = Shooter(page, out)
        generated = _password_in(running.mail, AGENT_EMAIL)

        page.goto(f"{running.gateway}/connexion")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à l'espace professionnel")
        shoot("01-connexion")
        page.get_by_role("link", name="Mot de passe oublié ?").click()
        page.get_by_label("Identifiant").fill(AGENT)
        expect(page.get_by_role("img", name=re.compile("^Texte à recopier"))).to_be_visible()
        shoot("02-mot-de-passe-oublie")

        page.goto(f"{running.gateway}/connexion")
        page.get_by_label("Identifiant").fill(AGENT)
        page.get_by_label("Mot de passe", exact=True).fill(generated)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Choisir votre mot de passe")
        page.get_by_label("Mot de passe actuel").fill(generated)
        page.get_by_label(re.compile(r"^Nouveau mot de passe")).fill(CHOSEN[AGENT])
        shoot("03-choix-du-mot-de-passe")
        page.get_by_label("Confirmation du nouveau mot de passe").fill(CHOSEN[AGENT])
        page.get_by_role("button", name="Enregistrer mon mot de passe").click()
        expect(page.get_by_role("heading", name="Mes établissements")).to_be_visible()
        shoot("04-accueil")

        availabilities(page, shoot)
        operating_info(page, shoot, running)
        go(page, "Historique")
        shoot("09-historique")
        delegate_to_a_software(page, shoot)
        page.get_by_role("link", name="Mon compte").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
        shoot("10-mon-compte")
        page.get_by_role("link", name=re.compile("^Accessibilité :")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
        shoot("11-accessibilite")
        browser.close()


class Shooter:
    """Takes the window as it is, top of the page unless told to keep the scroll, in 256 colours."""

    def __init__(self, page: Page, out: Path) -> None:
        self.page, self.out = page, out

    def __call__(self, name: str, *, at: Locator | None = None) -> None:
        self.page.wait_for_load_state("networkidle")
        expect(self.page.get_by_text(re.compile(r"^Chargement"))).to_have_count(0)  # « Chargement de vos saisies… »
        if at is None:
            self.page.evaluate("window.scrollTo(0, 0)")
        else:
            at.evaluate("element => element.scrollIntoView({block: 'start'})")
        self.page.mouse.move(0, 0)  # no hover effect where the last click was
        path = self.out / f"{name}.png"
        self.page.screenshot(path=path)
        with Image.open(path) as picture:
            picture.convert("RGB").quantize(colors=256).save(path, optimize=True)


def go(page: Page, link: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link)


def delegate_to_a_software(page: Page, shoot: Shooter) -> None:
    go(page, "Logiciels de transmission")
    page.get_by_label("Nom du logiciel").fill("Logiciel Petits Pas")
    page.locator("label", has_text="Multi-accueil Les P'tits Mineurs").click()
    page.get_by_role("button", name="Déléguer et afficher les identifiants").click()
    expect(page.locator("#secret-affiche")).to_be_visible()
    shoot("12-logiciels-de-transmission")


def availabilities(page: Page, shoot: Shooter) -> None:
    go(page, "Disponibilités")
    weeks = page.get_by_role("region", name=re.compile(r"^Semaine du "))
    expect(weeks.first).to_be_visible()
    week = next(weeks.nth(i) for i in range(1, weeks.count()) if weeks.nth(i).locator("input:enabled").count())
    cells = week.get_by_label(re.compile(r"^(Matin|Après-midi), ")).and_(page.locator(":enabled"))
    for index in range(cells.count()):
        cells.nth(index).fill("3" if index % 2 == 0 else "2")
    page.get_by_role("button", name="Publier les disponibilités").click()
    expect(page.get_by_role("status").filter(has_text="Disponibilités publiées")).to_be_visible()
    shoot("05-disponibilites")


def operating_info(page: Page, shoot: Shooter, running: Embedded) -> None:
    go(page, "Modalités de fonctionnement")
    page.get_by_role("combobox", name="Établissement").select_option(label=CRECHE)
    page.get_by_label("Modalités tarifaires").fill(ADVERTISING)
    shoot("06-modalites")
    shoot("07-apercu", at=page.get_by_role("region", name="Aperçu : ce que verront les familles"))
    page.get_by_role("button", name="Soumettre à la validation de la Caf").click()
    expect(page.get_by_role("status").filter(has_text="est transmise à votre Caf")).to_be_visible()
    reject_the_submission(running)
    refused = page.get_by_role("heading", name=re.compile(r"^Dernière saisie refusée par la Caf"))
    for _ in range(30):
        page.reload()
        if _visible_soon(refused):
            break
    shoot("08-modalites-refusee", at=page.get_by_role("heading", level=1))


def reject_the_submission(running: Embedded) -> None:
    """The Caf du Nord's administrator: first login on the gateway, then a refusal on the moderation service."""
    generated = _password_in(running.mail, MODERATOR_EMAIL)
    first = _call(running.gateway, LOGIN, None, i=MODERATOR, p=generated)["login"]["session"]["accessToken"]
    changed = _call(running.gateway, CHANGE, first, c=generated, n=CHOSEN[MODERATOR])["changePassword"]
    token = changed["session"]["accessToken"]

    def queued() -> dict[str, Any] | None:
        edges = _call(running.moderation, QUEUE, token)["reviewQueue"]["edges"]
        return dict(edges[0]["node"]) if edges else None

    item = _poll(queued, "the submission to reach the review queue")
    version = _call(running.moderation, CLAIM, token, id=item["id"], v=item["rowVersion"])["claimReviewItem"]
    _call(running.moderation, REJECT, token, id=item["id"], v=version["item"]["rowVersion"], c=COMMENT)


def _call(url: str, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers).json()
    if body.get("errors") or body.get("data") is None:
        raise ScreenshotError(f"{url}: {body}")
    data: dict[str, Any] = body["data"]
    return data


def _password_in(mail: Path, recipient: str) -> str:
    def arrived() -> str | None:
        for path in sorted(mail.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
            found = re.search(r"Mot de passe provisoire : (\S+)", str(body.get_content()) if body else "")
            if message["To"] == recipient and found:
                return found.group(1)
        return None

    return _poll(arrived, f"the e-mail to {recipient}")


def _visible_soon(locator: Locator) -> bool:
    try:
        expect(locator).to_be_visible(timeout=2_000)
    except AssertionError:
        return False
    return True


def _poll(fetch: Callable[[], T | None], what: str, attempts: int = 300) -> T:
    """``fetch()`` every 0.2 s until it gives something (a minute at most)."""
    for _ in range(attempts):
        try:
            found = fetch()
        except httpx.TransportError:  # not listening yet
            found = None
        if found is not None:
            return found
        time.sleep(0.2)  # noqa: TID251 - synchronous script: there is no event loop here
    raise ScreenshotError(f"gave up waiting for {what}")


def _free_port_run(length: int = 3) -> int:
    """The first of ``length`` consecutive free ports (``structures dev`` takes the gateway's and the next two)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if all(_bindable(first + offset) for offset in range(1, length)):
            return first


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _loopback(url: str) -> bool:
    return url.startswith(("http://127.0.0.1", "http://localhost", "data:"))


if __name__ == "__main__":
    try:
        main()
    except ScreenshotError as error:
        sys.exit(f"screenshots: {error}")
