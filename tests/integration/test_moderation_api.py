"""The moderators' API: only Caf agents of the item's Caf act (S16); stale decisions are refused; leases."""

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
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
from tests.factories import make_event, make_submitted
from tests.integration.test_event_processor import CollectedDeadLetters

QUEUE = "{ reviewQueue { id rowVersion status } }"
CLAIM = """mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) {
  item { rowVersion claimedBy } userErrors } }"""
APPROVE = "mutation($id: ID!, $v: Int!) { approveReviewItem(id: $id, rowVersion: $v) { item { status } userErrors } }"


@pytest.fixture
async def moderation(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, TokenSigner]]:
    signer = TokenSigner(os.urandom(32))
    settings = ModerationSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'moderation.sqlite3'}", bus="inprocess",
        token_public_key=signer.jwks()["keys"][0]["x"],
    )  # fmt: skip
    app = create_app(settings, bus=InProcessBus())
    async with app.router.lifespan_context(app):
        processor = EventProcessor(app.state.runtime.sessions, processed_events, HANDLERS, CollectedDeadLetters())
        await processor.process(Delivery(to_wire(make_event(make_submitted(submitted_at=datetime.now(UTC))))))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://moderation") as client:
            yield client, signer


def _token(signer: TokenSigner, kind: str, caf: str | None, number: str = "CAF59-0001") -> str:
    return signer.issue(Claims("acc-" + number, "family", kind, number, caf, None, False, 0))


async def _gql(client: httpx.AsyncClient, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = (
        await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    return body


async def test_s16_anonymous_callers_provider_agents_and_other_cafs_see_and_decide_nothing(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    [item] = (await _gql(client, QUEUE, nord))["data"]["reviewQueue"]

    for token in (None, _token(signer, "PROVIDER_AGENT", None, "59-ESC-0001")):
        denied = await _gql(client, QUEUE, token)
        assert denied["errors"][0]["message"].startswith("Réservé aux modérateurs de la Caf")
    aisne = _token(signer, "CAF_AGENT", "CAF02", "CAF02-0001")
    assert (await _gql(client, QUEUE, aisne))["data"]["reviewQueue"] == []
    other = await _gql(client, CLAIM, aisne, id=item["id"], v=item["rowVersion"])
    assert other["data"]["claimReviewItem"] == {"item": None, "userErrors": ["NOT_FOUND"]}
    unclaimed = await _gql(client, APPROVE, nord, id=item["id"], v=item["rowVersion"])
    assert unclaimed["data"]["approveReviewItem"]["userErrors"] == ["NOT_CLAIMED"]


async def test_a_claim_is_exclusive_and_a_decision_on_a_stale_view_is_refused(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    first, second = _token(signer, "CAF_AGENT", "CAF59"), _token(signer, "CAF_AGENT", "CAF59", "CAF59-0002")
    [item] = (await _gql(client, QUEUE, first))["data"]["reviewQueue"]

    claimed = (await _gql(client, CLAIM, first, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]
    taken = (await _gql(client, CLAIM, second, id=item["id"], v=claimed["item"]["rowVersion"]))["data"][
        "claimReviewItem"
    ]
    stale = (await _gql(client, APPROVE, first, id=item["id"], v=item["rowVersion"]))["data"]["approveReviewItem"]
    approved = (await _gql(client, APPROVE, first, id=item["id"], v=claimed["item"]["rowVersion"]))["data"]
    twice = (await _gql(client, APPROVE, first, id=item["id"], v=claimed["item"]["rowVersion"] + 1))["data"]

    assert claimed["item"]["claimedBy"] == "CAF59-0001"
    assert taken["userErrors"] == ["CLAIMED"]
    assert stale["userErrors"] == ["STALE"]
    assert approved["approveReviewItem"]["item"]["status"] == "APPROVED"
    assert twice["approveReviewItem"]["userErrors"] == ["ALREADY_DECIDED"]


async def test_bulk_approval_takes_only_unflagged_items_and_the_queue_reports_its_depth(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    app: Any = client._transport.app  # type: ignore[attr-defined]
    promo = make_submitted(
        establishment_id=uuid.uuid4(), submitted_at=datetime.now(UTC), document={"fees": "Code promo : -20 % !"}
    )
    processor = EventProcessor(app.state.runtime.sessions, processed_events, HANDLERS, CollectedDeadLetters())
    await processor.process(Delivery(to_wire(make_event(promo))))
    queue = (await _gql(client, "{ reviewQueue(flaggedFirst: true) { id flags { rule } } }", nord))["data"][
        "reviewQueue"
    ]
    flagged, clean = queue[0]["id"], queue[1]["id"]

    bulk = await _gql(client, "mutation($ids: [ID!]!) { bulkApproveUnflagged(ids: $ids) { approved skipped } }", nord,
                      ids=[flagged, clean])  # fmt: skip
    depth = await _gql(client, "{ queueDepth { pending flagged oldestAgeHours } }", nord)
    only_flagged = await _gql(client, "{ reviewQueue(filter: {flagged: true}) { id } }", nord)

    assert queue[0]["flags"] == [{"rule": "PUBLICITE_DEGUISEE"}]
    assert bulk["data"]["bulkApproveUnflagged"] == {"approved": [clean], "skipped": [flagged]}
    assert depth["data"]["queueDepth"]["pending"] == 1
    assert depth["data"]["queueDepth"]["flagged"] == 1
    assert depth["data"]["queueDepth"]["oldestAgeHours"] >= 0
    assert only_flagged["data"]["reviewQueue"] == [{"id": flagged}]


async def test_a_string_literal_no_database_stores_is_refused_before_any_resolver(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")

    # S18: PostgreSQL refuses a NUL in text, so the literal reached the database as an INTERNAL_SERVER_ERROR.
    claim = await _gql(client, 'mutation { claimReviewItem(id: "a\\u0000b", rowVersion: 1) { userErrors } }', nord)

    assert claim["data"] is None
    assert claim["errors"][0]["message"] == "A string literal contains a NUL character."
