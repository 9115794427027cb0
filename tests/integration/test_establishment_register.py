"""The Caf's register of establishments: a Caf agent creates, updates and closes establishments of its territory;
each change is published at once (integrators follow it live), and a closed establishment leaves the catalogue."""

import asyncio
from datetime import date
from typing import Any

from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MULTI_ACCUEIL, VALENCIENNES
from gateway.graphql.relay import to_global_id
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
