"""The per-process fan-out of publications: filters, order, and a slow subscriber cut off without slowing others."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from gateway.publications import sources
from gateway.publications.feed import (
    Publication,
    PublicationFeed,
    PublicationFilter,
    PublicationType,
    SubscriberTooSlowError,
)
from shared.events import OperatingInfoPublished, PublicPlace, new_event

ESCAUTPONT = PublicPlace(departement="59", commune_insee="59207", category="EAJE")
ARRAS = PublicPlace(departement="62", commune_insee="62041", category="ALSH")


_positions = iter(range(1, 10_000))


def _publication(
    place: PublicPlace = ESCAUTPONT, establishment: str | None = None, version: int = 1, position: int | None = None
) -> Publication:
    data = OperatingInfoPublished(
        establishment_id=uuid.UUID(establishment) if establishment else uuid.uuid4(), place=place, version=version,
        opening_hours="Mo-Fr 07:30-18:30", published_at=datetime.now(UTC),
    )  # fmt: skip
    event = new_event(data, source="/test").model_copy(update={"sequence": str(position or next(_positions))})
    publication = Publication.of(event)
    assert publication is not None
    return publication


def _feed(buffer_size: int = 256, gap_seconds: float = 1.0) -> PublicationFeed:
    feed = PublicationFeed(buffer_size, gap_seconds)
    feed.start_at(1)
    return feed


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        (PublicationFilter(), True),
        (PublicationFilter(departements=frozenset({"59", "62"})), True),
        (PublicationFilter(departements=frozenset({"62"})), False),
        (PublicationFilter(communes=frozenset({"59207"}), categories=frozenset({"EAJE"})), True),
        (PublicationFilter(communes=frozenset({"59207"}), categories=frozenset({"ALSH"})), False),
        (PublicationFilter(types=frozenset({PublicationType.OPERATING_INFO_WITHDRAWN})), False),
        (PublicationFilter(types=frozenset({PublicationType.OPERATING_INFO_PUBLISHED})), True),
    ],
)
def test_a_filter_combines_its_criteria_and_an_empty_one_matches_all(wanted: PublicationFilter, matches: bool) -> None:
    assert wanted.matches(_publication()) is matches


def test_the_publication_keeps_public_data_and_the_event_id() -> None:
    publication = _publication()
    assert publication.type is PublicationType.OPERATING_INFO_PUBLISHED
    assert set(publication.data) == {"version", "opening_hours", "published_at"}


async def test_each_subscriber_gets_what_it_follows_in_order() -> None:
    feed = _feed()
    crèche = str(uuid.uuid4())
    async with (
        feed.subscribe(PublicationFilter(departements=frozenset({"59"}))) as nord,
        feed.subscribe(PublicationFilter(establishment_ids=frozenset({crèche}))) as one,
    ):
        sent = [
            _publication(establishment=crèche, version=1, position=1),
            _publication(ARRAS, position=2),
            _publication(version=3, position=3),
        ]
        feed.deliver(sent)
        got_nord = [await anext(nord) for _ in range(2)]
        got_one = await anext(one)
        assert feed.subscribers == 2
    assert feed.subscribers == 0
    assert got_nord == [sent[0], sent[2]]
    assert got_one == sent[0]
    assert feed.delivered == 3


async def test_a_slow_subscriber_is_cut_off_and_the_others_keep_receiving() -> None:
    feed = _feed(buffer_size=3)
    async with feed.subscribe(PublicationFilter()) as slow, feed.subscribe(PublicationFilter()) as fast:
        received = []
        for n in range(5):
            feed.deliver([_publication(version=n + 1, position=n + 1)])
            received.append(await asyncio.wait_for(anext(fast), 1))
        kept = [await anext(slow) for _ in range(3)]
        with pytest.raises(SubscriberTooSlowError):
            await anext(slow)
    assert [p.data["version"] for p in received] == [1, 2, 3, 4, 5]
    assert [p.data["version"] for p in kept] == [1, 2, 3]
    assert feed.cut_off == 1


async def test_publications_from_several_partitions_are_released_in_cursor_order_once() -> None:
    feed = _feed()
    p = {n: _publication(version=n, position=n) for n in range(1, 6)}
    async with feed.subscribe(PublicationFilter()) as subscriber:
        feed.deliver([p[2], p[4]])  # partition B was faster
        assert feed.next_position == 1
        feed.deliver([p[1], p[3], p[2]])  # partition A, and a redelivered 2
        feed.deliver([p[5], p[1]])
        got = [await anext(subscriber) for _ in range(5)]
    assert [g.position for g in got] == [1, 2, 3, 4, 5]
    assert feed.next_position == 6
    assert feed.delivered == 5


def test_a_position_still_missing_after_the_grace_period_is_asked_for_and_older_ones_are_ignored() -> None:
    feed = PublicationFeed(gap_seconds=0.0)
    feed.deliver([_publication(position=7)])  # before start: held
    feed.start_at(5)  # the log ended at 4 when the process started
    assert feed.missing() == [5, 6]
    feed.deliver([_publication(position=3)])  # already in the log before start-up: not live
    feed.deliver([_publication(position=5), _publication(position=6)])  # read from the log
    assert feed.missing() == []
    assert feed.next_position == 8


@pytest.mark.parametrize("sequence", [None, "", "\u00b2", "\u0663", "-1", "9" * 5_000])
def test_an_event_without_a_cursor_is_not_a_publication(sequence: str | None) -> None:
    data = OperatingInfoPublished(
        establishment_id=uuid.uuid4(), place=ESCAUTPONT, version=1, opening_hours="Mo-Fr 08:00-18:00",
        published_at=datetime.now(UTC),
    )  # fmt: skip
    event = new_event(data, source="/test").model_copy(update={"sequence": sequence})

    assert Publication.of(event) is None


def test_an_integrator_s_filter_is_narrowed_to_its_departements_never_widened() -> None:
    from gateway.graphql.permissions import within_scope
    from gateway.integrators.services import Integrator
    from shared.errors import ForbiddenError

    hainaut = Integrator("i1", "k1", "Portail du Hainaut", frozenset({"59"}))
    everything = within_scope(PublicationFilter(), hainaut)
    with pytest.raises(ForbiddenError, match="62"):
        within_scope(PublicationFilter(departements=frozenset({"59", "62"})), hainaut)

    assert everything.departements == {"59"}
    assert not everything.matches(_publication(ARRAS))
    assert everything.matches(_publication(ESCAUTPONT))
    assert within_scope(PublicationFilter(), None) == PublicationFilter()  # agents: no narrowing


async def test_when_the_topic_lags_behind_the_log_the_missing_positions_are_asked_for_after_the_grace_period() -> None:
    feed = PublicationFeed(gap_seconds=0.05)
    feed.start_at(4)
    assert feed.behind(3) == []  # up to date
    assert feed.behind(6) == []  # behind, but the topic may bring them any moment
    await asyncio.sleep(0.06)
    assert feed.behind(6) == [4, 5, 6]  # still behind after the grace period: read them from the log
    feed.deliver([_publication(position=n) for n in (4, 5, 6)])
    assert feed.behind(6) == []
    assert feed.next_position == 7


async def test_publications_read_from_the_log_tell_the_topic_reader_to_look_for_its_topic_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The log's fallback delivers what the topic has not brought; it also wakes a reader still waiting for the
    topic, which the first publication created: otherwise the following publications come from the log too, each
    a second or more late, until the reader's next look (up to 5 s)."""
    feed = PublicationFeed(gap_seconds=0.0)
    feed.start_at(1)
    stop, told = asyncio.Event(), []

    async def last_position(_session: object) -> int:
        return 1

    async def read_positions(_session: object, positions: list[int]) -> list[Publication]:
        return [_publication(position=p) for p in positions]

    @contextlib.asynccontextmanager
    async def sessions() -> AsyncIterator[object]:
        yield object()

    monkeypatch.setattr(sources, "last_position", last_position)
    monkeypatch.setattr(sources, "read_positions", read_positions)

    def topic_behind() -> None:
        told.append(feed.next_position)
        stop.set()

    async with feed.subscribe(PublicationFilter()) as subscriber:
        async with asyncio.timeout(30):
            await sources.fill_gaps(feed, sessions, stop, topic_behind)  # type: ignore[arg-type]
        assert (await anext(subscriber)).position == 1
    assert told == [2]  # after the delivery from the log
