"""Agents publish a crèche's availabilities: at once, with the legal notice, never on a closed day (S16 too)."""

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from gateway.accounts import services
from gateway.accounts.services import NewPerson, PasswordIssuing
from gateway.accounts.tables import account_rights
from gateway.catalogue.calendar import closed_on
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL, MULTI_ACCUEIL_INFO
from gateway.graphql.relay import to_global_id
from gateway.tables import outbox
from shared.sealing import generate_key_pair
from tests.gateway_app import gateway_client

TEMPORARY, CHOSEN = "Tmp4Pass", "les P'tits Mineurs au printemps"
PUBLISH = """mutation($id: ID!, $a: [AvailabilityInput!]!) { publishAvailabilities(input: {establishmentId: $id,
  availabilities: $a}) { establishment { name availabilityStatus { state } } userErrors { field code message } } }"""
PUBLIC = """query($from: Date!, $to: Date!) { node(id: "%s") { ... on Establishment {
  availabilities(from: $from, to: $to) { date slot places } } } }"""


def open_days(count: int, *, after: int = 3) -> list[date]:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    days: list[date] = []
    day = today + timedelta(days=after)
    while len(days) < count:
        if closed_on(MULTI_ACCUEIL_INFO, day, "59") is None:
            days.append(day)
        day += timedelta(days=1)
    return days


@contextlib.asynccontextmanager
async def _gateway(
    sqlite_catalogue: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    _, public = generate_key_pair()
    async with gateway_client(sqlite_catalogue, folder)(notifier_public_key=public, **settings) as client:
        app: Any = client.app  # type: ignore[attr-defined]
        monkeypatch.setattr(services, "generate_password", lambda: TEMPORARY)
        issuing = PasswordIssuing(app.state.authenticator.hashing, public)
        async with app.state.runtime.sessions() as session, session.begin():
            now = datetime.now(UTC)
            marie = await services.create_provider_agent(
                session, NewPerson("Dupont", "Marie", "Directrice", "m.dupont@escautpont.example"),
                provider_id=MAIRIE_ESCAUTPONT, commune_name="Escautpont", departement="59", issuing=issuing, now=now,
            )  # fmt: skip
            await session.execute(
                account_rights.insert(),
                [
                    {"account_id": marie.id, "establishment_id": MULTI_ACCUEIL, "right": right}
                    for right in ("AVAILABILITY", "OPERATING_INFO")
                ],
            )
            await services.bootstrap_caf_agent(
                session, NewPerson("Mathon", "Audrey", "Caf", "a.mathon@caf59.example"), caf_code="CAF59",
                issuing=issuing, now=now,
            )  # fmt: skip
        yield client


@pytest.fixture
async def client(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client:
        yield client


async def _gql(client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    return body


async def _token(client: httpx.AsyncClient, identifier: str) -> str:
    login = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
      session { accessToken } } }"""
    first = (await _gql(client, login, i=identifier, p=TEMPORARY))["data"]["login"]["session"]["accessToken"]
    change = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
      session { accessToken } } }"""
    return str(
        (await _gql(client, change, first, c=TEMPORARY, n=CHOSEN))["data"]["changePassword"]["session"]["accessToken"]
    )


def _entry(day: date, places: int, slot: str = "JOURNEE") -> dict[str, Any]:
    return {"date": day.isoformat(), "slot": slot, "places": places}


async def test_published_availabilities_are_public_at_once_and_replace_those_of_the_same_dates(
    client: httpx.AsyncClient,
) -> None:
    token = await _token(client, "m.dupont.escautpont")
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)
    first, second = open_days(2)
    window = {"from": first.isoformat(), "to": second.isoformat()}

    published = await _gql(client, PUBLISH, token, id=crèche, a=[_entry(first, 2), _entry(second, 1, "MATIN")])
    replaced = await _gql(client, PUBLISH, token, id=crèche, a=[_entry(first, 0)])
    public = await _gql(client, PUBLIC % crèche, **window)

    assert published["data"]["publishAvailabilities"]["userErrors"] == []
    assert published["data"]["publishAvailabilities"]["establishment"]["name"] == "Multi-accueil Les P'tits Mineurs"
    assert replaced["data"]["publishAvailabilities"]["userErrors"] == []
    assert public["data"]["node"]["availabilities"] == [
        {"date": first.isoformat(), "slot": "JOURNEE", "places": 0},
        {"date": second.isoformat(), "slot": "MATIN", "places": 1},
    ]
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        events = (
            await session.execute(
                select(outbox.c.payload).where(outbox.c.event_type.endswith("availabilities.published.v1"))
            )
        ).scalars()
        payloads = [json.loads(bytes(p)) for p in events]
    assert [p["dates"] for p in payloads] == [[first.isoformat(), second.isoformat()], [first.isoformat()]]
    assert "59-ESC" not in json.dumps(payloads), "public events carry no agent data"


async def test_too_late_closed_duplicate_and_negative_entries_are_refused_and_nothing_is_published(
    client: httpx.AsyncClient,
) -> None:
    token = await _token(client, "m.dupont.escautpont")
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    [day] = open_days(1)
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    batch = [_entry(today + timedelta(days=1), 1), _entry(saturday, 1), _entry(day, 1), _entry(day, -1)]

    answer = await _gql(client, PUBLISH, token, id=to_global_id("Establishment", MULTI_ACCUEIL), a=batch)

    codes = [(e["field"], e["code"]) for e in answer["data"]["publishAvailabilities"]["userErrors"]]
    assert codes == [
        ("availabilities[0].date", "TOO_LATE"),
        ("availabilities[1].date", "CLOSED_DAY"),
        ("availabilities[3].places", "INVALID_PLACES"),
        ("availabilities[3].date", "DUPLICATE"),
    ]
    messages = [e["message"] for e in answer["data"]["publishAvailabilities"]["userErrors"]]
    assert messages[1] == "La crèche est fermée ce jour-là (fermé le samedi)."


async def test_s16_only_agents_holding_the_right_on_that_creche_publish(client: httpx.AsyncClient) -> None:
    marie = await _token(client, "m.dupont.escautpont")
    caf = await _token(client, "a.mathon.caf59")
    entries = [_entry(open_days(1)[0], 1)]

    other_creche = await _gql(client, PUBLISH, marie, id=to_global_id("Establishment", MICRO_CRECHE), a=entries)
    caf_agent = await _gql(client, PUBLISH, caf, id=to_global_id("Establishment", MULTI_ACCUEIL), a=entries)
    anonymous = await _gql(client, PUBLISH, id=to_global_id("Establishment", MULTI_ACCUEIL), a=entries)

    assert other_creche["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert caf_agent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
