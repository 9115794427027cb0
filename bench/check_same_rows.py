"""Same rows check: each query, sent to the gateway and to each PostGraphile peer with the same parameters, must
give the same answer.

The bodies written by ``bench/run_bench.py`` (``bench/.work/<peer>-<query>.jsonl``, line *n* of every file holding
the same parameters) are sent to the gateway and to PostGraphile 4 and/or 5; after turning the gateway's global IDs
back into keys, each peer's answer must equal the gateway's: the same establishments in the same order, the same
availabilities and the same fields (``distanceKm`` within a metre and a half: all round the same haversine to the
metre; a time of day with a zero fraction of a second, as PostGraphile 5 writes it, equal to the same time
without). The benchmark refuses to run when they differ.

    .venv/bin/python bench/check_same_rows.py --gateway http://127.0.0.1:18401/graphql \\
        --postgraphile http://127.0.0.1:18402/graphql --postgraphile5 http://127.0.0.1:18403/graphql [--samples 25]
"""

import argparse
import base64
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import httpx
from catalogue_bench.environment import BenchError
from catalogue_bench.params import QUERY_NAMES, read_bodies

DISTANCE_TOLERANCE_KM = 0.0015
_ZERO_FRACTION = re.compile(r"^(\d\d:\d\d:\d\d)\.0+$")
"""PostGraphile 5 writes a ``time`` as ``07:30:00.000000`` where PostGraphile 4 and the gateway write ``07:30:00``."""
DEFAULT_SAMPLES = 25


@dataclass
class QueryCheck:
    query: str
    peer: str = "postgraphile"
    samples: int = 0
    establishments: int = 0
    availabilities: int = 0
    empty_answers: int = 0
    differences: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    queries: list[QueryCheck]

    @property
    def ok(self) -> bool:
        return all(not q.differences for q in self.queries) and all(q.samples for q in self.queries)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "queries": {
                _label(q): {
                    "samples": q.samples,
                    "establishments_compared": q.establishments,
                    "availabilities_compared": q.availabilities,
                    "empty_answers": q.empty_answers,
                    "differences": q.differences[:10],
                }
                for q in self.queries
            },
        }

    def lines(self) -> list[str]:
        shown = []
        for q in self.queries:
            verdict = "same" if not q.differences else f"{len(q.differences)} DIFFERENT"
            shown.append(
                f"{_label(q)}: {q.samples} parameter sets, {verdict}; {q.establishments} establishments and "
                f"{q.availabilities} availabilities compared, {q.empty_answers} empty answers"
            )
            shown.extend(f"  {difference}" for difference in q.differences[:5])
        return shown


def _label(q: QueryCheck) -> str:
    """``Q1`` against PostGraphile 4 (the keys the reports had before PostGraphile 5), ``Q1 postgraphile5`` else."""
    return q.query if q.peer == "postgraphile" else f"{q.query} {q.peer}"


def check(gateway_url: str, peers: dict[str, str], samples: int = DEFAULT_SAMPLES) -> CheckReport:
    """The gateway against each peer (``{"postgraphile": url, "postgraphile5": url}``, either or both)."""
    with httpx.Client(timeout=30.0) as client:
        return CheckReport(
            [
                _check_query(client, gateway_url, peer, url, q, samples)
                for peer, url in peers.items()
                for q in QUERY_NAMES
            ]
        )


def _check_query(
    client: httpx.Client, gateway_url: str, peer: str, postgraphile_url: str, query: str, count: int
) -> QueryCheck:
    result = QueryCheck(query, peer)
    pairs = list(zip(read_bodies("gateway", query), read_bodies(peer, query), strict=True))[:count]
    for index, (gateway_body, postgraphile_body) in enumerate(pairs):
        result.samples += 1
        gateway = _data(client, gateway_url, gateway_body)
        postgraphile = _data(client, postgraphile_url, postgraphile_body)
        difference = first_difference(normalise(gateway), postgraphile)
        if difference is not None:
            result.differences.append(f"line {index + 1} {gateway_body['variables']}: {difference}")
        _count(result, postgraphile)
    return result


def _data(client: httpx.Client, url: str, body: dict[str, Any]) -> Any:
    response = client.post(url, json=body)
    answer = response.json()
    if response.status_code != 200 or answer.get("errors"):
        raise BenchError(f"{url} answered {response.status_code} {answer.get('errors')} to {body['variables']}")
    return answer["data"]


def normalise(value: Any) -> Any:
    """The gateway's answer with each global ID (``id``) turned back into the key PostGraphile gives."""
    if isinstance(value, dict):
        return {key: _key_of(item) if key == "id" else normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def _key_of(global_id: Any) -> Any:
    if not isinstance(global_id, str):
        return global_id
    decoded = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return decoded.partition(":")[2]


def first_difference(gateway: Any, postgraphile: Any, path: str = "") -> str | None:
    """Where the two answers first differ, or None."""
    if isinstance(gateway, dict) and isinstance(postgraphile, dict):
        if gateway.keys() != postgraphile.keys():
            return f"{path or '.'}: fields {sorted(gateway)} != {sorted(postgraphile)}"
        for key in gateway:
            found = first_difference(gateway[key], postgraphile[key], f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(gateway, list) and isinstance(postgraphile, list):
        if len(gateway) != len(postgraphile):
            return f"{path}: {len(gateway)} items != {len(postgraphile)}"
        for index, (left, right) in enumerate(zip(gateway, postgraphile, strict=True)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if path.endswith(".distanceKm") and isinstance(gateway, float | int) and isinstance(postgraphile, float | int):
        close = abs(gateway - postgraphile) <= DISTANCE_TOLERANCE_KM
        return None if close else f"{path}: {gateway!r} != {postgraphile!r}"
    if isinstance(postgraphile, str) and (zero := _ZERO_FRACTION.match(postgraphile)):
        postgraphile = zero.group(1)
    return None if gateway == postgraphile else f"{path}: gateway {gateway!r} != postgraphile {postgraphile!r}"


def _count(result: QueryCheck, data: Any) -> None:
    nodes = _nodes(data)
    if not nodes:
        result.empty_answers += 1
    result.establishments += len(nodes)
    result.availabilities += sum(len(node.get("availabilities") or []) for node in nodes)


def _nodes(data: Any) -> list[dict[str, Any]]:
    if "node" in data:
        return [data["node"]] if data["node"] else []
    return [edge["node"] for edge in data["establishments"]["edges"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", required=True, help="the gateway's GraphQL URL")
    parser.add_argument("--postgraphile", help="PostGraphile 4's GraphQL URL")
    parser.add_argument("--postgraphile5", help="PostGraphile 5's GraphQL URL")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="parameter sets per query")
    args = parser.parse_args(argv)
    peers = {
        name: url for name, url in (("postgraphile", args.postgraphile), ("postgraphile5", args.postgraphile5)) if url
    }
    if not peers:
        parser.error("give --postgraphile and/or --postgraphile5")
    try:
        report = check(args.gateway, peers, args.samples)
    except (BenchError, FileNotFoundError, httpx.HTTPError) as error:
        print(f"check_same_rows: {error}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    print("same rows: yes" if report.ok else "same rows: NO", file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
