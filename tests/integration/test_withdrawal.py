"""A Caf withdraws published operating information that breaks art. 2: the public view falls back, events go out."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.accounts import services
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.catalogue.demo import MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from gateway.tables import outbox
from shared.sealing import generate_key_pair
from tests.integration.test_availability_publication import _gateway, _gql, _token

WITHDRAW = """mutation($id: ID!, $reasons: [String!]!, $comment: String) {
  withdrawOperatingInfo(input: {establishmentId: $id, reasons: $reasons, comment: $comment}) {
    withdrawnVersion userErrors { field code message } } }"""
PUBLIC = '{ node(id: "%s") { ... on Establishment { operatingInfo { openingHours } } } }'
CRECHE = to_global_id("Establishment", MULTI_ACCUEIL)


@pytest.fixture
async def client(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client:
        yield client


async def _outbox(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        rows = (await session.execute(select(outbox.c.event_type, outbox.c.payload))).all()
    return {kind.rsplit(".", 2)[-2]: json.loads(bytes(payload)) for kind, payload in rows}


async def _public_once_read(client: httpx.AsyncClient) -> Any:
    """The public view once this process has read the withdrawal's publication: its response cache answers from
    memory until then (docs/architecture.md, the response cache)."""
    async with asyncio.timeout(10):
        while True:
            info = (await _gql(client, PUBLIC % CRECHE))["data"]["node"]["operatingInfo"]
            if info is None:
                return info
            await asyncio.sleep(0.05)


async def test_a_withdrawal_hides_the_published_information_and_tells_the_agents(client: httpx.AsyncClient) -> None:
    caf = await _token(client, "a.mathon.caf59")
    before = (await _gql(client, PUBLIC % CRECHE))["data"]["node"]["operatingInfo"]

    done = await _gql(
        client, WITHDRAW, caf, id=CRECHE, reasons=["PUBLICITE_DEGUISEE"], comment="Code promotionnel dans les tarifs."
    )
    after = await _public_once_read(client)
    again = await _gql(client, WITHDRAW, caf, id=CRECHE, reasons=["PUBLICITE_DEGUISEE"])
    events = await _outbox(client)

    assert before is not None
    assert done["data"]["withdrawOperatingInfo"] == {"withdrawnVersion": 1, "userErrors": []}
    assert after is None
    assert again["data"]["withdrawOperatingInfo"]["userErrors"][0]["code"] == "NOTHING_PUBLISHED"
    assert events["withdrawn"]["version"] == 1
    assert set(events["withdrawn"]) == {"establishment_id", "place", "version", "withdrawn_at"}  # public data only
    assert events["withdrawn"]["place"] == {"departement": "59", "commune_insee": "59207", "category": "EAJE"}
    notice = events["withdrawal-notice"]
    assert notice["reasons"] == ["PUBLICITE_DEGUISEE"]
    assert [r["email"] for r in notice["recipients"]] == ["m.dupont@escautpont.example"]
    assert notice["withdrawn_by"].startswith("CAF59")


async def test_a_withdrawal_needs_an_art2_reason_and_an_explained_other(client: httpx.AsyncClient) -> None:
    caf = await _token(client, "a.mathon.caf59")

    none = await _gql(client, WITHDRAW, caf, id=CRECHE, reasons=[])
    unknown = await _gql(client, WITHDRAW, caf, id=CRECHE, reasons=["TROP_LONG"])
    other = await _gql(client, WITHDRAW, caf, id=CRECHE, reasons=["AUTRE"])

    assert none["data"]["withdrawOperatingInfo"]["userErrors"][0]["code"] == "REQUIRED"
    assert unknown["data"]["withdrawOperatingInfo"]["userErrors"][0]["code"] == "UNKNOWN_REASON"
    assert other["data"]["withdrawOperatingInfo"]["userErrors"][0]["field"] == "comment"
    assert (await _gql(client, PUBLIC % CRECHE))["data"]["node"]["operatingInfo"] is not None


async def test_s16_only_a_caf_agent_of_the_territory_may_withdraw(client: httpx.AsyncClient) -> None:
    agent = await _token(client, "m.dupont.escautpont")
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        aisne = await services.bootstrap_caf_agent(
            session, NewPerson("Lefèvre", "Paul", "Caf", "p.lefevre@caf02.example"), caf_code="CAF02",
            issuing=PasswordIssuing(app.state.authenticator.hashing, generate_key_pair()[1]), now=datetime.now(UTC),
        )  # fmt: skip
    other_caf = await _token(client, aisne.identifier)

    anonymous = await _gql(client, WITHDRAW, id=CRECHE, reasons=["PUBLICITE_DEGUISEE"])
    provider = await _gql(client, WITHDRAW, agent, id=CRECHE, reasons=["PUBLICITE_DEGUISEE"])
    other_caf_says = await _gql(client, WITHDRAW, other_caf, id=CRECHE, reasons=["PUBLICITE_DEGUISEE"])

    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert [e["extensions"]["code"] for e in provider["errors"]] == ["FORBIDDEN"]
    assert other_caf_says["data"]["withdrawOperatingInfo"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await _gql(client, PUBLIC % CRECHE))["data"]["node"]["operatingInfo"] is not None
