"""The cache's memory: answers by key, an LRU bounded in bytes, a tag index, and the race rule.

An answer is stored under its key with tags; :meth:`ResponseCache.invalidate` drops every entry holding one of the
given tags (for a publication of availabilities, only the entries whose answer it may change). A read that began
before an invalidation of one of its tags never stores its answer (it may have read the data before the publication
committed): :meth:`ResponseCache.begin` takes a ticket at the current generation,
and :meth:`ResponseCache.store` refuses when an invalidation since that generation shares a tag with the answer.
"""

import sys
import time
import zlib
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gateway.response_cache.tags import may_change

ENTRY_OVERHEAD = 400
"""Bytes counted for an entry besides its body, key and tags: the objects and index slots that hold it."""
TAG_OVERHEAD = 48
"""Bytes counted for each tag of an entry: its slots in the entry's tag set and in the tag's index set."""
DISTINCT_TAG_OVERHEAD = 190
"""Bytes counted once per distinct tag in the index, besides its text: the string (tags are interned, so entries
share it), its index slot and its set of keys. The three figures were measured with tracemalloc."""
RECENT_INVALIDATIONS = 4096
"""Invalidations remembered for reads in flight; a read older than the oldest remembered one stores nothing."""


@dataclass(frozen=True)
class Replay:
    """Enough of a request to compute its answer again (the refresh-ahead)."""

    method: str
    query_string: bytes
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]

    @property
    def size(self) -> int:
        return len(self.query_string) + len(self.body) + sum(len(n) + len(v) for n, v in self.headers)


def compress(answer: bytes) -> bytes:
    """An answer as the cache keeps it: zlib at level 1 (JSON answers shrink several times over for ~0.1 ms per
    10 kB, and a hit inflates it again for less), so the bound holds that many more answers."""
    return zlib.compress(answer, 1)


@dataclass(eq=False)
class Entry:
    key: str
    body: bytes
    """The answer, compressed (:func:`compress`): what the bound counts."""
    headers: tuple[tuple[bytes, bytes], ...]
    tags: frozenset[str]
    expires: float | None = None
    """Wall-clock second after which the answer may differ (an availability becoming « périmée »)."""
    replay: Replay | None = None
    """What the refresh-ahead needs to compute the answer again."""
    availabilities: bool = True
    """The answer may depend on published availabilities (it shows them, their status, or filters on free places);
    False only when the request proves it does not."""
    circles: tuple[tuple[float, float, float], ...] = ()
    """The « near » circles (latitude, longitude, km) of an answer that is one list searching them: it can show
    nothing outside them (:func:`~gateway.response_cache.tags.within`)."""
    reach: float | None = None
    """For a full first page of such a list (ranked by distance): the distance of its farthest establishment."""
    hits: int = 0
    size: int = field(init=False)

    def answer(self) -> bytes:
        return zlib.decompress(self.body)

    def __post_init__(self) -> None:
        self.tags = frozenset(sys.intern(tag) for tag in self.tags)  # one string per tag, whatever holds it
        tags = len(self.tags) * TAG_OVERHEAD
        headers = sum(len(name) + len(value) for name, value in self.headers)
        replay = self.replay.size if self.replay is not None else 0
        self.size = len(self.body) + len(self.key) + headers + tags + replay + ENTRY_OVERHEAD


@dataclass(frozen=True)
class Ticket:
    """A read in flight, begun at ``generation``."""

    generation: int


@dataclass
class CacheCounts:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    refused: int = 0
    """Answers not stored because a publication touching them was read while they were computed."""
    evictions: int = 0
    invalidations: int = 0
    """Entries dropped by publications."""
    expirations: int = 0
    refreshes: int = 0


class ResponseCache:
    """See the module's docstring. Not thread-safe: one per event loop (one per gateway process)."""

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.time) -> None:
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}
        self._generation = 0
        self._recent: deque[tuple[int, frozenset[str], bool]] = deque()
        self._forgotten_before = 0
        self._reads: Counter[int] = Counter()
        self.bytes = 0
        self.counts = CacheCounts()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: str) -> Entry | None:
        """The stored answer, most recently used from now on; None (a miss) when absent or expired."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires is not None and entry.expires <= self._clock():
            self._remove(entry)
            self.counts.expirations += 1
            entry = None
        if entry is None:
            self.counts.misses += 1
            return None
        self._entries.move_to_end(key)
        entry.hits += 1
        self.counts.hits += 1
        return entry

    def begin(self) -> Ticket:
        ticket = Ticket(self._generation)
        self._reads[ticket.generation] += 1
        return ticket

    def end(self, ticket: Ticket) -> None:
        """Forget a read that stores nothing (an error, an answer not to keep)."""
        self._reads[ticket.generation] -= 1
        if self._reads[ticket.generation] <= 0:
            del self._reads[ticket.generation]
        self._prune()

    def store(self, ticket: Ticket, entry: Entry) -> bool:
        """Keep ``entry`` unless an invalidation of one of its tags happened since ``ticket`` began; ends it."""
        try:
            if self._invalidated_since(ticket.generation, entry):
                self.counts.refused += 1
                return False
            if entry.size > self.max_bytes:
                return False
            previous = self._entries.get(entry.key)
            if previous is not None:
                self._remove(previous)
            self._add(entry)
            self.counts.stores += 1
            self._evict()
            return True
        finally:
            self.end(ticket)

    def invalidate(
        self,
        tags: Iterable[str],
        *,
        availabilities_only: bool = False,
        point: tuple[float, float] | None = None,
        establishment: str = "",
    ) -> list[Entry]:
        """Drop every entry holding one of ``tags`` — with ``availabilities_only`` (a publication of availabilities,
        which changes nothing else), only those whose answer reads availabilities; with ``point``, where the
        ``establishment`` (its tag) published about is, not the « near » lists it cannot change
        (:func:`~gateway.response_cache.tags.may_change`). Returns them (hottest first) for the refresh-ahead."""
        wanted = frozenset(tags)
        self._generation += 1
        if self._reads:
            self._recent.append((self._generation, wanted, availabilities_only))
            if len(self._recent) > RECENT_INVALIDATIONS:
                self._forgotten_before = self._recent.popleft()[0]
        keys = set().union(*(self._by_tag.get(tag, ()) for tag in wanted))
        dropped = [self._entries[key] for key in keys]
        if availabilities_only:
            dropped = [entry for entry in dropped if entry.availabilities]
        if point is not None:
            dropped = [
                entry
                for entry in dropped
                if not entry.circles or may_change(point, establishment in entry.tags, entry.circles, entry.reach)
            ]
        for entry in dropped:
            self._remove(entry)
        self.counts.invalidations += len(dropped)
        return sorted(dropped, key=lambda entry: entry.hits, reverse=True)

    def _invalidated_since(self, generation: int, entry: Entry) -> bool:
        if generation < self._forgotten_before:
            return True
        return any(
            later > generation and (entry.availabilities or not only) and not entry.tags.isdisjoint(touched)
            for later, touched, only in self._recent
        )

    def _prune(self) -> None:
        oldest = min(self._reads, default=self._generation)
        while self._recent and self._recent[0][0] <= oldest:
            self._recent.popleft()

    def _add(self, entry: Entry) -> None:
        self._entries[entry.key] = entry
        self.bytes += entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is None:
                keys = self._by_tag[tag] = set()
                self.bytes += len(tag) + DISTINCT_TAG_OVERHEAD
            keys.add(entry.key)

    def _remove(self, entry: Entry) -> None:
        del self._entries[entry.key]
        self.bytes -= entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(entry.key)
                if not keys:
                    del self._by_tag[tag]
                    self.bytes -= len(tag) + DISTINCT_TAG_OVERHEAD

    def _evict(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            _, oldest = next(iter(self._entries.items()))
            self._remove(oldest)
            self.counts.evictions += 1
