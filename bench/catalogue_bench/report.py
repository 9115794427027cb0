"""Medians, ratios against P1, and the three outputs: raw JSON, the markdown summary, ``latest.json``."""

import json
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue_bench.environment import RESULTS
from catalogue_bench.load import LoadResult

THROUGHPUT_TARGET = 1.0
P99_TARGET = 1.0
P1_TARGET = (
    f"gateway throughput >= {THROUGHPUT_TARGET}x the faster PostGraphile's (4 or 5, per query) and p99 <= "
    f"{P99_TARGET}x its p99 on each of Q1-Q3 (same data, same rows, same load tool and offered load)"
)
P2_THROUGHPUT_TARGET = 3.0
P2_TARGET = (
    f"with its publication-driven response cache on, gateway throughput >= {P2_THROUGHPUT_TARGET}x the faster "
    "PostGraphile's on a realistic mix (communes by population, near points around EAJE by population, "
    "5 availability publications/s in the background); hit rate reported"
)
PEER_LABELS = {"postgraphile": "PostGraphile 4", "postgraphile5": "PostGraphile 5"}


@dataclass(frozen=True)
class Run:
    query: str
    peer: str
    index: int
    result: LoadResult
    cache: dict[str, Any] | None = None  # P2, the gateway's runs: its response cache's counters over the run

    def as_dict(self) -> dict[str, Any]:
        found = {"query": self.query, "peer": self.peer, "run": self.index, **self.result.as_dict()}
        return found | ({"cache": self.cache} if self.cache is not None else {})


@dataclass(frozen=True)
class PeerSummary:
    throughput: float
    p50_ms: float
    p99_ms: float
    runs: int
    errors: int
    throughputs: list[float]
    p99s_ms: list[float]


@dataclass(frozen=True)
class Comparison:
    """One query: the gateway against the faster of the PostGraphile peers (by median throughput)."""

    query: str
    gateway: PeerSummary
    peers: dict[str, PeerSummary]
    throughput_target: float = THROUGHPUT_TARGET
    p99_target: float | None = P99_TARGET

    @property
    def faster_peer(self) -> str:
        return max(self.peers, key=lambda name: self.peers[name].throughput)

    @property
    def postgraphile(self) -> PeerSummary:
        """The faster peer's figures (the ratios are against it)."""
        return self.peers[self.faster_peer]

    @property
    def throughput_ratio(self) -> float:
        return _ratio(self.gateway.throughput, self.postgraphile.throughput)

    @property
    def p99_ratio(self) -> float:
        return _ratio(self.gateway.p99_ms, self.postgraphile.p99_ms)

    @property
    def errors(self) -> int:
        return self.gateway.errors + sum(peer.errors for peer in self.peers.values())

    @property
    def met(self) -> bool:
        p99 = self.p99_target is None or self.p99_ratio <= self.p99_target
        return self.throughput_ratio >= self.throughput_target and p99 and self.errors == 0

    def as_dict(self) -> dict[str, Any]:
        faster = self.postgraphile
        return {
            "value": self.gateway.throughput,
            "unit": "req/s",
            "peer": PEER_LABELS.get(self.faster_peer, self.faster_peer),
            "peer_value": faster.throughput,
            "ratio": self.throughput_ratio,
            "p50_ms": self.gateway.p50_ms,
            "peer_p50_ms": faster.p50_ms,
            "p99_ms": self.gateway.p99_ms,
            "peer_p99_ms": faster.p99_ms,
            "p99_ratio": self.p99_ratio,
            "errors": self.gateway.errors,
            "peer_errors": sum(peer.errors for peer in self.peers.values()),
            "peers": {
                name: {
                    "value": peer.throughput,
                    "p50_ms": peer.p50_ms,
                    "p99_ms": peer.p99_ms,
                    "errors": peer.errors,
                    "ratio": _ratio(self.gateway.throughput, peer.throughput),
                    "p99_ratio": _ratio(self.gateway.p99_ms, peer.p99_ms),
                }
                for name, peer in self.peers.items()
            },
            "met": self.met,
        }


def _ratio(value: float, peer: float) -> float:
    return round(value / peer, 3) if peer else float("inf")


def summarise(runs: list[Run], queries: list[str], peers: list[str]) -> list[Comparison]:
    return [Comparison(q, _peer(runs, q, "gateway"), {p: _peer(runs, q, p) for p in peers}) for q in queries]


def _peer(runs: list[Run], query: str, peer: str) -> PeerSummary:
    mine = [r.result for r in runs if r.query == query and r.peer == peer]
    if not mine:
        raise ValueError(f"no measured run of {query} on {peer}")
    return PeerSummary(
        throughput=round(statistics.median(r.throughput for r in mine), 1),
        p50_ms=round(statistics.median(r.p50_ms for r in mine), 2),
        p99_ms=round(statistics.median(r.p99_ms for r in mine), 2),
        runs=len(mine),
        errors=sum(r.errors for r in mine),
        throughputs=[r.throughput for r in mine],
        p99s_ms=[r.p99_ms for r in mine],
    )


def p1_entry(comparisons: list[Comparison], context: dict[str, Any]) -> dict[str, Any]:
    """The ``P1`` entry of latest.json: the binding (lowest throughput ratio) query on top, every query below."""
    worst = min(comparisons, key=lambda c: c.throughput_ratio)
    return {
        "value": worst.gateway.throughput,
        "unit": "req/s",
        "query": worst.query,
        "peer": PEER_LABELS.get(worst.faster_peer, worst.faster_peer),
        "peers": context["peers"],
        "peer_value": worst.postgraphile.throughput,
        "ratio": worst.throughput_ratio,
        "p99_ratio_max": max(c.p99_ratio for c in comparisons),
        "queries": {c.query: c.as_dict() for c in comparisons},
        "target": P1_TARGET,
        "met": all(c.met for c in comparisons),
        "load": context["load"],
        "command": context["command"],
        "date": context["date"],
        "machine": context["machine"],
        "raw": context["raw"],
    }


def p2_entry(
    comparisons: list[Comparison], runs: list[Run], p2: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """The ``P2`` entry of latest.json: the mix's figures, the hit rate over the gateway's measured runs."""
    [mix] = [Comparison(c.query, c.gateway, c.peers, P2_THROUGHPUT_TARGET, None) for c in comparisons]
    measured = [run.cache for run in runs if run.peer == "gateway" and run.cache is not None]
    hits, misses = sum(c["hits"] for c in measured), sum(c["misses"] for c in measured)
    publications = p2.get("publications", {})
    return {
        **mix.as_dict(),
        "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
        "hit_rates": [c["hit_rate"] for c in measured],
        "possible_hit_rate": _possible_hit_rate(measured),
        "invalidations": sum(c["invalidations"] for c in measured),
        "evictions": sum(c["evictions"] for c in measured),
        "publications": publications,
        "distinct_bodies": p2.get("distinct_bodies"),
        "mix_bodies": p2.get("mix_bodies"),
        "peers_compared": context["peers"],
        "target": P2_TARGET,
        "met": mix.met and not publications.get("failed") and not publications.get("refused"),
        "load": context["load"],
        "command": context["command"],
        "date": context["date"],
        "machine": context["machine"],
        "raw": context["raw"],
    }


def dataset_entry(dataset: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": dataset["load_seconds"],
        "unit": "s",
        "database_bytes": dataset["database_bytes"],
        "database_size": dataset["database_size"],
        "establishments": dataset["establishments"],
        "availabilities": dataset["availabilities"],
        "scale": dataset["scale"],
        "seed": dataset["seed"],
        "vacuum_analyze_seconds": dataset["vacuum_seconds"],
        "loaded_at": dataset["loaded_at"],
        "command": dataset["command"],
        "date": context["date"],
        "machine": context["machine"],
        "raw": context["raw"],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(temporary, path)


def update_latest(entries: dict[str, dict[str, Any]], path: Path = RESULTS / "latest.json") -> None:
    """Replace our keys in latest.json, keeping what the other benchmarks wrote."""
    current: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    current.update(entries)
    write_json(path, dict(sorted(current.items())))


def _possible_hit_rate(measured: list[dict[str, Any]]) -> float | None:
    """Over the measured runs, weighted by their lookups (see catalogue_bench.publisher.PossibleHits)."""
    counted = [
        (c["possible_hit_rate"], c["hits"] + c["misses"]) for c in measured if c.get("possible_hit_rate") is not None
    ]
    lookups = sum(n for _, n in counted)
    return round(sum(rate * n for rate, n in counted) / lookups, 4) if lookups else None
