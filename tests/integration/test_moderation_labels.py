"""A moderator reads what changed and what was flagged by GraphQL names with French labels (issue 13, items 4, 9)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from gateway.accounts.tokens import TokenSigner
from moderation.handlers import HANDLERS
from moderation.tables import processed_events
from shared.consumer import Delivery, EventProcessor
from shared.events import to_wire
from tests.factories import make_document, make_event, make_submitted
from tests.integration.test_event_processor import CollectedDeadLetters
from tests.integration.test_moderation_api import _gql, _token, moderation  # noqa: F401  (the fixture)

QUEUE = """{ reviewQueue(flaggedFirst: true) { edges { node {
  changes { field label published proposed }
  flags { category categoryLabel severity severityLabel field fieldLabel excerpt } } } } }"""


async def test_changes_and_flags_carry_codes_and_french_labels(
    moderation: tuple[httpx.AsyncClient, TokenSigner],  # noqa: F811
) -> None:
    client, signer = moderation
    app: Any = client._transport.app  # type: ignore[attr-defined]
    published = make_document(hours_note="Fermé le 1er mai")
    proposed = make_document(hours_note="Fermé le 1er et le 8 mai", fees="Code promo : -20 % !")
    event = make_submitted(
        establishment_id=uuid.uuid4(), submitted_at=datetime.now(UTC), document=proposed,
        published_version=1, published_document=published,
    )  # fmt: skip
    processor = EventProcessor(app.state.runtime.sessions, processed_events, HANDLERS, CollectedDeadLetters())
    await processor.process(Delivery(to_wire(make_event(event))))

    answer = await _gql(client, QUEUE, _token(signer, "CAF_AGENT", "CAF59"))

    assert "errors" not in answer
    item = answer["data"]["reviewQueue"]["edges"][0]["node"]
    assert item["changes"] == [
        {"field": "hoursNote", "label": "Précisions sur les horaires",
         "published": "Fermé le 1er mai", "proposed": "Fermé le 1er et le 8 mai"},
        {"field": "fees", "label": "Modalités tarifaires", "published": published.fees, "proposed": proposed.fees},
    ]  # fmt: skip
    [flag] = item["flags"]
    assert {k: v for k, v in flag.items() if k != "excerpt"} == {
        "category": "PUBLICITE_DEGUISEE", "categoryLabel": "Caractère publicitaire déguisé",
        "severity": "HIGH", "severityLabel": "Manquement très probable",
        "field": "fees", "fieldLabel": "Modalités tarifaires",
    }  # fmt: skip
