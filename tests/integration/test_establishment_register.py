"""The Caf's register of establishments: a Caf agent creates, updates and closes establishments of its territory;
each change is published at once (integrators follow it live), and a closed establishment leaves the catalogue."""

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gateway.catalogue import register
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL, VALENCIENNES
from gateway.catalogue.register import Actor, EstablishmentEntry
from gateway.catalogue.register_entries import (
    RegisterSearch,
    count_register,
    list_register,
    list_territory_providers,
)
from gateway.catalogue.states import RegisterStatus
from gateway.catalogue.vocabulary import Category, EajeType
from gateway.graphql.relay import to_global_id
from shared.db import SessionFactory, create_session_factory
from tests.conftest import EngineFactory
from tests.integration.test_integrators import _gql
from tests.integration.test_publication_subscriptions import _subscribed
from tests.subscriptions import collect

RECORD = """mutation($input: EstablishmentRecordInput!) { recordEstablishment(input: $input) {
  establishmentId userErrors { field code message } } }"""
CLOSE = """mutation($input: CloseEstablishmentInput!) { closeEstablishment(input: $input) {
  establishmentId userErrors { field code message } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Establishment { name } } }"""
IN_VALENCIENNES = """{ establishments(first: 100, filter: {communeInsee: "59606"}) { edges { node { id } } } }"""
CRECHE = {
    "providerId": to_global_id("Provider", MAIRIE_ESCAUTPONT), "name": "Micro-crèche Les Hirondelles",
    "category": "EAJE", "eajeType": "MICRO_CRECHE", "streetNumber": "12", "streetName": "rue de Famars",
    "postalCode": "59300", "communeInsee": VALENCIENNES, "latitude": 50.357, "longitude": 3.523, "capacity": 12,
}  # fmt: skip


TODAY = date(2026, 12, 3)
NORD = Actor("CAF59", "CAF59-0001")
REGISTER = """query($filter: RegisterFilter) { establishmentRegister(filter: $filter) { totalCount edges { node {
  id name status closedOn closureReason provider { name siret } communeName } } } }"""


@pytest.fixture
def sessions(catalogue_url: str, engines: EngineFactory) -> SessionFactory:
    return create_session_factory(engines(catalogue_url))


def _entry(name: str) -> EstablishmentEntry:
    return EstablishmentEntry(
        id=None, provider_id=MAIRIE_ESCAUTPONT, name=name, category=Category.EAJE, eaje_type=EajeType.MICRO_CRECHE,
        street_number="12", street_name="rue de Famars", postal_code="59300", commune_insee=VALENCIENNES,
        latitude=50.357, longitude=3.523, capacity=12,
    )  # fmt: skip


async def _names(sessions: SessionFactory, caf_code: str = "CAF59", **criteria: Any) -> list[str]:
    async with sessions() as session:
        found = await list_register(session, RegisterSearch(caf_code, TODAY, **criteria), offset=0, limit=50)
    return [entry.name for entry in found]


async def test_the_register_lists_its_territory_open_and_closed_by_name_commune_category_provider_and_status(
    sessions: SessionFactory,
) -> None:
    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    async with sessions() as session, session.begin():
        await register.record_establishment(session, _entry("Crèche 100% Registre"), NORD, now=now, signal=None)
        closing = await register.record_establishment(
            session, _entry("Crèche Registre Bis"), NORD, now=now, signal=None
        )
        assert isinstance(closing, str)
        await register.close_establishment(session, closing, TODAY, "Cessation", NORD, now=now, signal=None)
    async with sessions() as session:
        [first] = await list_register(session, RegisterSearch("CAF59", TODAY, name="100% regis"), offset=0, limit=5)
        counted = await count_register(session, RegisterSearch("CAF59", TODAY, name="registre"))
        nord = await list_territory_providers(session, "CAF59", "2159020", limit=10)
        pas_de_calais = await list_territory_providers(session, "CAF62", None, limit=200)

    assert (first.provider.name, first.provider.siret, first.commune_name) == (
        "Mairie d'Escautpont", "21590207300018", "Valenciennes"
    )  # fmt: skip
    assert counted == 2
    assert await _names(sessions, name="50%") == []  # « % » is a character, not a wildcard
    assert await _names(sessions, name="registre", status=RegisterStatus.OUVERT) == ["Crèche 100% Registre"]
    assert await _names(
        sessions, commune="valenc", category=Category.EAJE, provider_id=MAIRIE_ESCAUTPONT, status=RegisterStatus.FERME
    ) == ["Crèche Registre Bis"]
    assert await _names(sessions, commune="59300", name="registre") == ["Crèche 100% Registre", "Crèche Registre Bis"]
    assert await _names(sessions, category=Category.RPE, name="registre") == []
    assert await _names(sessions, "CAF62", name="registre") == []
    assert [provider.name for provider in nord] == ["Mairie d'Escautpont"]
    assert MAIRIE_ESCAUTPONT not in {provider.id for provider in pas_de_calais}


async def test_a_caf_agent_reads_the_register_of_its_territory_only(caf_gateway: Any) -> None:
    client, _url, _app, tokens = caf_gateway
    created = await _gql(client, RECORD, token=tokens["nord"], input=CRECHE | {"name": "Crèche du registre"})
    closing = {
        "establishmentId": created["data"]["recordEstablishment"]["establishmentId"],
        "closedOn": date.today().isoformat(),
        "reason": "Cessation d'activité",
    }
    await _gql(client, CLOSE, token=tokens["nord"], input=closing)
    wanted = {"name": "du registre"}
    nord = await _gql(client, REGISTER, token=tokens["nord"], filter=wanted)
    other = await _gql(client, REGISTER, token=tokens["pas_de_calais"], filter=wanted)
    by_provider = await _gql(client, REGISTER, token=tokens["marie"], filter=wanted)

    assert nord["data"]["establishmentRegister"] == {
        "totalCount": 1,
        "edges": [{"node": {
            "id": closing["establishmentId"], "name": "Crèche du registre", "status": "FERME",
            "closedOn": closing["closedOn"], "closureReason": "Cessation d'activité",
            "provider": {"name": "Mairie d'Escautpont", "siret": "21590207300018"}, "communeName": "Valenciennes",
        }}],
    }  # fmt: skip
    assert other["data"]["establishmentRegister"] == {"totalCount": 0, "edges": []}
    assert by_provider["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def _until(received: list[Any], count: int) -> None:
    async with asyncio.timeout(5):
        while len(received) < count:
            await asyncio.sleep(0.01)


async def test_created_updated_and_closed_establishments_are_published_and_a_closed_one_leaves_the_catalogue(
    caf_gateway: Any,
) -> None:
    client, url, app, tokens = caf_gateway
    changes: list[dict[str, Any]] = []
    following = asyncio.create_task(collect(url, tokens["nord"], {"types": ["ESTABLISHMENT_CHANGED"]}, changes))
    try:
        await _subscribed(app, 1)
        created = (await _gql(client, RECORD, token=tokens["nord"], input=CRECHE))["data"]["recordEstablishment"]
        new_id = created["establishmentId"]
        listed = await _gql(client, IN_VALENCIENNES)
        moved = CRECHE | {"id": new_id, "name": "Micro-crèche Les Hirondelles (Famars)", "capacity": 10}
        updated = (await _gql(client, RECORD, token=tokens["nord"], input=moved))["data"]["recordEstablishment"]
        closing = {"establishmentId": new_id, "closedOn": date.today().isoformat(), "reason": "Cessation d'activité"}
        closed = (await _gql(client, CLOSE, token=tokens["nord"], input=closing))["data"]["closeEstablishment"]
        again = (await _gql(client, CLOSE, token=tokens["nord"], input=closing))["data"]["closeEstablishment"]
        await _until(changes, 3)
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    after_closing = await _gql(client, IN_VALENCIENNES)
    node = await _gql(client, NODE, id=new_id)

    assert created["userErrors"] == []
    assert new_id in [e["node"]["id"] for e in listed["data"]["establishments"]["edges"]]
    assert updated == {"establishmentId": new_id, "userErrors": []}
    assert closed == {"establishmentId": new_id, "userErrors": []}
    assert [e["code"] for e in again["userErrors"]] == ["CLOSED"]
    assert [(e["data"]["change"], e["data"]["name"]) for e in changes] == [
        ("CREATED", "Micro-crèche Les Hirondelles"),
        ("UPDATED", "Micro-crèche Les Hirondelles (Famars)"),
        ("CLOSED", "Micro-crèche Les Hirondelles (Famars)"),
    ]
    assert {(e["establishmentId"], e["communeInsee"], e["category"]) for e in changes} == {
        (new_id, VALENCIENNES, "EAJE")
    }
    assert changes[2]["data"]["closed_on"] == date.today().isoformat()
    assert new_id not in [e["node"]["id"] for e in after_closing["data"]["establishments"]["edges"]]
    assert node["data"]["node"] is None


async def test_only_the_caf_of_the_territory_keeps_its_register_and_bad_entries_are_refused(caf_gateway: Any) -> None:
    client, _url, _app, tokens = caf_gateway
    existing = to_global_id("Establishment", MULTI_ACCUEIL)
    by_provider = await _gql(client, RECORD, token=tokens["marie"], input=CRECHE)
    anonymous = await _gql(client, RECORD, input=CRECHE)
    other_caf_update = await _gql(client, RECORD, token=tokens["pas_de_calais"], input=CRECHE | {"id": existing})
    closing = {"establishmentId": existing, "closedOn": "2026-12-31", "reason": "x"}
    other_caf_close = await _gql(client, CLOSE, token=tokens["pas_de_calais"], input=closing)
    outside = await _gql(client, RECORD, token=tokens["nord"], input=CRECHE | {"communeInsee": "62041"})
    bad = CRECHE | {"eajeType": None, "postalCode": "593"}
    no_type = await _gql(client, RECORD, token=tokens["nord"], input=bad)
    still_open = await _gql(client, NODE, id=existing)

    assert by_provider["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert [e["code"] for e in other_caf_update["data"]["recordEstablishment"]["userErrors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in other_caf_close["data"]["closeEstablishment"]["userErrors"]] == ["NOT_FOUND"]
    assert [(e["field"], e["code"]) for e in outside["data"]["recordEstablishment"]["userErrors"]] == [
        ("communeInsee", "OUTSIDE_TERRITORY")
    ]
    assert {(e["field"], e["code"]) for e in no_type["data"]["recordEstablishment"]["userErrors"]} == {
        ("eajeType", "INVALID"), ("postalCode", "INVALID")
    }  # fmt: skip
    assert still_open["data"]["node"]["name"] == "Multi-accueil Les P'tits Mineurs"
