"""Subscribers with the same document share one execution per publication (M1), and get the same answer as
they would alone; a different selection, or a variable used in the selection, is executed on its own."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

import gateway.graphql.subscriptions as subscriptions
from gateway.graphql.context import Context
from gateway.graphql.schema import build_schema
from gateway.publications.feed import Publication, PublicationFeed
from shared.events import OperatingInfoPublished, PublicPlace, new_event

DOCUMENT = "subscription($f: PublicationFilterInput) { publications(filter: $f) { id cursor type data } }"
OTHER = "subscription { publications { cursor establishmentId } }"


async def _anyone(_context: object) -> None:
    return None


def _publication(position: int) -> Publication:
    data = OperatingInfoPublished(
        establishment_id=uuid.uuid4(), place=PublicPlace(departement="59", commune_insee="59207", category="EAJE"),
        version=position, opening_hours="Mo-Fr 08:00-18:00", published_at=datetime.now(UTC),
    )  # fmt: skip
    publication = Publication.of(new_event(data, source="/test").model_copy(update={"sequence": str(position)}))
    assert publication is not None
    return publication


async def test_same_document_different_filters_share_one_result_and_other_documents_get_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subscriptions, "require_reader", _anyone)
    schema, feed = build_schema(), PublicationFeed()
    feed.start_at(1)
    context = Context(sessions=None, loaders=None, today=None, request_id="t", feed=feed)  # type: ignore[arg-type]
    streams: list[Any] = [
        await schema.subscribe(DOCUMENT, context_value=context, variable_values={"f": {"departements": ["59"]}}),
        await schema.subscribe(DOCUMENT, context_value=context, variable_values={"f": {"types": []}}),
        await schema.subscribe(OTHER, context_value=context),
    ]
    pending = [asyncio.create_task(anext(stream)) for stream in streams]
    while feed.subscribers < 3:
        await asyncio.sleep(0.01)
    feed.deliver([_publication(1)])
    first, second, other = [(await task).data for task in pending]

    assert first is second  # executed once, shared
    assert set(first["publications"]) == {"id", "cursor", "type", "data"}
    assert (first["publications"]["cursor"], first["publications"]["type"]) == ("1", "OPERATING_INFO_PUBLISHED")
    assert first["publications"]["data"]["version"] == 1
    assert other is not first
    assert other["publications"]["cursor"] == "1"
    assert set(other["publications"]) == {"cursor", "establishmentId"}
    for stream in streams:
        await stream.aclose()
