"""The cache in ``/metrics``: lookups (hit rate), stores, removals by reason, entries and bytes."""

from gateway.response_cache.middleware import ResponseCaching
from shared.metrics import ServiceMetrics


def export_metrics(caching: ResponseCaching, metrics: ServiceMetrics) -> None:
    cache, counts = caching.cache, caching.cache.counts
    metrics.counter(
        "structures_response_cache_lookups",
        "Public answers looked up in this process's response cache, by outcome (hit, miss)",
        "outcome",
        lambda: {"hit": counts.hits, "miss": counts.misses},
    )
    metrics.counter(
        "structures_response_cache_stores",
        "Answers offered to the cache, by outcome (stored; refused: a publication touching it was read meanwhile)",
        "outcome",
        lambda: {"stored": counts.stores, "refused": counts.refused},
    )
    metrics.counter(
        "structures_response_cache_removals",
        "Entries removed, by reason (eviction: memory bound, LRU; invalidation: a publication; expiry: the clock)",
        "reason",
        lambda: {"eviction": counts.evictions, "invalidation": counts.invalidations, "expiry": counts.expirations},
    )
    refresher = caching.refresher
    metrics.counter(
        "structures_response_cache_refreshes",
        "Dropped hot answers computed again ahead of the next request, by outcome",
        "outcome",
        lambda: {"done": refresher.refreshed, "failed": refresher.failed} if refresher else {},
    )

    async def entries() -> float:
        return len(cache)

    async def size() -> float:
        return cache.bytes

    async def bound() -> float:
        return cache.max_bytes

    async def hit_ratio() -> float:
        lookups = counts.hits + counts.misses
        return counts.hits / lookups if lookups else 0.0

    metrics.simple_gauge("structures_response_cache_entries", "Answers in the response cache", entries)
    metrics.simple_gauge("structures_response_cache_bytes", "Bytes counted for the response cache", size)
    metrics.simple_gauge("structures_response_cache_max_bytes", "The response cache's bound", bound)
    metrics.simple_gauge("structures_response_cache_hit_ratio", "Hits / lookups since the process started", hit_ratio)
