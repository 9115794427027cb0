"""Observability on the real stack: one correlation id followed from a submission's HTTP request to the decision
e-mail, and every service's Prometheus metrics telling what happened."""

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from gateway.catalogue.demo import MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from shared.events import Topic, physical_topic
from tests.conftest import EngineFactory, Stack
from tests.e2e.mailbox import wait_for_mail
from tests.e2e.processes import ServiceProcess
from tests.e2e.test_escautpont_story import Api
from tests.e2e.test_moderation_story import APPROVE, CLAIM, TEMPORARY, Story, _wait_for_item
from tests.integration.test_operating_info_submission import INFO, SUBMIT
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.e2e
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def test_one_correlation_id_follows_a_submission_to_the_decision_e_mail_and_the_metrics_show_it(
    stack: Stack, story: Story, engines: EngineFactory, kafka_namespace: str
) -> None:
    change = f"change-{uuid.uuid4().hex[:12]}"
    api, moderators = Api(story.gateway.url), Api(story.moderation.url)
    marie = await api.first_login("m.dupont.escautpont", TEMPORARY, "les P'tits Mineurs au printemps")
    caf = await api.first_login("a.mathon.caf59", TEMPORARY, "la Caf du Nord à Lille, 2026")
    crèche = to_global_id("Establishment", MULTI_ACCUEIL)

    submitted = await api.call(SUBMIT, marie, request_id=change, id=crèche, info=INFO)
    assert submitted["data"]["submitOperatingInfo"]["userErrors"] == []
    item = await _wait_for_item(moderators, caf)
    claimed = (await moderators.call(CLAIM, caf, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]
    # The moderator's own request has its own id: the decision still continues the submission's story.
    approval = await moderators.call(
        APPROVE, caf, request_id="moderator-request", id=item["id"], v=claimed["item"]["rowVersion"]
    )
    assert approval["data"]["approveReviewItem"]["item"]["status"] == "APPROVED"
    mail = await wait_for_mail(stack.maildir, story.mails["marie"], "sont publiées")

    # The e-mail: the correlation id in its headers, its Message-ID in the notifier's log under that id.
    assert mail["X-Correlation-Id"] == change
    sent = [line for line in _log(story.notifier) if line["message"] == "e-mail sent"]
    assert [line["message_id"] for line in sent if line.get("correlation_id") == change] == [
        str(mail["Message-ID"]).strip()
    ]

    # The outbox row and every Kafka message of the change carry it.
    outbox = await _outbox_correlations(engines, story.urls["gateway"])
    assert outbox["fr.monenfant.structures.operating-info.submitted.v1"] == [change]
    assert outbox["fr.monenfant.structures.operating-info.published.v1"] == [change]
    for topic, expected in ((Topic.OPERATING_INFO_SUBMITTED, 1), (Topic.MODERATION_DECIDED, 1)):
        records = await read_topic(stack.kafka, physical_topic(topic, kafka_namespace), expected=expected)
        assert [dict(r.headers)["ce_correlationid"].decode() for r in records] == [change], topic
    published = await read_topic(stack.kafka, physical_topic(Topic.PUBLICATIONS, kafka_namespace), expected=1)
    assert [dict(r.headers).get("ce_correlationid", b"").decode() for r in published] == [change]

    # Each service logged its part of the change under the same id, as JSON.
    assert {"operating info submitted for moderation", "operating info published"} <= _messages(story.gateway, change)
    assert {"submission queued for review", "moderation decision recorded"} <= _messages(story.moderation, change)
    decided = [line for line in _log(story.moderation) if line["message"] == "moderation decision recorded"]
    assert [line.get("request_id") for line in decided] == ["moderator-request"]

    await _metrics_tell_the_story(story)


async def _metrics_tell_the_story(story: Story) -> None:
    gateway, moderation, notifier = story.processes
    g = await _scrape(gateway)
    assert g[_key("structures_graphql_operation_seconds_count", operation="submitOperatingInfo", type="mutation",
                  outcome="ok")] == 1  # fmt: skip
    assert g[_key("structures_graphql_operation_seconds_count", operation="login", type="mutation", outcome="ok")] >= 2
    assert g[_key("structures_service_info", service="gateway")] == 1
    await _settled(gateway, "structures_outbox_backlog", 0)
    m = await _scrape(moderation)
    assert m[_key("structures_graphql_operation_seconds_count", operation="approveReviewItem", type="mutation",
                  outcome="ok")] == 1  # fmt: skip
    # the submission, and the sessions the story's password changes revoked (moderation records revocations)
    assert m[_key("structures_events_total", outcome="applied")] >= 1
    assert m.get(_key("structures_events_total", outcome="dead-lettered"), 0) == 0
    assert not [k for k in m if k[0] == "structures_review_queue_depth" and m[k] > 0], "the queue is empty"
    lags = [value for (name, _), value in m.items() if name == "structures_consumer_lag"]
    assert lags, "the moderation consumer reports its lag"
    assert max(lags) == 0, "the moderation group has read everything"
    n = await _scrape(notifier)
    assert n[_key("structures_emails_total", outcome="sent")] >= 1
    assert n[_key("structures_emails_total", outcome="failed")] == 0
    assert n[_key("structures_emails_pending", measure="count")] == 0


async def _scrape(process: ServiceProcess) -> Samples:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{process.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def _settled(process: ServiceProcess, name: str, value: float, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while (await _scrape(process)).get((name, frozenset())) != value:
            await asyncio.sleep(0.2)


def _key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


def _log(process: ServiceProcess) -> list[dict[str, Any]]:
    lines = process.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _messages(process: ServiceProcess, correlation_id: str) -> set[str]:
    return {line["message"] for line in _log(process) if line.get("correlation_id") == correlation_id}


async def _outbox_correlations(engines: EngineFactory, url: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with engines(url).connect() as connection:
        rows = await connection.execute(text("SELECT event_type, headers FROM outbox ORDER BY seq"))
        for event_type, headers in rows:
            values = dict(headers if isinstance(headers, list) else json.loads(headers))
            found.setdefault(event_type, []).append(values.get("ce_correlationid", ""))
    return found
