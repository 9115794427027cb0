"""Issue 6's story on the real stack: two gateway processes, each feeding its own subscribers from Kafka.

A moderator's approval and an availability update reach subscribers on both processes, each according to its
filter (one of them an integrator with an API key); a subscriber that disconnects — and whose gateway is killed
meanwhile — resumes with its cursor and receives exactly what it missed, then the live events.

The integrator also follows by webhooks (issue 18): its endpoints, on loopback HTTP servers of the test, receive the
same publications POSTed by the dispatcher (``structures webhooks``, killed with -9 and restarted mid-run), signed
(checked with the standardwebhooks package's own verifier); one answers 500 until its deliveries are dead, then
recovers and has them replayed, with the same webhook-ids.
"""

import asyncio
import base64
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.accounts.tokens import TokenSigner
from gateway.catalogue.demo import ESCAUTPONT, MULTI_ACCUEIL, VALENCIENNES
from gateway.graphql.relay import to_global_id
from shared.sealing import generate_key_pair
from tests.catalogue_data import fill_catalogue
from tests.conftest import DatabaseFactory, EngineFactory, Stack
from tests.e2e.processes import ServiceProcess, service_env
from tests.e2e.test_escautpont_story import Api
from tests.e2e.test_moderation_story import APPROVE, CLAIM, TEMPORARY, _accounts, _wait_for_item
from tests.integration.test_availability_publication import PUBLISH, _entry, open_days
from tests.integration.test_integrators import CREATE
from tests.integration.test_operating_info_submission import INFO, SUBMIT
from tests.subscriptions import collect
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
CRECHE = to_global_id("Establishment", MULTI_ACCUEIL)


async def _until(received: list[Any], count: int) -> None:
    async with asyncio.timeout(20):
        while len(received) < count:
            await asyncio.sleep(0.05)


REGISTER = """mutation($url: String!) { registerWebhookEndpoint(input: {url: $url, filter: {departements: ["59"]}}) {
  endpoint { id } secret userErrors { code message } } }"""
DEAD = """query($id: ID!) { webhookDeliveries(endpointId: $id, status: DEAD, first: 50) { totalCount
  edges { node { webhookId attempts lastStatusCode } } } }"""
REPLAY = "mutation($id: ID!) { replayWebhookDeliveries(endpointId: $id) { replayed userErrors { code } } }"


async def _as_integrator(service: str, key: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{service}/graphql", json={"query": query, "variables": variables}, headers={"x-api-key": key}
        )
    data: dict[str, Any] = answer.json()["data"]
    return data


async def _register(service: str, key: str, receiver: WebhookReceiver) -> str:
    registered = (await _as_integrator(service, key, REGISTER, url=receiver.url))["registerWebhookEndpoint"]
    assert registered["userErrors"] == [], registered
    receiver.secret = registered["secret"]
    return str(registered["endpoint"]["id"])


async def _dead(url: str, key: str, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(20):
        while True:
            log = (await _as_integrator(url, key, DEAD, id=endpoint_id))["webhookDeliveries"]
            if log["totalCount"] >= count:
                return [edge["node"] for edge in log["edges"]]
            await asyncio.sleep(0.2)


async def _distinct(receiver: WebhookReceiver, count: int) -> None:
    async with asyncio.timeout(20):
        while len({r.webhook_id for r in receiver.received}) < count:
            await asyncio.sleep(0.05)


async def test_two_gateways_fan_out_filtered_publications_and_a_resuming_subscriber_misses_nothing(
    stack: Stack,
    pg_database: DatabaseFactory,
    engines: EngineFactory,
    kafka_namespace: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = {name: await pg_database(name) for name in ("gateway", "moderation")}
    await fill_catalogue(urls["gateway"])
    _, public_key = generate_key_pair()
    run = uuid.uuid4().hex[:6]
    mails = {"marie": f"marie-{run}@escautpont.example", "caf": f"caf-{run}@caf59.example"}
    await _accounts(urls["gateway"], public_key, engines, mails, monkeypatch)
    seed = os.urandom(32)
    shared = {
        "NOTIFIER_PUBLIC_KEY": public_key, "TOKEN_SIGNING_KEY": base64.b64encode(seed).decode(),
        "WEBHOOK_SEALING_KEY": generate_key_pair()[0], "WEBHOOK_ALLOW_LOOPBACK": "true",
        "WEBHOOK_RETRY_SECONDS": "[0.3, 0.3]", "WEBHOOK_LEASE_SECONDS": "2",
    }  # fmt: skip
    gateways = [
        ServiceProcess(
            "gateway",
            service_env("GATEWAY", urls["gateway"], stack.kafka, kafka_namespace, **shared),
            tmp_path / f"gateway-{n}.log",
        )
        for n in (1, 2)
    ]
    moderation = ServiceProcess(
        "moderation", service_env("MODERATION", urls["moderation"], stack.kafka, kafka_namespace,
                                  TOKEN_PUBLIC_KEY=TokenSigner(seed).jwks()["keys"][0]["x"]), tmp_path / "m.log",
    )  # fmt: skip
    dispatcher = ServiceProcess(
        "webhooks", service_env("GATEWAY", urls["gateway"], stack.kafka, kafka_namespace, **shared),
        tmp_path / "webhooks.log",
    )  # fmt: skip
    healthy, failing = WebhookReceiver(), WebhookReceiver(status=500)
    tasks: list[asyncio.Task[None]] = []
    try:
        for process in (moderation, *gateways):
            process.start()
            await process.wait_ready(report="ready")
        first, second = gateways
        api, moderators = Api(first.url), Api(moderation.url)
        marie = await api.first_login("m.dupont.escautpont", TEMPORARY, "les P'tits Mineurs au printemps")
        caf = await api.first_login("a.mathon.caf59", TEMPORARY, "la Caf du Nord à Lille, 2026")
        integrator = await api.call(CREATE, caf, name="Portail du Hainaut", mail="api@hainaut.example", d=["59"])
        key = integrator["data"]["createIntegrator"]["apiKey"]
        for receiver in (healthy, failing):
            await receiver.start()
        await _register(first.url, key, healthy)
        failing_id = await _register(first.url, key, failing)
        dispatcher.start()

        hours: list[dict[str, Any]] = []  # on the first process: this crèche's published hours only
        nord: list[dict[str, Any]] = []  # on the second, an integrator: everything in the Nord
        valenciennes: list[dict[str, Any]] = []  # on the second: another commune
        resuming: list[dict[str, Any]] = []  # on the second: will disconnect, then resume
        tasks += [
            asyncio.create_task(collect(first.ws_url, caf, {"establishmentIds": [CRECHE],
                                                            "types": ["OPERATING_INFO_PUBLISHED"]}, hours)),
            asyncio.create_task(collect(second.ws_url, None, {"departements": ["59"]}, nord, api_key=key)),
            asyncio.create_task(collect(second.ws_url, caf, {"communes": [VALENCIENNES]}, valenciennes)),
        ]  # fmt: skip
        resumer = asyncio.create_task(collect(second.ws_url, caf, {"communes": [ESCAUTPONT]}, resuming))
        await first.wait_ready(gauge=("publication_subscribers", 1))
        await second.wait_ready(gauge=("publication_subscribers", 3))

        days = open_days(3)
        assert (await api.call(PUBLISH, marie, id=CRECHE, a=[_entry(days[0], 2)]))["data"]["publishAvailabilities"][
            "userErrors"
        ] == []
        await _until(resuming, 1)
        resumer.cancel()  # the resuming subscriber goes away after the first publication…
        await asyncio.gather(resumer, return_exceptions=True)
        last_seen = resuming[-1]["cursor"]

        assert (await api.call(SUBMIT, marie, id=CRECHE, info=INFO))["data"]["submitOperatingInfo"]["userErrors"] == []
        item = await _wait_for_item(moderators, caf)
        claimed = (await moderators.call(CLAIM, caf, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]
        approved = (await moderators.call(APPROVE, caf, id=item["id"], v=claimed["item"]["rowVersion"]))["data"]
        assert approved["approveReviewItem"]["userErrors"] == []
        await _until(hours, 1)
        await _until(nord, 2)
        second.kill()  # …and its gateway crashes while it is away
        dispatcher.kill()  # (and so does the webhook dispatcher)
        dispatcher.start()
        await api.call(PUBLISH, marie, id=CRECHE, a=[_entry(days[1], 1)])
        second.start()
        await second.wait_ready(report="ready")

        resumed: list[dict[str, Any]] = []
        tasks.append(asyncio.create_task(
            collect(second.ws_url, caf, {"communes": [ESCAUTPONT]}, resumed, after=last_seen)
        ))  # fmt: skip
        await _until(resumed, 2)  # what it missed: the approval and the second availability update
        await second.wait_ready(gauge=("publication_subscribers", 1))
        await api.call(PUBLISH, marie, id=CRECHE, a=[_entry(days[2], 0)])  # live again
        await _until(resumed, 3)
        await asyncio.sleep(1)  # a repeat or a stray event would arrive now

        await _distinct(healthy, 4)
        dead = await _dead(first.url, key, failing_id, 4)
        assert {(d["attempts"], d["lastStatusCode"]) for d in dead} == {(3, 500)}  # the schedule's 2 retries
        failing.status = 200  # it recovers
        replay = (await _as_integrator(first.url, key, REPLAY, id=failing_id))["replayWebhookDeliveries"]
        assert replay == {"replayed": 4, "userErrors": []}
        await _distinct(failing, 4)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for process in (*gateways, moderation, dispatcher):
            process.stop()
        for receiver in (healthy, failing):
            await receiver.stop()

    assert [(e["type"], e["data"]["version"]) for e in hours] == [("OPERATING_INFO_PUBLISHED", 2)]
    assert [e["type"] for e in nord] == ["AVAILABILITIES_PUBLISHED", "OPERATING_INFO_PUBLISHED"]
    assert nord[1]["id"] == hours[0]["id"]  # the same event, fanned out by two processes
    assert valenciennes == []
    assert [e["type"] for e in resumed] == [
        "OPERATING_INFO_PUBLISHED", "AVAILABILITIES_PUBLISHED", "AVAILABILITIES_PUBLISHED"
    ]  # fmt: skip
    assert [int(e["cursor"]) for e in resumed] == [int(last_seen) + n for n in (1, 2, 3)]  # no gap, no repeat
    assert [e["data"]["availabilities"][0]["places"] for e in resumed[1:]] == [1, 0]
    # Webhooks: every publication of the Nord, signed (verified on receipt), at least once, deduplicated by id.
    first_copies = {r.webhook_id: r.body for r in reversed(healthy.received)}
    bodies = sorted(first_copies.values(), key=lambda body: int(body["data"]["cursor"]))
    assert [b["data"]["type"] for b in bodies] == [
        "AVAILABILITIES_PUBLISHED", "OPERATING_INFO_PUBLISHED", "AVAILABILITIES_PUBLISHED", "AVAILABILITIES_PUBLISHED"
    ]  # fmt: skip
    assert [b["data"]["id"] for b in bodies[:2]] == [e["id"] for e in nord]
    assert {r.webhook_id for r in failing.received} == set(failing.attempts) == {d["webhookId"] for d in dead}
