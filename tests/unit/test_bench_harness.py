"""The catalogue benchmark's own decisions (bench/run_bench.py): whose stack it may stop, which answers are the same
rows, which peer the ratios are taken against."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from catalogue_bench.environment import started_before
from catalogue_bench.load import LoadResult
from catalogue_bench.publisher import PossibleHits
from catalogue_bench.report import Comparison, Run, p2_entry, summarise
from check_same_rows import first_difference

SHARED_STACK_ONE_UNHEALTHY = """\
postgres  running  healthy    127.0.0.1:22883  pid 11201  /work/main/.stack/postgres/data
kafka     running  healthy    127.0.0.1:20047  pid 11212  /work/main/.stack/kafka/data
smtp      stopped  unhealthy  127.0.0.1:29261             /work/main/.stack/smtp/maildir
"""
NO_STACK = """\
postgres  stopped  unhealthy  127.0.0.1:22883             /work/main/.stack/postgres/data
kafka     stopped  unhealthy  127.0.0.1:20047             /work/main/.stack/kafka/data
smtp      stopped  unhealthy  127.0.0.1:29261             /work/main/.stack/smtp/maildir
"""


def test_a_running_stack_with_one_unhealthy_component_is_someone_elses_and_never_stopped_by_the_bench() -> None:
    # A bench run repaired such a shared stack with `stack up`, took it for its own and stopped it at the end.
    assert started_before(SHARED_STACK_ONE_UNHEALTHY) is True
    assert started_before(NO_STACK) is False


def test_postgraphile_5s_time_of_day_with_a_zero_fraction_is_the_same_row_but_another_time_is_not() -> None:
    gateway = {"weeklyHours": [{"opens": "07:30:00"}]}
    assert first_difference(gateway, {"weeklyHours": [{"opens": "07:30:00.000000"}]}) is None
    assert first_difference(gateway, {"weeklyHours": [{"opens": "07:30:00.500000"}]}) is not None
    assert first_difference(gateway, {"weeklyHours": [{"opens": "07:00:00.000000"}]}) is not None


def _run(peer: str, throughput: float, p99: float, errors: int = 0, query: str = "Q1") -> Run:
    result = LoadResult(100, 1.0, throughput, 1.0, 2.0, p99, p99, 1.0, 0, errors, 0)
    return Run(query, peer, 1, result)


def test_the_ratios_are_against_the_faster_peer_of_each_query() -> None:
    runs = [
        _run("gateway", 1200, 10),
        _run("postgraphile", 1000, 8),
        _run("postgraphile5", 800, 5),
        _run("gateway", 500, 10, query="Q2"),
        _run("postgraphile", 400, 8, query="Q2"),
        _run("postgraphile5", 600, 20, query="Q2"),
    ]
    q1, q2 = summarise(runs, ["Q1", "Q2"], ["postgraphile", "postgraphile5"])
    assert (q1.faster_peer, q1.throughput_ratio, q1.p99_ratio) == ("postgraphile", 1.2, 1.25)
    assert (q2.faster_peer, q2.throughput_ratio, q2.p99_ratio) == ("postgraphile5", 0.833, 0.5)
    assert not q1.met
    assert not q2.met
    assert set(q1.as_dict()["peers"]) == {"postgraphile", "postgraphile5"}


def test_p2_is_met_at_three_times_the_faster_peer_with_the_hit_rate_over_the_gateways_runs() -> None:
    runs = [_run("gateway", 3000, 50, query="MIX"), _run("postgraphile", 900, 5, query="MIX")]
    runs[0] = Run(
        "MIX",
        "gateway",
        1,
        runs[0].result,
        {"hits": 90, "misses": 10, "invalidations": 3, "evictions": 0, "hit_rate": 0.9},
    )
    [mix] = summarise(runs, ["MIX"], ["postgraphile"])
    context = {"peers": {}, "load": "", "command": "", "date": "", "machine": {}, "raw": ""}
    publications = {"published": 10, "refused": 0, "failed": 0}
    entry = p2_entry([mix], runs, {"publications": publications}, context)
    assert (entry["ratio"], entry["hit_rate"], entry["met"]) == (3.333, 0.9, True)
    slower = p2_entry([Comparison("MIX", mix.peers["postgraphile"], {"p": mix.gateway})], runs, {}, context)
    assert slower["met"] is False


def test_the_possible_hit_rate_counts_the_bodies_the_gateway_had_been_sent_before() -> None:
    """P2's measured hit rate is read against it: a population-drawn mix repeats itself slowly."""
    possible = PossibleHits(["a", "b", "a", "c", "d", "e"])

    assert possible.sent(0, 4) == 0.25  # a b a c: the second « a »
    assert possible.sent(4, 2) == 0.0  # d e: new
    assert possible.sent(0, 6) == 1.0  # the whole file again: all seen
