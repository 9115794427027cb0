"""A publication is executed once for all subscribers (M1), whatever their documents, and each gets the answer the
normal executor would give it: generated documents (aliases, fragments, @include/@skip, __typename) are answered
both ways and compared byte for byte."""

import asyncio
import json
import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import parse, validate
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

import gateway.graphql.subscriptions as subscriptions
from gateway.graphql.context import Context
from gateway.graphql.schema import build_schema
from gateway.publications.feed import Publication, PublicationFeed
from shared.events import OperatingInfoPublished, PublicPlace, new_event

DOCUMENT = "subscription($f: PublicationFilterInput) { publications(filter: $f) { id cursor type data } }"
OTHER = "subscription { publications { cursor establishmentId } }"


async def _anyone(_context: object, **_options: object) -> None:
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
CONDITIONS = ("", "", " @include(if: $yes)", " @include(if: $no)", " @skip(if: $yes)", " @skip(if: $no)",
              " @include(if: true)", " @skip(if: true)")  # fmt: skip
VARIABLES: tuple[dict[str, Any], ...] = ({}, {"yes": False, "no": True}, {"f": {"departements": ["59"]}, "yes": True})
USED = (("yes", "true"), ("no", "false"))
WAIT = 5.0  # seconds: a subscription that has not answered by then has failed, the test does not hang


def _selection(rng: random.Random, depth: int = 0) -> str:
    """Fields (some aliased, some conditional), inline fragments (some conditional), the named fragment."""
    parts = []
    for _ in range(rng.randint(1, 4)):
        field = rng.choice((*FIELDS, "__typename"))
        alias = f"{rng.choice(('a', 'b', 'c', field))}: " if rng.random() < 0.4 else ""
        parts.append(f"{alias}{field}{rng.choice(CONDITIONS)}")
        if depth < 2 and rng.random() < 0.3:
            parts.append(f"... on PublicationEvent{rng.choice(CONDITIONS)} {{ {_selection(rng, depth + 1)} }}")
        if rng.random() < 0.1:
            parts.append(f"...Shared{rng.choice(CONDITIONS)}")
    return " ".join(parts)


def _documents(schema: Any, count: int) -> list[str]:
    """``count`` distinct valid documents from a bounded number of tries (an alias given to two different fields,
    or an unused fragment, does not validate: such a document is dropped)."""
    rng, documents = random.Random(16), []
    for _ in range(20 * count):
        selection = _selection(rng)
        fragment = " fragment Shared on PublicationEvent { b: cursor __typename category }" * ("...Shared" in selection)
        root = rng.choice(("", "feed: ", "publications: "))
        body = f"{{ {root}publications(filter: $f) {{ {selection} }} }}{fragment}"
        defaults = "".join(f", ${name}: Boolean = {value}" for name, value in USED if f"${name})" in body)
        document = f"subscription S($f: PublicationFilterInput{defaults}) {body}"
        if document not in documents and not validate(schema._schema, parse(document)):
            documents.append(document)
        if len(documents) == count:
            return documents
    raise AssertionError(f"only {len(documents)} valid documents generated")


def _broken(position: int) -> Publication:
    """A publication whose ``occurredAt`` cannot be serialised: the execution's errors, not a projection's."""
    return replace(_publication(position), occurred_at="hier")  # type: ignore[arg-type]


async def _answers(schema: Any, documents: list[str], publications: list[Publication]) -> list[list[str]]:
    """Each document's answers (their JSON) to ``publications``, all subscribed at once on one feed."""
    feed = PublicationFeed()
    feed.start_at(publications[0].position)
    context = Context(sessions=None, loaders=None, today=None, request_id="t", feed=feed)  # type: ignore[arg-type]
    streams: list[Any] = [
        await schema.subscribe(document, context_value=context, variable_values=VARIABLES[n % len(VARIABLES)])
        for n, document in enumerate(documents)
    ]
    try:
        first = [asyncio.create_task(anext(stream)) for stream in streams]
        async with asyncio.timeout(WAIT):
            while feed.subscribers < len(documents):
                await asyncio.sleep(0.01)
        feed.deliver(publications)
        answers = [[await asyncio.wait_for(task, WAIT)] for task in first]
        for stream, answer in zip(streams, answers, strict=True):
            answer.extend([await asyncio.wait_for(anext(stream), WAIT) for _ in publications[1:]])
    finally:
        for stream in streams:
            await stream.aclose()
    return [[json.dumps(_formatted(result), separators=(",", ":")) for result in answer] for answer in answers]


def _formatted(result: Any) -> dict[str, Any]:
    return {"data": result.data} | ({"errors": [error.formatted for error in result.errors]} if result.errors else {})


async def test_projected_answers_are_the_normal_executors_and_the_publication_is_executed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subscriptions, "require_reader", _anyone)
    executions = []
    normal = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counted(executor: Any, serially: bool | None = None) -> Any:
        executions.append(executor.root_value)
        return normal(executor, serially)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counted)
    schema = build_schema()
    documents, publications = _documents(schema, 36), [_publication(7), _broken(8)]
    projected = await _answers(schema, documents, publications)
    assert len(executions) == 2 + len(documents)  # each row once; the broken one's errors: executed as usual, for each
    monkeypatch.setattr(subscriptions, "plan_projection", lambda _executor: None)
    executed = await _answers(schema, documents, publications)

    assert projected == executed
    assert len({answer[0] for answer in projected}) > 30  # the documents do differ
    assert all('"errors"' not in answer[0] for answer in projected)
    broken = [answer[1] for answer in projected if '"errors"' in answer[1]]
    assert len(broken) > 8  # the broken publication's errors, unchanged, and masked (PublicErrors) as always
    assert all('"INTERNAL_SERVER_ERROR"' in answer and "tzinfo" not in answer for answer in broken)


async def test_a_subscription_executed_as_usual_keeps_nothing_from_one_event_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subscriptions, "require_reader", _anyone)
    executors: list[Any] = []
    monkeypatch.setattr(subscriptions, "plan_projection", lambda executor: executors.append(executor))
    schema, feed = build_schema(), PublicationFeed()
    feed.start_at(20)
    context = Context(sessions=None, loaders=None, today=None, request_id="t", feed=feed)  # type: ignore[arg-type]
    stream: Any = await schema.subscribe(OTHER, context_value=context)
    try:
        first = asyncio.create_task(anext(stream))
        async with asyncio.timeout(WAIT):
            while feed.subscribers < 1:
                await asyncio.sleep(0.01)
        feed.deliver([_publication(20), _publication(21), _publication(22)])
        answers = [await asyncio.wait_for(first, WAIT)] + [await asyncio.wait_for(anext(stream), WAIT) for _ in "ab"]
    finally:
        await stream.aclose()

    assert [answer.data["publications"]["cursor"] for answer in answers] == ["20", "21", "22"]
    [executor] = executors
    assert executor._relevant_sub_fields == {}  # was one entry more per event, for the subscription's lifetime
