"""S18 in short: schemathesis over every query and mutation of the gateway and the moderation service, positive and
negative, for every caller; no answer may be a server error. The long run (100 cases each) is ``bench/run_fuzz.py``.
"""

from pathlib import Path

import pytest

from tests.fuzz.driver import Finding, fuzz_session
from tests.fuzz.services import sqlite_databases
from tests.fuzz.verdicts import server_error

EXAMPLES = 5
REACHED = {
    # One operation per caller that only this caller's credentials open: proof the fuzzing went past the door.
    ("gateway", "integrator"): "Query.events",
    ("gateway", "provider agent"): "Query.mySubmissions",
    ("gateway", "Caf agent"): "Query.conventions",
    # reviewQueue is a Relay connection: schemathesis always sends an `after` of its own making, which no list ever
    # gave, so it is refused as an argument error before the door matters; queueDepth takes no argument.
    ("moderation", "Caf agent"): "Query.queueDepth",
}


def _describe(finding: Finding) -> str:
    return (f"{finding.service} {finding.operation} as {finding.caller} ({finding.mode}, {finding.count}×): "
            f"{finding.reason}\n{finding.query}")  # fmt: skip


def test_s18_no_operation_answers_any_caller_with_a_server_error(sqlite_catalogue: Path, tmp_path: Path) -> None:
    with fuzz_session(sqlite_databases(sqlite_catalogue, tmp_path)) as session:
        run = session.fuzz(EXAMPLES)

    executed = {(r.service, r.caller, r.operation) for r in run.operations if r.answered}
    assert not run.findings, "\n\n".join(map(_describe, run.findings))
    assert run.dead_letters == 0
    assert {(service, caller, operation) for (service, caller), operation in REACHED.items()} <= executed
    assert sum(r.examples["negative"] for r in run.operations) > 0
    assert run.skipped == ["gateway Subscription.publications"]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'{"data": {"me": {"kind": "CAF_AGENT"}}}', None),
        (200, b'{"data": null, "errors": [{"message": "no", "extensions": {"code": "FORBIDDEN"}}]}', None),
        (400, b'{"data": null, "errors": [{"message": "Syntax Error"}]}', None),
        (
            200,
            b'{"data": null, "errors": [{"message": "x", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}',
            "INTERNAL_SERVER_ERROR",
        ),
        (200, b'{"errors": [{"message": "Cannot return null for non-nullable field Query.me."}]}', "schema broken"),
        (502, b"Bad Gateway", "HTTP 502"),
        (200, b"<html>", "not JSON"),
    ],
)
def test_only_server_failures_count_as_server_errors(status: int, body: bytes, expected: str | None) -> None:
    reason = server_error(status, body)

    assert (reason is None) if expected is None else (reason is not None and expected in reason)
