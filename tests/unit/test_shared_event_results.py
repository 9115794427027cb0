"""A publication is executed once for all subscribers (M1), whatever their documents, and each gets the answer the
normal executor would give it: generated documents (aliases, fragments, @include/@skip, __typename) are answered
both ways and compared byte for byte."""

import asyncio
import json
import random
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

    assert first == second
    assert set(first["publications"]) == {"id", "cursor", "type", "data"}
    assert (first["publications"]["cursor"], first["publications"]["type"]) == ("1", "OPERATING_INFO_PUBLISHED")
    assert first["publications"]["data"]["version"] == 1
    assert other["publications"]["cursor"] == "1"
    assert set(other["publications"]) == {"cursor", "establishmentId"}
    for stream in streams:
        await stream.aclose()


FIELDS = ("id", "cursor", "type", "establishmentId", "departement", "communeInsee", "category", "occurredAt", "data")


def _selection(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 5)):
        field = rng.choice((*FIELDS, "__typename"))
        alias = f"{rng.choice(('a', 'b', field))}: " if rng.random() < 0.5 else ""
        directive = rng.choice(
            ("", "", " @include(if: $yes)", " @include(if: $no)", " @skip(if: $yes)", " @skip(if: $no)")
        )
        parts.append(f"{alias}{field}{directive}")
        if depth < 2 and rng.random() < 0.3:
            parts.append(f"... on PublicationEvent{rng.choice(('', ' @skip(if: $no)', ' @include(if: $no)'))} "
                         f"{{ {_selection(rng, depth + 1)} }}")  # fmt: skip
        if depth == 0 and rng.random() < 0.2:
            parts.append("...Shared")
    return " ".join(parts)


def _documents(count: int) -> list[str]:
    rng, documents = random.Random(16), []
    while len(documents) < count:
        selection = _selection(rng)
        if len({part.split(":")[0] for part in selection.split() if ":" in part}) != 0 and "a: " in selection:
            continue  # one alias for two different fields does not validate; keep the generator simple
        root = rng.choice(("", "feed: "))
        fragment = (
            " fragment Shared on PublicationEvent { b: cursor __typename category }" if "...Shared" in selection else ""
        )
        documents.append(
            f"subscription($yes: Boolean = true, $no: Boolean = false) {{ {root}publications {{ {selection} }} }}{fragment}"
        )
    return documents


async def _answers(documents: list[str], publication: Publication) -> list[str]:
    schema, feed = build_schema(), PublicationFeed()
    feed.start_at(publication.position)
    context = Context(sessions=None, loaders=None, today=None, request_id="t", feed=feed)  # type: ignore[arg-type]
    streams: list[Any] = [await schema.subscribe(document, context_value=context) for document in documents]
    pending = [asyncio.create_task(anext(stream)) for stream in streams]
    while feed.subscribers < len(documents):
        await asyncio.sleep(0.01)
    feed.deliver([publication])
    results = [await task for task in pending]
    for stream in streams:
        await stream.aclose()
    assert all(result.errors is None for result in results), [r.errors for r in results if r.errors][:1]
    return [json.dumps(result.data) for result in results]


async def test_projected_answers_are_those_of_the_normal_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subscriptions, "require_reader", _anyone)
    documents, publication = _documents(60), _publication(7)
    projected = await _answers(documents, publication)
    monkeypatch.setattr(subscriptions, "plan_projection", lambda _executor: None)
    executed = await _answers(documents, publication)

    assert projected == executed
    assert len(set(projected)) > 30  # the documents do differ
