"""Moderators teach the art. 2 checks (issue 17, item 5): a refusal confirms the flags of its reasons, an approval
contradicts the item's flags, a refusal for a reason no flag predicted is a missed case; per-rule precision shows in
the queue statistics and `structures moderation-cases` exports the cases as corpus candidates."""

import io
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.accounts.tokens import Claims, TokenSigner
from moderation.app import create_app
from moderation.handlers import HANDLERS
from moderation.settings import ModerationSettings
from moderation.tables import processed_events
from shared.bus import InProcessBus
from shared.consumer import Delivery, EventProcessor
from shared.events import to_wire
from structures.check_cases import export_check_cases
from tests.conftest import DatabaseFactory
from tests.factories import make_document, make_event, make_submitted
from tests.integration.test_event_processor import CollectedDeadLetters

pytestmark = pytest.mark.integration
ITEMS = "{ reviewQueue { edges { node { id rowVersion establishment { name } flags { category } } } } }"
ERRORS = "userErrors { code }"
CLAIM = f"mutation($id: ID!, $v: Int!) {{ claimReviewItem(id: $id, rowVersion: $v) {{ {ERRORS} }} }}"
APPROVE = f"mutation($id: ID!, $v: Int!) {{ approveReviewItem(id: $id, rowVersion: $v) {{ {ERRORS} }} }}"
REJECT = f"""mutation($id: ID!, $v: Int!, $r: [RefusalReason!]!) {{
  rejectReviewItem(id: $id, rowVersion: $v, reasons: $r) {{ {ERRORS} }} }}"""
STATS = (
    """{ queueDepth { rulePrecision { rule category confirmed falseFlags precision } missed { category count } } }"""
)
TEXTS = {
    "Crèche A": "Code promo RENTREE : -20 % sur les frais d'inscription.",
    "Crèche B": "Promo sur les inscriptions de septembre.",
    "Crèche C": "Les parents sont priés de lire le livret d'accueil.",
}


@pytest.fixture
async def moderation(database: DatabaseFactory) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """The moderation service (SQLite, then PostgreSQL) with three submissions of the Caf du Nord queued."""
    signer = TokenSigner(os.urandom(32))
    url = await database("moderation")
    settings = ModerationSettings(database_url=url, bus="inprocess", token_public_key=signer.jwks()["keys"][0]["x"])
    app = create_app(settings, bus=InProcessBus())
    async with app.router.lifespan_context(app):
        processor = EventProcessor(app.state.runtime.sessions, processed_events, HANDLERS, CollectedDeadLetters())
        for name, fees in TEXTS.items():
            submitted = make_submitted(
                establishment_id=uuid.uuid4(), establishment_name=name, submitted_at=datetime.now(UTC),
                document=make_document(fees=fees),
            )  # fmt: skip
            await processor.process(Delivery(to_wire(make_event(submitted))))
        token = signer.issue(Claims("acc-CAF59-0001", "family", "CAF_AGENT", "CAF59-0001", "CAF59", None, False, 0))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://moderation") as client:
            yield client, token, url


async def _gql(client: httpx.AsyncClient, query: str, token: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _decide(client: httpx.AsyncClient, token: str, item: dict[str, Any], reasons: list[str] | None) -> None:
    claimed = await _gql(client, CLAIM, token, id=item["id"], v=item["rowVersion"])
    assert claimed["claimReviewItem"]["userErrors"] == []
    if reasons is None:
        decided = (await _gql(client, APPROVE, token, id=item["id"], v=item["rowVersion"] + 1))["approveReviewItem"]
    else:
        decided = (await _gql(client, REJECT, token, id=item["id"], v=item["rowVersion"] + 1, r=reasons))[
            "rejectReviewItem"
        ]
    assert decided["userErrors"] == []


async def test_decisions_teach_per_rule_precision_and_missed_reasons_which_export_as_corpus_candidates(
    moderation: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, token, url = moderation
    items = {n["establishment"]["name"]: n for n in [e["node"] for e in (await _gql(client, ITEMS, token))[
        "reviewQueue"]["edges"]]}  # fmt: skip
    assert [f["category"] for f in items["Crèche A"]["flags"]] == ["PUBLICITE_DEGUISEE"]
    assert [f["category"] for f in items["Crèche B"]["flags"]] == ["PUBLICITE_DEGUISEE"]
    assert items["Crèche C"]["flags"] == []

    await _decide(client, token, items["Crèche A"], ["PUBLICITE_DEGUISEE"])
    await _decide(client, token, items["Crèche B"], None)
    await _decide(client, token, items["Crèche C"], ["CONTENU_TENDANCIEUX_OU_ERRONE", "AUTRE"])
    stats = (await _gql(client, STATS, token))["queueDepth"]
    exported = io.StringIO()
    count = await export_check_cases(url, None, ["MISSED", "FALSE_FLAG"], exported)

    remise = next(r for r in stats["rulePrecision"] if r["rule"] == "publicite.remise")
    assert remise == {
        "rule": "publicite.remise", "category": "PUBLICITE_DEGUISEE", "confirmed": 1, "falseFlags": 1,
        "precision": 0.5,
    }  # fmt: skip
    assert stats["missed"] == [{"category": "CONTENU_TENDANCIEUX_OU_ERRONE", "count": 1}]
    header, *rows = [line.split("\t") for line in exported.getvalue().splitlines()]
    assert header[:3] == ["outcome", "suggested_label", "category"]
    assert count == len(rows)
    assert {(r[0], r[1], r[3]) for r in rows} >= {
        ("FALSE_FLAG", "CLEAN", "publicite.remise"), ("MISSED", "CONTENU_TENDANCIEUX_OU_ERRONE", ""),
    }  # fmt: skip
    assert any("livret d'accueil" in r[-1] for r in rows if r[0] == "MISSED")
    assert all("-20 %" not in r[-1] for r in rows)  # the confirmed flag is not a candidate by default
