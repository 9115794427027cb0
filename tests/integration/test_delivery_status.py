"""Caf agents read their territory's delivery status at the notifier, with the gateway's tokens: a Relay connection
with ``totalCount``, coded values with their French labels, dates with their offset (issue 13 items 3-6)."""

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.accounts.tokens import Claims, TokenSigner
from notifier.app import create_app
from notifier.deliveries import add_delivery
from notifier.rendering import RenderedEmail
from notifier.settings import NotifierSettings
from notifier.tables import deliveries
from shared.bus import InProcessBus

QUERY = "{ deliveries { totalCount edges { node { kind recipient status } } } }"
FULL = """query($first: Int!, $after: String, $status: DeliveryState) {
  deliveries(first: $first, after: $after, status: $status) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { kind kindLabel recipient status statusLabel createdAt sentAt } } } }"""


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


def _token(signer: TokenSigner, kind: str, caf: str | None, *, temporary: bool = False) -> str:
    return signer.issue(Claims("acc", "fam", kind, "CAF59-0001", caf, None, temporary, 0))


async def _deliveries(
    client: httpx.AsyncClient, token: str | None, query: str = QUERY, **variables: Any
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = answer.json()
    return body


def _codes(body: dict[str, Any]) -> list[str]:
    assert body["data"] is None
    return [error["extensions"]["code"] for error in body["errors"]]


async def test_a_caf_agent_sees_only_the_e_mails_of_its_territory(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = notifier

    body = await _deliveries(client, _token(signer, "CAF_AGENT", "CAF59"))

    connection = body["data"]["deliveries"]
    assert [edge["node"]["recipient"] for edge in connection["edges"]] == ["nord@example.org"]
    assert connection["totalCount"] == 1


async def test_without_a_valid_token_the_caller_is_unauthenticated(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, _signer = notifier
    stranger = TokenSigner(os.urandom(32))

    for token in (None, _token(stranger, "CAF_AGENT", "CAF59"), "x.y.z"):
        body = await _deliveries(client, token)
        assert _codes(body) == ["UNAUTHENTICATED"]
        assert body["errors"][0]["message"].startswith("Connectez-vous")


async def test_a_provider_agent_or_a_temporary_session_is_forbidden(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = notifier
    provider = signer.issue(Claims("acc", "fam", "PROVIDER_AGENT", "P59-0001", None, "prov", False, 0))
    temporary = _token(signer, "CAF_AGENT", "CAF59", temporary=True)

    for token in (provider, temporary):
        body = await _deliveries(client, token)
        assert _codes(body) == ["FORBIDDEN"]


async def test_deliveries_carry_codes_french_labels_and_dates_with_their_offset(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = notifier
    async with client._transport.app.state.runtime.sessions() as session, session.begin():  # type: ignore[attr-defined]
        await session.execute(
            deliveries.update().where(deliveries.c.caf_code == "CAF59").values(status="SENT", sent_at=datetime.now(UTC))
        )

    body = await _deliveries(client, _token(signer, "CAF_AGENT", "CAF59"), FULL, first=10)

    [edge] = body["data"]["deliveries"]["edges"]
    node = edge["node"]
    assert (node["kind"], node["kindLabel"]) == (
        "HABILITATION_RECEIPT",
        "Accusé de réception d'une demande d'habilitation",
    )
    assert (node["status"], node["statusLabel"]) == ("SENT", "Envoyé")
    assert node["createdAt"].endswith("+00:00")  # read back from SQLite, which stores no offset
    assert node["sentAt"].endswith("+00:00")


async def test_pages_follow_one_another_and_the_status_filters(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = notifier
    token = _token(signer, "CAF_AGENT", "CAF59")
    async with client._transport.app.state.runtime.sessions() as session, session.begin():  # type: ignore[attr-defined]
        for number in range(2):
            await add_delivery(
                session, event_id=f"more-{number}", kind="password_issued", recipient="nord@example.org",
                email=RenderedEmail("Sujet", "Texte", "<p>HTML</p>"), caf_code="CAF59",
            )  # fmt: skip

    first = (await _deliveries(client, token, FULL, first=2))["data"]["deliveries"]
    rest = (await _deliveries(client, token, FULL, first=2, after=first["pageInfo"]["endCursor"]))["data"]
    failed = (await _deliveries(client, token, FULL, first=2, status="FAILED"))["data"]["deliveries"]

    assert (first["totalCount"], len(first["edges"]), first["pageInfo"]["hasNextPage"]) == (3, 2, True)
    assert (len(rest["deliveries"]["edges"]), rest["deliveries"]["pageInfo"]["hasNextPage"]) == (1, False)
    assert (failed["totalCount"], failed["edges"]) == (0, [])  # the worker sends them (folder transport)


async def test_bad_arguments_are_refused_in_french_naming_the_argument(
    notifier: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = notifier
    token = _token(signer, "CAF_AGENT", "CAF59")

    too_many = await _deliveries(client, token, FULL, first=101)
    bad_cursor = await _deliveries(client, token, FULL, first=1, after="nonsense")

    assert _codes(too_many) == ["BAD_USER_INPUT"]
    assert too_many["errors"][0]["message"].startswith("first : doit être compris entre 1 et 100")
    assert _codes(bad_cursor) == ["BAD_USER_INPUT"]
    assert bad_cursor["errors"][0]["message"].startswith("after :")
