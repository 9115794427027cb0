"""Software partners transmit availabilities (issue 18): OAuth client credentials, bulk transmission atomic per
establishment, Idempotency-Key, revocation — on PostgreSQL, through HTTP."""

import asyncio
import base64
import hashlib
import importlib.util
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, text

from gateway.catalogue.calendar import closed_on
from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL, MULTI_ACCUEIL_INFO
from gateway.catalogue.publishing import publish_availabilities
from gateway.catalogue.tables import availabilities
from gateway.catalogue.vocabulary import Channel, Slot
from gateway.catalogue.writes import NewAvailability
from gateway.graphql.relay import to_global_id
from gateway.publications.tables import publication_log
from gateway.tables import outbox
from gateway.transmission import clients
from gateway.transmission.endpoints import OAUTH_ERRORS
from gateway.transmission.tables import transmission_requests, transmissions
from tests.catalogue_data import create_pg_database
from tests.conftest import Stack, drop_databases
from tests.gateway_app import gateway_at

AGENT = "59-ESC-0001"
_spec = importlib.util.spec_from_file_location(
    "transmission_client", Path(__file__).resolve().parents[2] / "docs" / "examples" / "transmission_client.py"
)
assert _spec is not None
assert _spec.loader is not None
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)
PUBLIC = """query($from: Date!, $to: Date!) { node(id: "%s") { ... on Establishment {
  availabilities(from: $from, to: $to) { date slot places channel } } } }"""


def open_days(today: date, count: int) -> list[date]:
    days = [today + timedelta(days=3 + n) for n in range(30)]
    return [d for d in days if closed_on(MULTI_ACCUEIL_INFO, d, "59") is None][:count]


@pytest.fixture
async def gateway(stack: Stack, pg_catalogue: str) -> AsyncIterator[httpx.AsyncClient]:
    name = f"t_catalogue_{uuid.uuid4().hex[:10]}"
    await create_pg_database(stack.admin_dsn, name, pg_catalogue)
    try:
        async with gateway_at(stack.database_url(name)) as client:
            yield client
    finally:
        await drop_databases(stack, [name])


async def _grant(client: httpx.AsyncClient) -> tuple[str, str]:
    app: Any = client.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        granted = await clients.grant_client(
            session,
            name="Logiciel de gestion",
            provider_id=MAIRIE_ESCAUTPONT,
            establishment_ids=[MULTI_ACCUEIL, MICRO_CRECHE],
            agent_number=AGENT,
            now=datetime.now(UTC),
        )
    return granted.client_id, granted.secret


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = {"grant_type": "client_credentials", "scope": "availabilities:write"}
    return await client.post("/oauth/token", data=form, headers={"authorization": f"Basic {basic}"})


def _body(good: list[date], today: date) -> dict[str, Any]:
    return {
        "establishments": [
            {
                "establishmentId": to_global_id("Establishment", MULTI_ACCUEIL),
                "availabilities": [{"date": d.isoformat(), "slot": "JOURNEE", "places": 2} for d in good],
            },
            {
                "establishmentId": to_global_id("Establishment", MICRO_CRECHE),
                "availabilities": [
                    {"date": good[0].isoformat(), "places": 1},
                    {"date": today.isoformat(), "places": 1},  # the 3-day rule refuses this establishment's batch
                ],
            },
        ]
    }


async def _transmit(client: httpx.AsyncClient, token: str, key: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}", "idempotency-key": key}
    return await client.post("/transmission/availabilities", json=body, headers=headers)


async def test_a_vendor_transmits_for_two_establishments_one_refused_then_is_revoked(
    gateway: httpx.AsyncClient,
) -> None:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    good = open_days(today, 2)
    client_id, secret = await _grant(gateway)
    issued = await _token(gateway, client_id, secret)
    token = await example.fetch_token(gateway, client_id, secret)  # the documented example client, as written

    sent_results = await example.transmit(gateway, token, _body(good, today), key="envoi-1")
    sent = await _transmit(gateway, token, "envoi-1", _body(good, today))
    replayed = await _transmit(gateway, token, "envoi-1", _body(good, today))
    reused = await _transmit(gateway, token, "envoi-1", _body(good[:1], today))
    window = {"from": good[0].isoformat(), "to": good[1].isoformat()}
    multi = await gateway.post("/graphql", json={"query": PUBLIC % to_global_id("Establishment", MULTI_ACCUEIL),
                                                 "variables": window})  # fmt: skip
    micro = await gateway.post("/graphql", json={"query": PUBLIC % to_global_id("Establishment", MICRO_CRECHE),
                                                 "variables": window})  # fmt: skip

    assert issued.status_code == 200
    assert issued.json()["expires_in"] == 600
    assert issued.headers["cache-control"] == "no-store"
    assert sent.json() == sent_results
    results = sent_results["results"]
    assert [r["status"] for r in results] == ["ACCEPTED", "REFUSED"]
    assert ("establishments[1].availabilities[1].date", "TOO_LATE") in [
        (e["field"], e["code"]) for e in results[1]["errors"]
    ]
    assert replayed.json() == sent_results
    assert replayed.headers["idempotent-replayed"] == "true"
    assert reused.status_code == 422
    assert reused.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    assert [a["places"] for a in multi.json()["data"]["node"]["availabilities"]] == [2, 2]
    assert {a["channel"] for a in multi.json()["data"]["node"]["availabilities"]} == {"TRANSMISSION_INFORMATISEE"}
    assert "TRANSMISSION_INFORMATISEE" not in {a["channel"] for a in micro.json()["data"]["node"]["availabilities"]}
    app: Any = gateway.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        stored = (
            await session.execute(
                select(availabilities.c.establishment_id, availabilities.c.agent_number).where(
                    availabilities.c.channel == "TRANSMISSION_INFORMATISEE"
                )
            )
        ).all()
        logged = (await session.execute(select(transmissions.c.client_id, transmissions.c.establishment_id))).all()
        events = (
            await session.execute(
                select(outbox.c.payload).where(outbox.c.event_type.endswith("availabilities.published.v1"))
            )
        ).scalars()
        published = [json.loads(bytes(p))["establishment_id"] for p in events]
    assert set(stored) == {(MULTI_ACCUEIL, AGENT)}
    assert logged == [(client_id, MULTI_ACCUEIL)]
    assert published == [MULTI_ACCUEIL]

    async with app.state.runtime.sessions() as session, session.begin():
        assert await clients.revoke_client(session, client_id, agent_number=AGENT, now=datetime.now(UTC))
    refused = await _transmit(gateway, token, "envoi-2", _body(good, today))
    no_token = await _token(gateway, client_id, secret)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
    assert no_token.status_code == 401
    assert no_token.json()["error"] == "invalid_client"


async def test_a_rotated_secret_replaces_the_old_one(gateway: httpx.AsyncClient) -> None:
    client_id, secret = await _grant(gateway)
    app: Any = gateway.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        rotated = await clients.rotate_secret(session, client_id, now=datetime.now(UTC))
    assert rotated is not None
    old = await _token(gateway, client_id, secret)
    posted = await gateway.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": rotated.secret},
    )
    old_posted = await gateway.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert old.status_code == 401
    assert old.headers["www-authenticate"].startswith("Basic")
    assert old.headers["cache-control"] == "no-store"
    assert old.json() == {"error": "invalid_client", "error_description": OAUTH_ERRORS["invalid_client"]}
    assert (old_posted.status_code, old_posted.json()["error"]) == (401, "invalid_client")  # either method: 401
    assert posted.status_code == 200
    assert posted.json()["token_type"] == "Bearer"
    assert posted.headers["cache-control"] == "no-store"


async def test_two_requests_with_the_same_key_at_the_same_moment_give_one_answer(gateway: httpx.AsyncClient) -> None:
    """The concurrent twin's answer row is held uncommitted, so the request's own INSERT of the key blocks on it."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    client_id, secret = await _grant(gateway)
    token = (await _token(gateway, client_id, secret)).json()["access_token"]
    body = json.dumps(_body(open_days(today, 2), today)).encode()
    twin = json.dumps({"results": [{"establishmentId": "x", "status": "ACCEPTED", "errors": []}]})
    app: Any = gateway.app  # type: ignore[attr-defined]
    headers = {"authorization": f"Bearer {token}", "idempotency-key": "envoi-1", "content-type": "application/json"}
    async with app.state.runtime.sessions() as holder:
        async with holder.begin():
            await holder.execute(
                transmission_requests.insert().values(
                    client_id=client_id,
                    idempotency_key="envoi-1",
                    body_digest=hashlib.sha256(body).hexdigest(),
                    status=200,
                    answer=twin,
                    received_at=datetime.now(UTC),
                )
            )
            request = asyncio.create_task(gateway.post("/transmission/availabilities", content=body, headers=headers))
            for _ in range(500):  # until the request waits on the holder's row lock (or has already answered)
                async with app.state.runtime.sessions() as watcher:  # a fresh snapshot of pg_stat_activity each time
                    waiting = await watcher.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND query LIKE 'INSERT INTO transmission_requests%'"
                        )
                    )
                if waiting or request.done():
                    break
                await asyncio.sleep(0.02)
        answered = await request
        async with app.state.runtime.sessions() as session:
            events = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
            stored = (
                await session.execute(
                    select(func.count())
                    .select_from(availabilities)
                    .where(availabilities.c.channel == "TRANSMISSION_INFORMATISEE")
                )
            ).scalar_one()
    assert answered.status_code == 200, answered.text
    assert answered.text == twin
    assert answered.headers["idempotent-replayed"] == "true"
    assert (stored, events) == (0, 0)  # the request's own work was rolled back: nothing published twice


def _part(establishment_id: str, *items: tuple[date, str, int]) -> dict[str, Any]:
    entries = [{"date": day.isoformat(), "slot": slot, "places": places} for day, slot, places in items]
    return {"establishmentId": to_global_id("Establishment", establishment_id), "availabilities": entries}


async def _rows(session: Any) -> set[tuple[Any, ...]]:
    a = availabilities.c
    query = select(a.establishment_id, a.day, a.slot, a.places, a.channel, a.agent_number, a.batch_id)
    return set((await session.execute(query)).all())


async def test_a_mixed_transmission_gives_the_rows_and_events_of_its_establishments_one_after_the_other(
    gateway: httpx.AsyncClient,
) -> None:
    """Good, refused, not delegated, and the same crèche twice: the later part replaces the earlier's shared date."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    d0, d1, d2 = open_days(today, 3)
    client_id, secret = await _grant(gateway)
    token = (await _token(gateway, client_id, secret)).json()["access_token"]
    body = {
        "establishments": [
            _part(MULTI_ACCUEIL, (d0, "JOURNEE", 2), (d0, "MATIN", 1), (d1, "JOURNEE", 2)),
            _part(MICRO_CRECHE, (d0, "JOURNEE", 1), (today, "JOURNEE", 1)),
            _part(str(uuid.uuid4()), (d0, "JOURNEE", 1)),
            _part(MULTI_ACCUEIL, (d1, "JOURNEE", 5), (d2, "APRES_MIDI", 3)),
        ]
    }
    app: Any = gateway.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session:
        before = await _rows(session)
    answer = await _transmit(gateway, token, "envoi-mixte", body)
    async with app.state.runtime.sessions() as session:
        after = await _rows(session)
        log = publication_log.c
        logged = (
            await session.execute(select(log.position, log.establishment_id, log.data).order_by(log.position))
        ).all()
        events = (await session.execute(select(outbox.c.headers, outbox.c.payload).order_by(outbox.c.seq))).all()
        sent = (await session.execute(select(transmissions.c.establishment_id, transmissions.c.entries))).all()

    assert [r["status"] for r in answer.json()["results"]] == ["ACCEPTED", "REFUSED", "REFUSED", "ACCEPTED"]
    assert [e["code"] for e in answer.json()["results"][2]["errors"]] == ["NOT_DELEGATED"]
    kept = {r for r in before if r[0] != MULTI_ACCUEIL or r[1] not in {d0, d1, d2}}
    added = after - kept
    assert kept <= after  # the refused crèche and the other dates are untouched
    assert {r[:6] for r in added} == {
        (MULTI_ACCUEIL, d0, "JOURNEE", 2, "TRANSMISSION_INFORMATISEE", AGENT),
        (MULTI_ACCUEIL, d0, "MATIN", 1, "TRANSMISSION_INFORMATISEE", AGENT),
        (MULTI_ACCUEIL, d1, "JOURNEE", 5, "TRANSMISSION_INFORMATISEE", AGENT),
        (MULTI_ACCUEIL, d2, "APRES_MIDI", 3, "TRANSMISSION_INFORMATISEE", AGENT),
    }
    assert len(added) == 4
    assert len({r[6] for r in added}) == 2  # one batch id per accepted part
    published = logged[-2:]
    assert [p.establishment_id for p in published] == [MULTI_ACCUEIL, MULTI_ACCUEIL]
    assert published[1].position == published[0].position + 1
    assert [[a["places"] for a in p.data["availabilities"]] for p in published] == [[2, 1, 2], [5, 3]]
    sequences = [dict(headers).get("ce_sequence") for headers, _ in events[-2:]]
    assert sequences == [str(p.position) for p in published]
    assert sorted(sent) == [(MULTI_ACCUEIL, 2), (MULTI_ACCUEIL, 3)]


STATUS = """{ node(id: "%s") { ... on Establishment { availabilityStatus { state channel staleAfter } } } }"""


async def _status(gateway: httpx.AsyncClient) -> dict[str, Any]:
    answer = await gateway.post("/graphql", json={"query": STATUS % to_global_id("Establishment", MULTI_ACCUEIL)})
    status: dict[str, Any] = answer.json()["data"]["node"]["availabilityStatus"]
    return status


async def test_an_automated_creche_stays_fresh_with_three_transmission_days_in_seven_manual_with_one_a_week(
    gateway: httpx.AsyncClient,
) -> None:
    paris = ZoneInfo("Europe/Paris")
    today = datetime.now(paris).date()
    good = open_days(today, 1)
    body = {"establishments": [_body(good, today)["establishments"][0]]}
    client_id, secret = await _grant(gateway)
    token = (await _token(gateway, client_id, secret)).json()["access_token"]
    assert (await _transmit(gateway, token, "premier", body)).json()["results"][0]["status"] == "ACCEPTED"
    once = await _status(gateway)

    app: Any = gateway.app  # type: ignore[attr-defined]
    async with app.state.runtime.sessions() as session, session.begin():
        for days_ago in (1, 2):  # the vendor's transmissions of the two days before
            at = datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), paris) + timedelta(hours=9)
            await session.execute(
                transmissions.insert().values(
                    id=str(uuid.uuid4()), client_id=client_id, establishment_id=MULTI_ACCUEIL, agent_number=AGENT,
                    entries=1, transmitted_at=at,
                )
            )  # fmt: skip
    assert (await _transmit(gateway, token, "troisieme-jour", body)).json()["results"][0]["status"] == "ACCEPTED"
    thrice = await _status(gateway)

    async with app.state.runtime.sessions() as session, session.begin():
        manual = [NewAvailability(good[0], Slot.JOURNEE, 1)]
        assert not await publish_availabilities(
            session, MULTI_ACCUEIL, manual, agent_number=AGENT, channel=Channel.SAISIE_ESPACE_PRO, today=today,
            now=datetime.now(UTC), signal=None,
        )  # fmt: skip
    by_hand = await _status(gateway)

    assert once["state"] == "PERIMEES"  # one transmission day of three
    assert once["channel"] == "TRANSMISSION_INFORMATISEE"
    assert thrice["state"] == "DISPONIBLE"
    leaves = datetime.combine(today + timedelta(days=5), datetime.min.time(), paris)  # the day before yesterday + 7
    assert datetime.fromisoformat(thrice["staleAfter"]) == leaves
    assert (by_hand["state"], by_hand["channel"]) == ("DISPONIBLE", "SAISIE_ESPACE_PRO")
    assert datetime.fromisoformat(by_hand["staleAfter"]) > datetime.now(UTC) + timedelta(days=6)
