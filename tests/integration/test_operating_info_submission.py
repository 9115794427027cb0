"""Agents submit operating information: validated at once, one waiting per establishment, idempotent (S16 too)."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.accounts.tables import connection_log
from gateway.catalogue.demo import ACCUEIL_LOISIRS, MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from gateway.tables import outbox
from tests.integration.test_availability_publication import _gateway, _gql, _token

SUBMIT = """mutation($id: ID!, $info: OperatingInfoInput!, $key: String, $base: Int) {
  submitOperatingInfo(input: {establishmentId: $id, operatingInfo: $info, idempotencyKey: $key,
                              basedOnVersion: $base}) {
    submission { id status version } userErrors { field code message } } }"""
MINE = "{ mySubmissions { edges { node { id status version } } } }"
HOURS = [{"day": d, "opens": "07:30", "closes": "18:00"} for d in ("LUNDI", "MARDI", "MERCREDI", "JEUDI", "VENDREDI")]
INFO = {
    "openingHours": HOURS,
    "closurePeriods": ["AOUT"],
    "ageMin": {"value": 10, "unit": "SEMAINE"},
    "ageMax": {"value": 4, "unit": "AN"},
    "capacity": 20,
    "fees": "Le multi-accueil applique le barème national des participations familiales de la Cnaf.",
    "funding": ["PSU"],
}


@pytest.fixture
async def client(
    sqlite_catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async with _gateway(sqlite_catalogue, tmp_path, monkeypatch) as client:
        yield client


async def _events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        rows = await session.execute(
            select(outbox.c.payload).where(outbox.c.event_type.endswith("operating-info.submitted.v1"))
        )
        return [json.loads(bytes(r[0])) for r in rows]


async def test_a_submission_waits_for_the_caf_with_the_published_version_for_the_diff(
    client: httpx.AsyncClient,
) -> None:
    token = await _token(client, "m.dupont.escautpont")
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)

    first = (await _gql(client, SUBMIT, token, id=crèche, info=INFO, base=1))["data"]["submitOperatingInfo"]
    second = (await _gql(client, SUBMIT, token, id=crèche, info=INFO | {"capacity": 22}))["data"]["submitOperatingInfo"]
    mine = [e["node"] for e in (await _gql(client, MINE, token))["data"]["mySubmissions"]["edges"]]

    assert first["userErrors"] == []
    assert (first["submission"]["status"], first["submission"]["version"]) == ("PENDING", 2)
    assert [(m["id"], m["status"]) for m in mine] == [
        (second["submission"]["id"], "PENDING"),
        (first["submission"]["id"], "SUPERSEDED"),
    ]
    [event, _] = await _events(client)
    assert event["published_version"] == 1
    assert event["published_document"]["capacity"] == 20
    assert event["document"]["opening_hours"][0] == {"day": "LUNDI", "opens": "07:30:00", "closes": "18:00:00"}
    assert event["submitted_by"]["agent_number"] == "59-ESC-0001"
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        logged = (await session.execute(select(connection_log.c.event))).scalars().all()
    assert logged.count("SAISIE_MODALITES") == 2


async def test_a_retried_request_with_its_idempotency_key_creates_nothing_more(client: httpx.AsyncClient) -> None:
    token = await _token(client, "m.dupont.escautpont")
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)

    answers = [
        (await _gql(client, SUBMIT, token, id=crèche, info=INFO, key="essai-1"))["data"]["submitOperatingInfo"]
        for _ in range(3)
    ]

    assert len({a["submission"]["id"] for a in answers}) == 1
    assert len(await _events(client)) == 1


async def test_an_empty_or_overlong_idempotency_key_is_refused_not_a_server_error(client: httpx.AsyncClient) -> None:
    token = await _token(client, "m.dupont.escautpont")
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)

    # S18: "" skipped the look-up but was stored, so the second request broke the unique key (INTERNAL_SERVER_ERROR);
    # 101 characters overflow the column on PostgreSQL.
    answers = [await _gql(client, SUBMIT, token, id=crèche, info=INFO, key=key) for key in ("", "", "k" * 101)]

    for answer in answers:
        payload = answer["data"]["submitOperatingInfo"]
        assert payload["submission"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("idempotencyKey", "INVALID")]
    assert await _events(client) == []


async def test_an_invalid_document_is_refused_field_by_field_and_never_queued(client: httpx.AsyncClient) -> None:
    token = await _token(client, "m.dupont.escautpont")
    broken = INFO | {"openingHours": [{"day": "LUNDI", "opens": "18:00", "closes": "07:30"}], "capacity": -1}

    answer = await _gql(client, SUBMIT, token, id=to_global_id("Establishment", MULTI_ACCUEIL), info=broken)

    errors = answer["data"]["submitOperatingInfo"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("operatingInfo.openingHours[0].closes", "VALUE_ERROR"),
        ("operatingInfo.capacity", "GREATER_THAN_EQUAL"),
    ]
    assert errors[0]["message"] == "lundi : la fermeture (07:30) doit suivre l'ouverture (18:00)"
    assert await _events(client) == []


async def test_s16_without_the_right_on_that_establishment_nothing_is_submitted(client: httpx.AsyncClient) -> None:
    marie = await _token(client, "m.dupont.escautpont")
    caf = await _token(client, "a.mathon.caf59")

    alsh = await _gql(client, SUBMIT, marie, id=to_global_id("Establishment", ACCUEIL_LOISIRS), info=INFO)
    by_caf = await _gql(client, SUBMIT, caf, id=to_global_id("Establishment", MULTI_ACCUEIL), info=INFO)
    anonymous = await _gql(client, SUBMIT, id=to_global_id("Establishment", MULTI_ACCUEIL), info=INFO)

    assert [r["errors"][0]["extensions"]["code"] for r in (alsh, by_caf, anonymous)] == [
        "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED",
    ]  # fmt: skip
    assert await _events(client) == []


async def test_every_problem_of_a_submission_is_reported_at_once_named_as_the_client_wrote_it(
    client: httpx.AsyncClient,
) -> None:
    token = await _token(client, "m.dupont.escautpont")
    broken = INFO | {
        "openingHours": [*HOURS, {"day": "SAMEDI", "opens": "12:00", "closes": "09:00"}],
        "servedCommunes": [{"name": "Escautpont", "postalCode": "5927"}],
        "hoursNote": "x" * 1_001,
    }

    answer = await _gql(
        client, SUBMIT, token, id=to_global_id("Establishment", MULTI_ACCUEIL), info=broken, key="", base=99
    )

    errors = answer["data"]["submitOperatingInfo"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("idempotencyKey", "INVALID"),
        ("operatingInfo.openingHours[5].closes", "VALUE_ERROR"),
        ("operatingInfo.hoursNote", "STRING_TOO_LONG"),
        ("operatingInfo.servedCommunes[0].postalCode", "STRING_PATTERN_MISMATCH"),
        ("basedOnVersion", "UNKNOWN_VERSION"),
    ]
    assert [e["message"] for e in errors][1:3] == [
        "samedi : la fermeture (09:00) doit suivre l'ouverture (12:00)",
        "Texte trop long.",
    ]
    assert await _events(client) == []


async def test_the_published_operating_info_reads_back_with_the_model_fields_and_an_offset(
    client: httpx.AsyncClient,
) -> None:
    query = """query($id: ID!) { node(id: $id) { ... on Establishment { operatingInfo {
      version publishedAt openingHours weeklyHours { day opens closes } ageMin { value unit months } fees } } } }"""

    answer = await _gql(client, query, None, id=to_global_id("Establishment", MULTI_ACCUEIL))

    info = answer["data"]["node"]["operatingInfo"]
    assert info["publishedAt"].endswith("+00:00")  # SQLite gives naive values back: the contract adds the offset
    assert info["openingHours"].startswith("Mo-Fr 07:30-18:30")
    assert info["weeklyHours"][0] == {"day": "LUNDI", "opens": "07:30:00", "closes": "18:30:00"}
    assert info["ageMin"]["months"] >= 0
