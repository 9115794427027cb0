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
    f"gateway throughput >= {THROUGHPUT_TARGET}x PostGraphile's and p99 <= {P99_TARGET}x PostGraphile's "
    "on each of Q1-Q3 (same data, same rows, same load tool and offered load)"
)


@dataclass(frozen=True)
class Run:
    query: str
    peer: str
    index: int
    result: LoadResult

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "peer": self.peer, "run": self.index, **self.result.as_dict()}


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
    query: str
    gateway: PeerSummary
    postgraphile: PeerSummary

    @property
    def throughput_ratio(self) -> float:
        return _ratio(self.gateway.throughput, self.postgraphile.throughput)

    @property
    def p99_ratio(self) -> float:
        return _ratio(self.gateway.p99_ms, self.postgraphile.p99_ms)

    @property
    def met(self) -> bool:
        no_errors = self.gateway.errors == 0 and self.postgraphile.errors == 0
        return self.throughput_ratio >= THROUGHPUT_TARGET and self.p99_ratio <= P99_TARGET and no_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.gateway.throughput,
            "unit": "req/s",
            "peer_value": self.postgraphile.throughput,
            "ratio": self.throughput_ratio,
            "p50_ms": self.gateway.p50_ms,
            "peer_p50_ms": self.postgraphile.p50_ms,
            "p99_ms": self.gateway.p99_ms,
            "peer_p99_ms": self.postgraphile.p99_ms,
            "p99_ratio": self.p99_ratio,
            "errors": self.gateway.errors,
            "peer_errors": self.postgraphile.errors,
            "met": self.met,
        }


def _ratio(value: float, peer: float) -> float:
    return round(value / peer, 3) if peer else float("inf")


def summarise(runs: list[Run], queries: list[str]) -> list[Comparison]:
    return [Comparison(q, _peer(runs, q, "gateway"), _peer(runs, q, "postgraphile")) for q in queries]


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
        "peer": context["peer"],
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
