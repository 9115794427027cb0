"""The habilitation request over GraphQL, on SQLite and PostgreSQL: challenge, validation, receipt event."""

import json
from typing import Any

import pytest
from sqlalchemy import select

from gateway.graphql.relay import to_global_id
from gateway.habilitation import challenges
from gateway.habilitation.tables import habilitation_requests
from gateway.tables import outbox
from tests.conftest import EngineFactory
from tests.graphql_client import SchemaClient

MULTI_ACCUEIL = to_global_id("Establishment", "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001")
ALSH = to_global_id("Establishment", "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2003")

CHALLENGE = "mutation { createChallenge(input: {purpose: HABILITATION_REQUEST}) { challenge { id image expiresAt } } }"
REQUEST = """
mutation Request($input: RequestHabilitationInput!) {
  requestHabilitation(input: $input) {
    request { number status cafLabel submittedAt }
    userErrors { field message code }
  }
}"""


def escautpont_request(challenge_id: str, answer: str, **overrides: Any) -> dict[str, Any]:
    provider = {
        "name": "Mairie d'Escautpont",
        "kind": "COMMUNE",
        "siret": "21590207300018",
        "street": "rue Henri Durre",
        "postalCode": "59278",
        "communeInsee": "59207",
        "email": "mairie@escautpont.example",
        "representativeName": "Raphaël KRUSZYNSKI",
        "representativeTitle": "Maire",
    } | overrides.pop("provider", {})
    persons = [
        {"lastName": "Dupont", "firstName": "Marie", "function": "Directrice multi-accueil",
         "email": "m.dupont@escautpont.example"},
        {"lastName": "Lefebvre", "firstName": "Karine", "function": "Coordinatrice enfance-jeunesse",
         "email": "k.lefebvre@escautpont.example"},
    ]  # fmt: skip
    return {
        "caf": "CAF59",
        "provider": provider,
        "persons": persons,
        "operatingInfoEstablishments": [MULTI_ACCUEIL, ALSH],
        "availabilityEstablishments": [MULTI_ACCUEIL],
        "challenge": {"id": challenge_id, "answer": answer},
    } | overrides


@pytest.fixture
def client(catalogue_url: str, engines: EngineFactory, monkeypatch: pytest.MonkeyPatch) -> SchemaClient:
    monkeypatch.setattr(challenges, "_ALPHABET", "K")  # every image then reads KKKKKK
    return SchemaClient(engines(catalogue_url))


async def _challenge(client: SchemaClient) -> str:
    data = await client.data(CHALLENGE)
    assert data["createChallenge"]["challenge"]["image"].startswith("data:image/png;base64,")
    return str(data["createChallenge"]["challenge"]["id"])


async def test_a_valid_request_is_stored_and_its_receipt_waits_in_the_outbox(client: SchemaClient) -> None:
    challenge_id = await _challenge(client)

    data = await client.data(REQUEST, {"input": escautpont_request(challenge_id, "kkkkkk")})

    result = data["requestHabilitation"]
    assert result["userErrors"] == []
    assert result["request"]["status"] == "SOUMISE"
    assert result["request"]["cafLabel"] == "Caisse d'allocations familiales du Nord"
    assert result["request"]["number"].startswith("DH59-")
    async with client.sessions() as session:
        stored = (await session.execute(select(habilitation_requests))).one()
        event = (await session.execute(select(outbox))).one()
    assert stored.number == result["request"]["number"]
    assert event.event_type == "fr.monenfant.structures.habilitation.requested.v1"
    receipt = json.loads(bytes(event.payload))
    assert receipt["provider_email"] == "mairie@escautpont.example"
    assert receipt["establishments"] == [
        "Multi-accueil Les P'tits Mineurs",
        "Accueil de loisirs municipal d'Escautpont",
    ]


async def test_a_wrong_answer_is_refused_and_uses_the_challenge_up(client: SchemaClient) -> None:
    challenge_id = await _challenge(client)

    wrong = await client.data(REQUEST, {"input": escautpont_request(challenge_id, "KKKKKX")})
    again = await client.data(REQUEST, {"input": escautpont_request(challenge_id, "KKKKKK")})

    for answer in (wrong, again):
        [error] = answer["requestHabilitation"]["userErrors"]
        assert (error["field"], error["code"]) == ("challenge.answer", "CHALLENGE_FAILED")
        assert answer["requestHabilitation"]["request"] is None


async def test_every_invalid_field_is_reported_and_nothing_is_stored(client: SchemaClient) -> None:
    challenge_id = await _challenge(client)
    request = escautpont_request(
        challenge_id,
        "KKKKKK",
        provider={"siret": "21590207300012", "postalCode": "59320"},
        availabilityEstablishments=[ALSH, "not-an-id"],
    )

    data = await client.data(REQUEST, {"input": request})

    errors = [(e["field"], e["code"]) for e in data["requestHabilitation"]["userErrors"]]
    assert errors == [  # all in one round: the unreadable ID does not hide the others
        ("availabilityEstablishments[1]", "INVALID_ID"),
        ("provider.siret", "INVALID_SIRET"),
        ("provider.postalCode", "POSTAL_CODE_MISMATCH"),
        ("availabilityEstablishments[0]", "NOT_EAJE"),
    ]
    async with client.sessions() as session:
        assert (await session.execute(select(habilitation_requests))).all() == []
        assert (await session.execute(select(outbox))).all() == []
