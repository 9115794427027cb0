"""The per-process fan-out of publication events to the subscribers connected to this gateway process.

Every gateway process reads the whole public topic (no consumer group: each one needs every event, see
:mod:`gateway.publications.sources`) and hands each event to :meth:`PublicationFeed.deliver`. Events from several
partitions arrive in any order; the feed releases them in cursor order (positions are gapless, see
:mod:`gateway.publications.log`), holding back what comes early; a position still missing after a second is read
from the publication log (:meth:`PublicationFeed.missing`). Each released event goes into the bounded buffer of
every subscriber whose filter matches. Delivery never waits for a subscriber: one whose buffer is full is cut off
(told to resume from its last cursor) instead of slowing down the others.
"""

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.events import (
    AvailabilitiesPublished,
    Envelope,
    EstablishmentChanged,
    OperatingInfoPublished,
    OperatingInfoWithdrawn,
    PublicPlace,
)

log = logging.getLogger(__name__)
_POSITION = re.compile(r"[0-9]{1,18}")
"""A cursor's position: ASCII digits only (``str.isdigit`` also accepts « ² », which ``int`` refuses)."""


class PublicationType(StrEnum):
    AVAILABILITIES_PUBLISHED = AvailabilitiesPublished.event_type
    OPERATING_INFO_PUBLISHED = OperatingInfoPublished.event_type
    OPERATING_INFO_WITHDRAWN = OperatingInfoWithdrawn.event_type
    ESTABLISHMENT_CHANGED = EstablishmentChanged.event_type


@dataclass(frozen=True)
class Publication:
    """One public event, as subscribers receive it."""

    id: str
    type: PublicationType
    establishment_id: str
    place: PublicPlace
    occurred_at: datetime
    data: dict[str, Any]
    position: int
    """The cursor's position in the publication log."""

    @classmethod
    def of(cls, event: Envelope) -> "Publication | None":
        """The publication carried by ``event``; None for other event types, or one without a cursor."""
        data = event.data
        if not isinstance(
            data, AvailabilitiesPublished | OperatingInfoPublished | OperatingInfoWithdrawn | EstablishmentChanged
        ):
            return None
        if event.sequence is None or not _POSITION.fullmatch(event.sequence):
            return None
        payload = data.model_dump(mode="json", exclude={"establishment_id", "place"})
        return cls(
            event.id, PublicationType(event.type), str(data.establishment_id), data.place, event.time, payload,
            int(event.sequence),
        )  # fmt: skip


@dataclass(frozen=True)
class PublicationFilter:
    """What one subscriber follows; an empty criterion matches everything, criteria combine with AND."""

    departements: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    establishment_ids: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    types: frozenset[PublicationType] = frozenset()

    def matches(self, publication: Publication) -> bool:
        place = publication.place
        return (
            _allows(self.departements, place.departement)
            and _allows(self.communes, place.commune_insee)
            and _allows(self.establishment_ids, publication.establishment_id)
            and _allows(self.categories, place.category)
            and _allows(self.types, publication.type)
        )


def _allows(wanted: frozenset[Any], value: Any) -> bool:
    return not wanted or value in wanted


class SubscriberTooSlowError(Exception):
    """The subscriber's buffer overflowed: it missed events and must reconnect."""


_CUT_OFF = object()


@dataclass(eq=False)
class Subscriber:
    """One subscription's bounded buffer; iterate it to receive the matching publications in order."""

    filter: PublicationFilter
    capacity: int
    _queue: asyncio.Queue[Any] = field(init=False)
    overflowed: bool = False

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.capacity + 1)  # one more slot for the cut-off mark

    def offer(self, publication: Publication) -> bool:
        """Buffer ``publication`` without waiting; False when the subscriber is too slow and was cut off."""
        if self.overflowed:
            return False
        if self._queue.qsize() >= self.capacity:
            self.overflowed = True
            self._queue.put_nowait(_CUT_OFF)
            return False
        self._queue.put_nowait(publication)
        return True

    def __aiter__(self) -> "Subscriber":
        return self

    async def __anext__(self) -> Publication:
        item = await self._queue.get()
        if item is _CUT_OFF:
            raise SubscriberTooSlowError
        assert isinstance(item, Publication)
        return item


class PublicationFeed:
    """The subscribers of this process and the fan-out to them."""

    def __init__(self, buffer_size: int = 256, gap_seconds: float = 1.0) -> None:
        self._subscribers: set[Subscriber] = set()
        self._buffer_size = buffer_size
        self._gap_seconds = gap_seconds
        self._next: int | None = None  # the next position to release; None until :meth:`start_at`
        self._held: dict[int, Publication] = {}
        self._gap_since: float | None = None
        self._behind_since: float | None = None
        self.delivered = 0
        self.cut_off = 0
        self._readers: list[Callable[[list[Publication]], None]] = []

    def on_read(self, reader: Callable[[list[Publication]], None]) -> None:
        """Call ``reader`` with every publication as soon as it is read, before the cursor ordering (the response
        cache invalidates from there: an answer must not wait for an earlier position to be filled)."""
        self._readers.append(reader)

    @property
    def next_position(self) -> int | None:
        return self._next

    def start_at(self, position: int) -> None:
        """Release from ``position`` on (the publication log's last position + 1 when the process started)."""
        self._next = position
        self._held = {p: publication for p, publication in self._held.items() if p >= position}
        self._release()

    def missing(self) -> list[int]:
        """Positions held up for longer than the grace period: to be read from the log and delivered."""
        if self._next is None or not self._held or self._gap_since is None:
            return []
        if time.monotonic() - self._gap_since < self._gap_seconds:
            return []
        return [p for p in range(self._next, max(self._held)) if p not in self._held][:500]

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @asynccontextmanager
    async def subscribe(self, wanted: PublicationFilter) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(wanted, self._buffer_size)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def behind(self, latest: int) -> list[int]:
        """Positions the log has (``latest`` is its last) and the topic has not brought within the grace period:
        the reader started late, the broker is away… Those are read from the log."""
        if self._next is None or latest < self._next:
            self._behind_since = None
            return []
        now = time.monotonic()
        if self._behind_since is None:
            self._behind_since = now
        if now - self._behind_since < self._gap_seconds:
            return []
        return [p for p in range(self._next, min(latest, self._next + 499) + 1) if p not in self._held]

    def deliver(self, publications: Iterable[Publication]) -> None:
        """Take publications in any order (duplicates ignored); release them in cursor order. Never waits."""
        new = []
        for publication in publications:
            if (self._next is None or publication.position >= self._next) and publication.position not in self._held:
                self._held[publication.position] = publication
                new.append(publication)
        for reader in self._readers:
            reader(new)
        self._release()

    def _release(self) -> None:
        if self._next is None:
            return
        while self._next in self._held:
            self._fan_out(self._held.pop(self._next))
            self._next += 1
        self._gap_since = (self._gap_since or time.monotonic()) if self._held else None

    def _fan_out(self, publication: Publication) -> None:
        for subscriber in tuple(self._subscribers):
            if not subscriber.filter.matches(publication):
                continue
            if subscriber.offer(publication):
                self.delivered += 1
            elif subscriber.overflowed:
                self._subscribers.discard(subscriber)
                self.cut_off += 1
                log.warning("publication subscriber too slow, cut off", extra={"buffer": subscriber.capacity})
