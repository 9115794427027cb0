"""What the Caf's console needs of the moderators' API: a browser page of the gateway's origin may call it (CORS for
the listed origins only), the lease's length is a setting, one item is read by its ID, and the queue filters by
département and by who holds an item."""

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
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
from tests.conftest import DatabaseFactory
from tests.factories import make_event, make_submitted
from tests.integration.test_event_processor import CollectedDeadLetters

pytestmark = pytest.mark.integration
CONSOLE = "http://127.0.0.1:8000"
ERRORS = "userErrors { field code message }"
CLAIM = f"""mutation($id: ID!, $v: Int!) {{ claimReviewItem(id: $id, rowVersion: $v) {{
  item {{ rowVersion claimedBy claimExpiresAt history {{ edges {{ node {{ action at }} }} }} }} {ERRORS} }} }}"""
QUEUE = """query($filter: QueueFilterInput) { reviewQueue(filter: $filter) {
  totalCount edges { node { id rowVersion departement establishment { name } } } } }"""
ITEM = "query($id: ID!) { reviewItem(id: $id) { id status statusLabel comment departement } }"


class Moderation:
    def __init__(self, client: httpx.AsyncClient, signer: TokenSigner, app: Any) -> None:
        self.client, self.signer, self.app = client, signer, app

    def token(self, number: str = "CAF59-0001", caf: str = "CAF59") -> str:
        return self.signer.issue(Claims("acc-" + number, "family", "CAF_AGENT", number, caf, None, False, 0))

    async def gql(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        answer = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {token}"}
        )
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def queue_submission(self, **overrides: Any) -> None:
        submitted = make_submitted(**{"establishment_id": uuid.uuid4(), "submitted_at": datetime.now(UTC)} | overrides)
        runtime = self.app.state.runtime
        processor = EventProcessor(runtime.sessions, processed_events, HANDLERS, CollectedDeadLetters())
        await processor.process(Delivery(to_wire(make_event(submitted))))


@pytest.fixture
async def moderation(database: DatabaseFactory) -> AsyncIterator[Moderation]:
    """The moderation service (SQLite, then PostgreSQL) that lets the console's origin in, with a 90 s lease."""
    signer = TokenSigner(os.urandom(32))
    settings = ModerationSettings(
        database_url=await database("moderation"),
        bus="inprocess",
        token_public_key=signer.jwks()["keys"][0]["x"],
        cors_origins=(CONSOLE,),
        claim_lease_seconds=90,
    )
    app = create_app(settings, bus=InProcessBus())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://moderation") as client,
    ):
        yield Moderation(client, signer, app)


def _preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }


async def test_the_consoles_origin_may_call_the_api_from_a_browser_and_no_other_may(moderation: Moderation) -> None:
    allowed = await moderation.client.options("/graphql", headers=_preflight(CONSOLE))
    refused = await moderation.client.options("/graphql", headers=_preflight("https://ailleurs.example"))
    lookalike = await moderation.client.options("/graphql", headers=_preflight(f"{CONSOLE}.ailleurs.example"))
    answer = await moderation.client.post(
        "/graphql", json={"query": "{ service { name } }"}, headers={"origin": CONSOLE}
    )
    foreign = await moderation.client.post(
        "/graphql", json={"query": "{ service { name } }"}, headers={"origin": "https://ailleurs.example"}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == CONSOLE
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    for denied in (refused, lookalike):
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
    assert answer.headers["access-control-allow-origin"] == CONSOLE
    assert "access-control-allow-origin" not in foreign.headers


async def test_without_listed_origins_no_page_of_another_origin_is_let_in(database: DatabaseFactory) -> None:
    settings = ModerationSettings(database_url=await database("moderation"), bus="inprocess")
    app = create_app(settings, bus=InProcessBus())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://moderation") as client,
    ):
        preflight = await client.options("/graphql", headers=_preflight(CONSOLE))

    assert "access-control-allow-origin" not in preflight.headers


async def test_a_claim_holds_the_item_for_the_configured_lease(moderation: Moderation) -> None:
    await moderation.queue_submission()
    token = moderation.token()
    [item] = [edge["node"] for edge in (await moderation.gql(QUEUE, token))["reviewQueue"]["edges"]]

    claimed = (await moderation.gql(CLAIM, token, id=item["id"], v=item["rowVersion"]))["claimReviewItem"]["item"]

    claimed_at = datetime.fromisoformat(claimed["history"]["edges"][-1]["node"]["at"])
    assert datetime.fromisoformat(claimed["claimExpiresAt"]) - claimed_at == timedelta(seconds=90)


async def test_one_item_is_read_by_its_id_in_its_own_caf_only_even_once_decided(moderation: Moderation) -> None:
    await moderation.queue_submission()
    nord, aisne = moderation.token(), moderation.token("CAF02-0001", "CAF02")
    [item] = [edge["node"] for edge in (await moderation.gql(QUEUE, nord))["reviewQueue"]["edges"]]
    claimed = (await moderation.gql(CLAIM, nord, id=item["id"], v=item["rowVersion"]))["claimReviewItem"]["item"]
    reject = """mutation($id: ID!, $v: Int!) { rejectReviewItem(id: $id, rowVersion: $v, reasons: [PUBLICITE_DEGUISEE],
      comment: "Retirez la promotion.") { userErrors { code } } }"""
    await moderation.gql(reject, nord, id=item["id"], v=claimed["rowVersion"])

    mine = (await moderation.gql(ITEM, nord, id=item["id"]))["reviewItem"]
    theirs = (await moderation.gql(ITEM, aisne, id=item["id"]))["reviewItem"]

    assert mine == {
        "id": item["id"],
        "status": "REJECTED",
        "statusLabel": "Refusée",
        "comment": "Retirez la promotion.",
        "departement": "59",
    }
    assert theirs is None


async def test_the_queue_filters_by_departement_and_by_who_holds_an_item(moderation: Moderation) -> None:
    for name, departement in (("Crèche A", "59"), ("Crèche B", "59"), ("Crèche C", "62")):
        await moderation.queue_submission(establishment_name=name, departement=departement)
    me, colleague = moderation.token(), moderation.token("CAF59-0002")
    items = {
        edge["node"]["establishment"]["name"]: edge["node"]
        for edge in (await moderation.gql(QUEUE, me))["reviewQueue"]["edges"]
    }
    await moderation.gql(CLAIM, me, id=items["Crèche A"]["id"], v=items["Crèche A"]["rowVersion"])
    await moderation.gql(CLAIM, colleague, id=items["Crèche B"]["id"], v=items["Crèche B"]["rowVersion"])

    async def names(token: str, **filter: Any) -> list[str]:
        queue = (await moderation.gql(QUEUE, token, filter=filter))["reviewQueue"]
        return sorted(edge["node"]["establishment"]["name"] for edge in queue["edges"])

    assert await names(me, claim="MINE") == ["Crèche A"]
    assert await names(me, claim="OTHERS") == ["Crèche B"]
    assert await names(me, claim="FREE") == ["Crèche C"]
    assert await names(colleague, claim="MINE") == ["Crèche B"]
    assert await names(me, departement="62") == ["Crèche C"]
    assert await names(me, departement="59", claim="FREE") == []


async def test_the_conventions_refusal_reasons_are_listed_with_their_french_labels(moderation: Moderation) -> None:
    reasons = (await moderation.gql("{ refusalReasons { code label } }", moderation.token()))["refusalReasons"]

    assert reasons[0] == {"code": "PUBLICITE_DEGUISEE", "label": "Caractère publicitaire déguisé"}
    assert reasons[-1] == {"code": "AUTRE", "label": "Autre motif"}
    assert len(reasons) == 9


async def test_the_queue_filters_by_category_and_an_item_of_unknown_category_only_shows_unfiltered(
    moderation: Moderation,
) -> None:
    for name, category in (("Crèche A", "EAJE"), ("Centre B", "ALSH"), ("Ancienne C", None)):
        await moderation.queue_submission(establishment_name=name, category=category)
    me = moderation.token()
    query = """query($filter: QueueFilterInput) { reviewQueue(filter: $filter) {
      totalCount edges { node { category categoryLabel establishment { name } } } } }"""

    async def listed(**filter: Any) -> tuple[int, list[tuple[str, str | None, str | None]]]:
        queue = (await moderation.gql(query, me, filter=filter))["reviewQueue"]
        nodes = [edge["node"] for edge in queue["edges"]]
        return queue["totalCount"], sorted(
            (n["establishment"]["name"], n["category"], n["categoryLabel"]) for n in nodes
        )

    assert await listed() == (3, [
        ("Ancienne C", None, None), ("Centre B", "ALSH", "Accueil de loisirs sans hébergement"),
        ("Crèche A", "EAJE", "Crèche"),
    ])  # fmt: skip
    assert await listed(categories=["EAJE"]) == (1, [("Crèche A", "EAJE", "Crèche")])
    assert (await listed(categories=["EAJE", "ALSH"]))[0] == 2
    assert await listed(categories=["RPE"]) == (0, [])
    assert (await listed(categories=[]))[0] == 3, "no category chosen: no filter"
