"""Two gateway processes on one database and one broker, each with its own response cache: a publication read from
the public topic drops the answers it touches in both, and neither serves the old answer once it has read it."""

import base64
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from gateway.catalogue.calendar import closed_on
from gateway.catalogue.demo import MULTI_ACCUEIL, MULTI_ACCUEIL_INFO
from gateway.catalogue.publishing import publish_availabilities
from gateway.catalogue.vocabulary import Channel, Slot
from gateway.catalogue.writes import NewAvailability
from gateway.publications.log import last_position
from shared.db import create_session_factory
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.processes import ServiceProcess, service_env

pytestmark = pytest.mark.e2e

NEAR_AND_FREE = """query($from: Date!, $to: Date!) {
  establishments(near: {points: [{latitude: 50.4186, longitude: 3.5543}], radiusKm: 8},
                 filter: {freePlaces: {from: $from, to: $to}}, first: 50) { totalCount edges { node { name } } } }"""


def _window() -> list[date]:
    day, days = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=4), list[date]()
    while len(days) < 2:
        if closed_on(MULTI_ACCUEIL_INFO, day, "59") is None:
            days.append(day)
        day += timedelta(days=1)
    return days


async def _ask(client: httpx.AsyncClient, url: str, variables: dict[str, str], **headers: str) -> httpx.Response:
    body = {"query": NEAR_AND_FREE, "variables": variables}
    return await client.post(
        f"{url}/graphql", content=json.dumps(body), headers={"content-type": "application/json", **headers}
    )


async def test_a_publication_drops_the_old_answer_in_every_gateway_process(
    stack: Stack, pg_database: DatabaseFactory, engines: EngineFactory, kafka_namespace: str, tmp_path: Path
) -> None:
    url = await pg_database("gateway")
    key = base64.b64encode(os.urandom(32)).decode()
    env = service_env("GATEWAY", url, stack.kafka, kafka_namespace, TOKEN_SIGNING_KEY=key)
    first = ServiceProcess("gateway", env | {"GATEWAY_DEMO_DATA": "true"}, tmp_path / "first.log")
    second = ServiceProcess("gateway", env, tmp_path / "second.log")
    days = _window()
    variables = {"from": days[0].isoformat(), "to": days[1].isoformat()}
    first.start()
    try:
        await first.wait_ready()
        second.start()
        await second.wait_ready()
        async with httpx.AsyncClient(timeout=30) as client:
            before = {p.url: [await _ask(client, p.url, variables) for _ in "ab"] for p in (first, second)}
            sessions = create_session_factory(engines(url))
            today = datetime.now(ZoneInfo("Europe/Paris")).date()
            async with sessions() as session, session.begin():
                errors = await publish_availabilities(
                    session, MULTI_ACCUEIL, [NewAvailability(day, Slot.JOURNEE, 0) for day in days],
                    agent_number="59-ESC-0001", channel=Channel.SAISIE_ESPACE_PRO, today=today,
                    now=datetime.now(UTC), signal=None,
                )  # fmt: skip
            assert errors == []
            async with sessions() as session:
                position = await last_position(session)
            for process in (first, second):  # until each has read it from the topic: no deadline but the test's
                await process.wait_ready(gauge=("publications_read_to", position))
            after = {p.url: await _ask(client, p.url, variables) for p in (first, second)}
            truth = await _ask(client, second.url, variables, authorization="Bearer none")

        for process in (first, second):
            assert [r.headers["x-cache"] for r in before[process.url]] == ["miss", "hit"]
            assert "P'tits Mineurs" in before[process.url][1].text
            assert after[process.url].content == truth.content
            assert "P'tits Mineurs" not in after[process.url].text, "no free place left: out of the list"
    finally:
        second.stop()
        first.stop()
