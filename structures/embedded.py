"""The embedded default: the three services in one process, on SQLite, with the in-process event bus.

No Docker, no Java, no PostgreSQL: e-mails are written to a folder and logged. Data lives under ``.data/``.
"""

import base64
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from gateway.accounts.tokens import TokenSigner
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from moderation.app import create_app as create_moderation
from moderation.settings import ModerationSettings
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus
from shared.sealing import generate_key_pair
from shared.server import serve_all, uvicorn_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedSettings:
    data_dir: Path
    host: str = "127.0.0.1"
    gateway_port: int = 8000
    moderation_port: int = 8001
    notifier_port: int = 8002

    def sqlite_url(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{name}.sqlite3').resolve()}"


def build_servers(embedded: EmbeddedSettings) -> list[uvicorn.Server]:
    """The three services' uvicorn servers, sharing one in-process bus."""
    bus = InProcessBus()
    keys = _keys(embedded.data_dir)  # passwords are sealed and tokens signed even within one process
    token_public_key = TokenSigner(base64.b64decode(keys["signing"])).jwks()["keys"][0]["x"]
    gateway = GatewaySettings(
        database_url=embedded.sqlite_url("gateway"),
        port=embedded.gateway_port,
        demo_data=True,
        notifier_public_key=keys["public"],
        token_signing_key=SecretStr(keys["signing"]),
        bus="inprocess",
        host=embedded.host,
        log_format="text",
        moderation_url=f"http://{embedded.host}:{embedded.moderation_port}/graphql",
    )
    moderation = ModerationSettings(
        database_url=embedded.sqlite_url("moderation"),
        port=embedded.moderation_port,
        token_public_key=token_public_key,
        cors_origins=_page_origins(embedded),
        bus="inprocess",
        host=embedded.host,
        log_format="text",
    )
    notifier = NotifierSettings(
        database_url=embedded.sqlite_url("notifier"),
        port=embedded.notifier_port,
        email_transport="folder",
        sealing_private_key=SecretStr(keys["private"]),
        token_public_key=token_public_key,
        mail_dir=embedded.data_dir / "mail",
        bus="inprocess",
        host=embedded.host,
        log_format="text",
    )
    # Consumers subscribe when their app starts: start them before the gateway so no event finds nobody listening.
    apps = [
        (create_moderation(moderation, bus=bus), moderation),
        (create_notifier(notifier, bus=bus), notifier),
        (create_gateway(gateway, bus=bus), gateway),
    ]
    return [uvicorn_server(app, settings) for app, settings in apps]


def _page_origins(embedded: EmbeddedSettings) -> tuple[str, ...]:
    """Where the espace professionnel is opened from: the gateway's address, and ``localhost`` for loopback."""
    names = [embedded.host, *(["localhost"] if embedded.host == "127.0.0.1" else [])]
    return tuple(f"http://{name}:{embedded.gateway_port}" for name in names)


async def run_embedded(embedded: EmbeddedSettings) -> None:
    await serve_all(build_servers(embedded), on_started=lambda: _announce(embedded))


def _keys(data_dir: Path) -> dict[str, str]:
    """The embedded default's keys (sealing pair, token signing seed), made once and kept beside its data."""
    path = data_dir / "keys.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    private, public = generate_key_pair()
    keys = {"private": private, "public": public, "signing": base64.b64encode(os.urandom(32)).decode()}
    path.touch(mode=0o600)
    path.write_text(json.dumps(keys))
    return keys


def _announce(embedded: EmbeddedSettings) -> None:
    base = f"http://{embedded.host}"
    print(  # noqa: T201 - the command's purpose is to tell the user where things are
        "\nmonenfant.fr « STRUCTURES » — embedded mode (SQLite, in-process bus)\n"
        f"  Espace professionnel:   {base}:{embedded.gateway_port}/\n"
        f"  GraphiQL (gateway):     {base}:{embedded.gateway_port}/graphql\n"
        f"  GraphiQL (moderation):  {base}:{embedded.moderation_port}/graphql\n"
        f"  Notifier health:        {base}:{embedded.notifier_port}/readyz\n"
        f"  Data and e-mails:       {embedded.data_dir.resolve()} (mail/ holds the .eml files)\n"
        "  Demo accounts (each generated password is in an e-mail in mail/):\n"
        "    a.mathon.caf59        Caf du Nord administrator (habilitations, moderation, deliveries)\n"
        "    m.dupont.escautpont   agent of the Mairie d'Escautpont (its crèche's availabilities, operating info)\n"
        "Stop with Ctrl-C.\n",
        flush=True,
    )
