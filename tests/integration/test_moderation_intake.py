"""A submission enters the moderation queue with its art. 2 flags and its diff, on SQLite and PostgreSQL."""

from sqlalchemy import select

from moderation import tables
from moderation.handlers import HANDLERS
from shared.consumer import Delivery, EventProcessor, Outcome
from shared.db import create_session_factory
from shared.events import to_wire
from tests.conftest import DatabaseFactory, EngineFactory
from tests.factories import make_event, make_submitted
from tests.integration.test_event_processor import CollectedDeadLetters

PUBLISHED = {"capacity": 20, "fees": "Le multi-accueil applique le barème national des participations familiales."}


async def test_a_promotional_submission_is_queued_flagged_with_its_excerpt_and_diff(
    database: DatabaseFactory, engines: EngineFactory
) -> None:
    sessions = create_session_factory(engines(await database("moderation")))
    proposed = {"capacity": 20, "fees": "Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !"}
    event = make_event(make_submitted(document=proposed, published_version=1, published_document=PUBLISHED))
    processor = EventProcessor(sessions, tables.processed_events, HANDLERS, CollectedDeadLetters())

    assert await processor.process(Delivery(to_wire(event))) is Outcome.APPLIED

    async with sessions() as session:
        item = (await session.execute(select(tables.review_items))).one()
    [flag] = item.flags
    assert flag["rule"] == "PUBLICITE_DEGUISEE"
    assert flag["label"] == "Caractère publicitaire déguisé"
    assert flag["field"] == "fees"
    assert "-20 %" in flag["excerpt"]
    assert item.diff == [
        {"field": "fees", "published": PUBLISHED["fees"], "proposed": proposed["fees"], "base": None, "conflict": False}
    ]
    assert item.published_version == 1
