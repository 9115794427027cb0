"""The moderators' API: only Caf agents of the item's Caf act (S16); stale decisions are refused; leases."""

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
from shared.relay import from_global_id, to_global_id
from tests.conftest import DatabaseFactory
from tests.factories import MAIRIE_ESCAUTPONT, make_event, make_submitted
from tests.integration.test_event_processor import CollectedDeadLetters

pytestmark = pytest.mark.integration
QUEUE = "{ reviewQueue { totalCount edges { node { id rowVersion status } } } }"
ERRORS = "userErrors { field code message }"
CLAIM = f"""mutation($id: ID!, $v: Int!) {{ claimReviewItem(id: $id, rowVersion: $v) {{
  item {{ rowVersion claimedBy }} {ERRORS} }} }}"""
APPROVE = f"""mutation($id: ID!, $v: Int!) {{ approveReviewItem(id: $id, rowVersion: $v) {{ item {{ status }}
  {ERRORS} }} }}"""


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


@pytest.fixture
async def moderation(database: DatabaseFactory) -> AsyncIterator[tuple[httpx.AsyncClient, TokenSigner]]:
    """The moderation service on SQLite, then on PostgreSQL, with one submission of the Caf du Nord queued."""
    signer = TokenSigner(os.urandom(32))
    settings = ModerationSettings(
        database_url=await database("moderation"), bus="inprocess", token_public_key=signer.jwks()["keys"][0]["x"]
    )
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
    [item] = nodes((await _gql(client, QUEUE, nord))["data"]["reviewQueue"])

    for token, code in (
        (None, "UNAUTHENTICATED"),
        (_token(signer, "PROVIDER_AGENT", None, "59-ESC-0001"), "FORBIDDEN"),
    ):
        denied = await _gql(client, QUEUE, token)
        assert denied["data"] is None
        assert denied["errors"][0]["extensions"]["code"] == code
    aisne = _token(signer, "CAF_AGENT", "CAF02", "CAF02-0001")
    assert (await _gql(client, QUEUE, aisne))["data"]["reviewQueue"] == {"totalCount": 0, "edges": []}
    other = (await _gql(client, CLAIM, aisne, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]
    assert other == {
        "item": None,
        "userErrors": [
            {"field": "id", "code": "NOT_FOUND", "message": "Élément introuvable dans la file de votre Caf."}
        ],
    }
    unclaimed = await _gql(client, APPROVE, nord, id=item["id"], v=item["rowVersion"])
    assert codes(unclaimed["data"]["approveReviewItem"]) == ["NOT_CLAIMED"]


async def test_a_claim_is_exclusive_and_a_decision_on_a_stale_view_is_refused(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    first, second = _token(signer, "CAF_AGENT", "CAF59"), _token(signer, "CAF_AGENT", "CAF59", "CAF59-0002")
    [item] = nodes((await _gql(client, QUEUE, first))["data"]["reviewQueue"])

    claimed = (await _gql(client, CLAIM, first, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]
    taken = (await _gql(client, CLAIM, second, id=item["id"], v=claimed["item"]["rowVersion"]))["data"][
        "claimReviewItem"
    ]
    stale = (await _gql(client, APPROVE, first, id=item["id"], v=item["rowVersion"]))["data"]["approveReviewItem"]
    approved = (await _gql(client, APPROVE, first, id=item["id"], v=claimed["item"]["rowVersion"]))["data"]
    twice = (await _gql(client, APPROVE, first, id=item["id"], v=claimed["item"]["rowVersion"] + 1))["data"]

    assert claimed["item"]["claimedBy"] == "CAF59-0001"
    assert taken["userErrors"] == [{"field": "id", "code": "CLAIMED", "message": "Déjà pris en charge par CAF59-0001."}]
    assert stale["userErrors"] == [
        {"field": "rowVersion", "code": "STALE", "message": "L'élément a changé depuis votre lecture : rechargez-le."}
    ]
    assert approved["approveReviewItem"]["item"]["status"] == "APPROVED"
    assert twice["approveReviewItem"]["userErrors"] == [
        {"field": "id", "code": "ALREADY_DECIDED", "message": "Cet élément n'attend plus de décision (validée)."}
    ]


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
    ordered = "{ reviewQueue(flaggedFirst: true) { edges { node { id flags { rule } } } } }"
    queue = nodes((await _gql(client, ordered, nord))["data"]["reviewQueue"])
    flagged, clean = queue[0]["id"], queue[1]["id"]

    bulk = await _gql(client, "mutation($ids: [ID!]!) { bulkApproveUnflagged(ids: $ids) { approved skipped } }", nord,
                      ids=[flagged, clean])  # fmt: skip
    depth = await _gql(client, "{ queueDepth { pending flagged oldestAgeHours } }", nord)
    only_flagged = await _gql(client, "{ reviewQueue(filter: {flagged: true}) { edges { node { id } } } }", nord)

    assert queue[0]["flags"] == [{"rule": "PUBLICITE_DEGUISEE"}]
    assert bulk["data"]["bulkApproveUnflagged"] == {"approved": [clean], "skipped": [flagged]}
    assert depth["data"]["queueDepth"]["pending"] == 1
    assert depth["data"]["queueDepth"]["flagged"] == 1
    assert depth["data"]["queueDepth"]["oldestAgeHours"] >= 0
    assert nodes(only_flagged["data"]["reviewQueue"]) == [{"id": flagged}]


async def test_a_string_literal_no_database_stores_is_refused_before_any_resolver(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")

    # S18: PostgreSQL refuses a NUL in text, so the literal reached the database as an INTERNAL_SERVER_ERROR.
    claim = await _gql(
        client, 'mutation { claimReviewItem(id: "a\\u0000b", rowVersion: 1) { userErrors { code } } }', nord
    )

    assert claim["data"] is None
    assert claim["errors"][0]["message"] == "A string literal contains a NUL character."


async def _queue(client: httpx.AsyncClient, **overrides: Any) -> None:
    """One more submission through the consumer, as the bus would deliver it (each on its own establishment)."""
    app: Any = client._transport.app  # type: ignore[attr-defined]
    submitted = make_submitted(**{"establishment_id": uuid.uuid4(), "submitted_at": datetime.now(UTC)} | overrides)
    processor = EventProcessor(app.state.runtime.sessions, processed_events, HANDLERS, CollectedDeadLetters())
    await processor.process(Delivery(to_wire(make_event(submitted))))


BY_ESTABLISHMENT = """query($e: ID, $p: ID) { reviewQueue(filter: {establishmentId: $e, providerId: $p}) {
  totalCount edges { node { id version submissionId establishment { id name } } } } }"""


async def test_items_are_found_and_named_with_the_gateways_global_ids(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    crèche, submission = uuid.uuid4(), uuid.uuid4()
    await _queue(client, establishment_id=crèche, submission_id=submission, establishment_name="Crèche Les Lutins")
    gateway_id = to_global_id("Establishment", str(crèche))

    found = (await _gql(client, BY_ESTABLISHMENT, nord, e=gateway_id))["data"]["reviewQueue"]
    by_provider = await _gql(client, BY_ESTABLISHMENT, nord, p=to_global_id("Provider", str(MAIRIE_ESCAUTPONT)))
    raw_uuid = await _gql(client, BY_ESTABLISHMENT, nord, e=str(crèche))
    provider_as_establishment = await _gql(client, BY_ESTABLISHMENT, nord, e=to_global_id("Provider", str(crèche)))

    [item] = nodes(found)
    assert item["establishment"] == {"id": gateway_id, "name": "Crèche Les Lutins"}
    assert item["submissionId"] == to_global_id("Submission", str(submission))
    assert item["version"] == 2
    kind, key = from_global_id(item["id"])
    assert kind == "ReviewItem"
    assert uuid.UUID(key)
    assert by_provider["data"]["reviewQueue"]["totalCount"] == 2
    for refused in (raw_uuid, provider_as_establishment):
        assert refused["data"] is None
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith("filter.establishmentId : ")
    assert raw_uuid["errors"][0]["message"].endswith("n'est pas un identifiant valide.")


REJECT = f"""mutation($id: ID!, $v: Int!, $reasons: [RefusalReason!]!) {{
  rejectReviewItem(id: $id, rowVersion: $v, reasons: $reasons, comment: "Retirez la promotion.") {{
  item {{ status statusLabel reasons {{ code label }}
    history {{ totalCount edges {{ node {{ action actionLabel agentNumber note }} }} }} }} {ERRORS} }} }}"""


async def test_every_refusal_is_reported_at_once_with_its_argument_a_code_and_a_french_message(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    [item] = nodes((await _gql(client, QUEUE, nord))["data"]["reviewQueue"])

    refused = await _gql(client, REJECT, nord, id=item["id"], v=item["rowVersion"] + 7, reasons=[])
    garbage = await _gql(client, QUEUE, "not-a-token")
    too_many = await _gql(client, "{ reviewQueue(first: 101) { totalCount } }", nord)
    bulk = "mutation($ids: [ID!]!) { bulkApproveUnflagged(ids: $ids) { approved skipped userErrors { field code } } }"
    malformed = await _gql(client, bulk, nord, ids=[item["id"], "%%%"])
    oversized = await _gql(client, bulk, nord, ids=[item["id"]] * 101)

    assert refused["data"]["rejectReviewItem"] == {
        "item": None,
        "userErrors": [
            {
                "field": "rowVersion",
                "code": "STALE",
                "message": "L'élément a changé depuis votre lecture : rechargez-le.",
            },
            {"field": "id", "code": "NOT_CLAIMED", "message": "Prenez l'élément en charge avant de décider."},
            {
                "field": "reasons",
                "code": "REASON_REQUIRED",
                "message": "Un refus indique au moins un motif de l'article 2.",
            },
        ],
    }
    assert garbage["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert garbage["errors"][0]["message"].startswith("Authentification requise")
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert too_many["errors"][0]["message"] == "first : doit être compris entre 1 et 100 (reçu 101)."
    assert malformed["data"]["bulkApproveUnflagged"] == {
        "approved": [],
        "skipped": [],
        "userErrors": [{"field": "ids[1]", "code": "INVALID_ID"}],
    }
    assert oversized["errors"][0]["message"] == "ids : au plus 100 éléments à la fois (reçu 101)."
    assert nodes((await _gql(client, QUEUE, nord))["data"]["reviewQueue"]) == [item]  # nothing was decided


async def test_statuses_history_steps_and_refusal_reasons_come_with_their_french_label(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    [item] = nodes((await _gql(client, QUEUE, nord))["data"]["reviewQueue"])
    claimed = (await _gql(client, CLAIM, nord, id=item["id"], v=item["rowVersion"]))["data"]["claimReviewItem"]

    answer = await _gql(
        client, REJECT, nord, id=item["id"], v=claimed["item"]["rowVersion"], reasons=["PUBLICITE_DEGUISEE"]
    )

    rejected = answer["data"]["rejectReviewItem"]["item"]
    assert (rejected["status"], rejected["statusLabel"]) == ("REJECTED", "Refusée")
    assert rejected["reasons"] == [{"code": "PUBLICITE_DEGUISEE", "label": "Caractère publicitaire déguisé"}]
    assert rejected["history"]["totalCount"] == 3
    assert nodes(rejected["history"]) == [
        {"action": "CREATED", "actionLabel": "Reçue", "agentNumber": "59-ESC-0001", "note": None},
        {"action": "CLAIMED", "actionLabel": "Prise en charge", "agentNumber": "CAF59-0001", "note": None},
        {"action": "REJECTED", "actionLabel": "Refusée", "agentNumber": "CAF59-0001", "note": "Retirez la promotion."},
    ]


async def test_every_date_read_back_carries_its_offset(moderation: tuple[httpx.AsyncClient, TokenSigner]) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    [item] = nodes((await _gql(client, QUEUE, nord))["data"]["reviewQueue"])
    await _gql(client, CLAIM, nord, id=item["id"], v=item["rowVersion"])
    dated = "{ reviewQueue { edges { node { submittedAt claimExpiresAt history { edges { node { at } } } } } } }"

    [node] = nodes((await _gql(client, dated, nord))["data"]["reviewQueue"])

    moments = [node["submittedAt"], node["claimExpiresAt"], *(entry["at"] for entry in nodes(node["history"]))]
    assert len(moments) == 4
    assert all(moment.endswith("+00:00") for moment in moments), moments


PAGE = """query($after: String) { reviewQueue(first: 2, after: $after) { totalCount
  pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { establishment { name } } } } }"""


async def test_the_queue_is_a_connection_oldest_first_with_its_total_count(
    moderation: tuple[httpx.AsyncClient, TokenSigner],
) -> None:
    client, signer = moderation
    nord = _token(signer, "CAF_AGENT", "CAF59")
    for name, days_ago in (("C", 1), ("A", 3), ("B", 2)):
        await _queue(client, establishment_name=name, submitted_at=datetime.now(UTC) - timedelta(days=days_ago))

    first = (await _gql(client, PAGE, nord))["data"]["reviewQueue"]
    second = (await _gql(client, PAGE, nord, after=first["pageInfo"]["endCursor"]))["data"]["reviewQueue"]

    assert (first["totalCount"], second["totalCount"]) == (4, 4)
    names = [node["establishment"]["name"] for node in nodes(first) + nodes(second)]
    assert names == ["A", "B", "C", "Multi-accueil Les P'tits Mineurs"]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (False, True)
