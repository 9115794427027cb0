"""Caf agents read their territory's delivery status at the notifier, with the gateway's tokens."""

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.accounts.tokens import Claims, TokenSigner
from notifier.app import create_app
from notifier.deliveries import add_delivery
from notifier.rendering import RenderedEmail
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus

QUERY = "{ deliveries { kind recipient status } }"


@pytest.fixture
async def notifier(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, TokenSigner]]:
    signer = TokenSigner(os.urandom(32))
    public = signer.jwks()["keys"][0]["x"]
    settings = NotifierSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notifier.sqlite3'}", bus="inprocess",
        email_transport="folder", mail_dir=tmp_path / "mail", token_public_key=public,
    )  # fmt: skip
    app = create_app(settings, bus=InProcessBus())
    async with app.router.lifespan_context(app):
        email = RenderedEmail("Sujet", "Texte", "<p>HTML</p>")
        async with app.state.runtime.sessions() as session, session.begin():
            for caf, recipient in (("CAF59", "nord@example.org"), ("CAF02", "aisne@example.org")):
                await add_delivery(
                    session, event_id=f"e-{caf}", kind="habilitation_receipt", recipient=recipient, email=email,
                    caf_code=caf,
                )  # fmt: skip
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
            yield client, signer


def _token(signer: TokenSigner, kind: str, caf: str | None) -> str:
    return signer.issue(Claims("acc", "fam", kind, "CAF59-0001", caf, None, False, 0))


async def _deliveries(client: httpx.AsyncClient, token: str | None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = (await client.post("/graphql", json={"query": QUERY}, headers=headers)).json()
    return body


async def test_a_caf_agent_sees_only_the_e_mails_of_its_territory(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = notifier

    body = await _deliveries(client, _token(signer, "CAF_AGENT", "CAF59"))

    assert [d["recipient"] for d in body["data"]["deliveries"]] == ["nord@example.org"]


async def test_anyone_else_is_refused(notifier: tuple[httpx.AsyncClient, TokenSigner]) -> None:
    client, signer = notifier
    stranger = TokenSigner(os.urandom(32))

    for token in (None, _token(signer, "PROVIDER_AGENT", None), _token(stranger, "CAF_AGENT", "CAF59"), "x.y.z"):
        body = await _deliveries(client, token)
        assert body["data"] is None
        assert body["errors"][0]["message"].startswith("Réservé aux agents de la Caf")
