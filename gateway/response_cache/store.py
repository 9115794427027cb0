"""The cache's memory: answers by key, an LRU bounded in bytes, a tag index, and the race rule.

An answer is stored under its key with tags; :meth:`ResponseCache.invalidate` drops every entry holding one of the
given tags. A read that began before an invalidation of one of its tags never stores its answer (it may have read
the data before the publication committed): :meth:`ResponseCache.begin` takes a ticket at the current generation,
and :meth:`ResponseCache.store` refuses when an invalidation since that generation shares a tag with the answer.
"""

import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

ENTRY_OVERHEAD = 400
"""Bytes counted for an entry besides its body, key and tags: the objects and index slots that hold it."""
TAG_OVERHEAD = 120
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


@dataclass(eq=False)
class Entry:
    key: str
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    tags: frozenset[str]
    expires: float | None = None
    """Wall-clock second after which the answer may differ (an availability becoming « périmée »)."""
    replay: Replay | None = None
    """What the refresh-ahead needs to compute the answer again."""
    hits: int = 0
    size: int = field(init=False)

    def __post_init__(self) -> None:
        tags = sum(len(tag) + TAG_OVERHEAD for tag in self.tags)
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
        self._recent: deque[tuple[int, frozenset[str]]] = deque()
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
            if self._invalidated_since(ticket.generation, entry.tags):
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

    def invalidate(self, tags: Iterable[str]) -> list[Entry]:
        """Drop every entry holding one of ``tags``; returns them (hottest first) for the refresh-ahead."""
        wanted = frozenset(tags)
        self._generation += 1
        if self._reads:
            self._recent.append((self._generation, wanted))
            if len(self._recent) > RECENT_INVALIDATIONS:
                self._forgotten_before = self._recent.popleft()[0]
        keys = set().union(*(self._by_tag.get(tag, ()) for tag in wanted))
        dropped = [self._entries[key] for key in keys]
        for entry in dropped:
            self._remove(entry)
        self.counts.invalidations += len(dropped)
        return sorted(dropped, key=lambda entry: entry.hits, reverse=True)

    def _invalidated_since(self, generation: int, tags: frozenset[str]) -> bool:
        if generation < self._forgotten_before:
            return True
        return any(later > generation and not tags.isdisjoint(touched) for later, touched in self._recent)

    def _prune(self) -> None:
        oldest = min(self._reads, default=self._generation)
        while self._recent and self._recent[0][0] <= oldest:
            self._recent.popleft()

    def _add(self, entry: Entry) -> None:
        self._entries[entry.key] = entry
        self.bytes += entry.size
        for tag in entry.tags:
            self._by_tag.setdefault(tag, set()).add(entry.key)

    def _remove(self, entry: Entry) -> None:
        del self._entries[entry.key]
        self.bytes -= entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(entry.key)
                if not keys:
                    del self._by_tag[tag]

    def _evict(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            _, oldest = next(iter(self._entries.items()))
            self._remove(oldest)
            self.counts.evictions += 1
