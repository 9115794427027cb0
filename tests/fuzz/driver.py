"""S18: schemathesis over every query and mutation of both GraphQL services, positive and negative, per caller.

    with fuzz_session(sqlite_databases(catalogue, folder)) as session:
        run = session.fuzz(examples=100)

Schemathesis loads each schema from the service's introspection and generates the cases (hypothesis-graphql);
each case is sent in-process with the caller's credentials and judged by :func:`tests.fuzz.verdicts.server_error`.
Schemathesis's own ``not_a_server_error`` is not used: for GraphQL it takes any error with a ``path`` for a server
error, and ``UNAUTHENTICATED`` or ``FORBIDDEN`` are the expected answers to most of the cases. Positive cases reuse
the ids earlier answers returned (schemathesis's resource pool, shared by the callers of one service), so they
reach past « not found » into the resolvers. Subscriptions cannot be fuzzed over HTTP: they are listed as skipped.

The services run on an event loop of their own (an anyio portal thread): hypothesis drives the generation
synchronously and each case waits for its answer.
"""

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.schemas import APIOperation
from schemathesis.specs.graphql.extra_data_source import GraphQLResourcePool

from tests.fuzz.services import Caller, Databases, Services, Target, serve
from tests.fuzz.verdicts import executed, server_error

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
LAST = ("Mutation.logout",)
"""Run after the other operations of a caller: they end its session (it signs in again, but later is cheaper)."""
Operation = APIOperation[Any, Any, Any, Any]
GraphQLCase = Case[Operation]
_REQUEST_ID = re.compile(r"\s*\(request id [^)]*\)")


@dataclass(frozen=True)
class Finding:
    service: str
    caller: str
    operation: str
    mode: str
    reason: str
    query: str
    count: int = 1


@dataclass
class OperationRun:
    """One operation fuzzed for one caller, in both modes."""

    service: str
    caller: str
    operation: str
    examples: dict[str, int] = field(default_factory=lambda: {mode.value: 0 for mode in MODES})
    answered: int = 0
    """Cases the service executed (``data`` in the answer), not refused at validation."""
    server_errors: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class FuzzRun:
    examples: int
    operations: list[OperationRun]
    skipped: list[str]
    seconds: float
    dead_letters: int

    @property
    def findings(self) -> list[Finding]:
        return [finding for run in self.operations for finding in run.findings]

    @property
    def server_errors(self) -> int:
        return sum(run.server_errors for run in self.operations)


class _ErrorLog(logging.Handler):
    """ERROR records of the services (a handler or relay failing out of sight of the answer)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Errors of the answer itself are judged from the answer: strawberry logs every one, expected or not.
        if record.name not in ("shared.graphql_errors", "strawberry.execution"):
            self.records.append(record)

    def take(self) -> list[str]:
        taken = [_logged(record) for record in self.records]
        self.records.clear()
        return taken


def _logged(record: logging.LogRecord) -> str:
    error = f" {record.exc_info[1]!r}" if record.exc_info else ""
    return f"logged {record.levelname} {record.name}: {record.getMessage()}{error}"


class FuzzSession:
    """The running services and the means to fuzz them."""

    def __init__(self, portal: BlockingPortal, services: Services, errors: _ErrorLog) -> None:
        self.portal, self.services, self._errors = portal, services, errors
        self._pools = {t.service: t.schema.create_extra_data_source() for t in services.targets}

    def fuzz(self, examples: int, *, roles: Sequence[str] | None = None, derandomize: bool = False) -> FuzzRun:
        """Up to ``examples`` cases per operation, mode and caller (all callers, or those of ``roles``); fewer when
        hypothesis has generated every distinct case there is (an operation without arguments has a handful)."""
        started, runs = time.monotonic(), []
        for target in self.services.targets:
            for caller in target.callers:
                if roles is None or caller.role in roles:
                    runs += [
                        self.fuzz_operation(target, caller, op, examples, derandomize) for op in _operations(target)
                    ]
        skipped = [f"{t.service} {name}" for t in self.services.targets for name in t.subscriptions]
        return FuzzRun(examples, runs, skipped, time.monotonic() - started, len(self.services.bus.dead_letters))

    def fuzz_operation(
        self, target: Target, caller: Caller, operation: Operation, examples: int, derandomize: bool = False
    ) -> OperationRun:
        run = OperationRun(target.service, caller.role, operation.label)
        started = time.monotonic()
        for mode in MODES:
            self.portal.call(caller.ensure, self.services.gateway.client)
            self._generate(target, caller, operation, mode, examples, derandomize, run)
        run.seconds = time.monotonic() - started
        return run

    def _generate(
        self, target: Target, caller: Caller, operation: Operation, mode: GenerationMode, examples: int,
        derandomize: bool, run: OperationRun,
    ) -> None:  # fmt: skip
        pool = self._pools[target.service]
        feedback = FeedbackSources(extra_data_source=pool) if mode.is_positive else FeedbackSources()

        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=derandomize)  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=mode, feedback=feedback))
        def send(case: GraphQLCase) -> None:
            self._judge(target, caller, case, run)

        send()

    def _judge(self, target: Target, caller: Caller, case: GraphQLCase, run: OperationRun) -> None:
        effective = case.meta.generation.mode.value if case.meta else GenerationMode.POSITIVE.value
        run.examples[effective] += 1
        try:
            answer = self.portal.call(partial(_send, target.client, case, caller.headers))
        except Exception as error:  # noqa: BLE001 — the fuzz loop's boundary: an unhandled exception is a finding
            reasons = [f"unhandled exception: {error!r}"]
        else:
            reasons = [reason] if (reason := server_error(answer.status_code, answer.content)) else []
            run.answered += executed(answer.content)
            if effective == GenerationMode.POSITIVE.value:
                pool = self._pools[target.service]
                assert isinstance(pool, GraphQLResourcePool)
                pool.record_response(operation=case.operation, response=Response.from_httpx(answer, False), case=case)
        reasons += self._errors.take()
        if reasons:
            run.server_errors += 1
        for reason in reasons:
            _add_finding(run, Finding(run.service, run.caller, run.operation, effective, reason, str(case.body)))


async def _send(client: httpx.AsyncClient, case: GraphQLCase, headers: dict[str, str]) -> httpx.Response:
    request = case.as_transport_kwargs(base_url=str(client.base_url))
    return await client.request(
        request["method"], request["url"], json=request["json"], headers={**request["headers"], **headers}
    )


def _add_finding(run: OperationRun, finding: Finding) -> None:
    """Findings of one operation are grouped by reason (request ids aside); the first query is kept."""
    reason = _REQUEST_ID.sub("", finding.reason)
    for index, known in enumerate(run.findings):
        if known.reason == reason and known.mode == finding.mode:
            run.findings[index] = replace(known, count=known.count + 1)
            return
    run.findings.append(replace(finding, reason=reason))


def _operations(target: Target) -> list[Operation]:
    operations = [result.ok() for result in target.schema.get_all_operations() if isinstance(result, Ok)]
    return sorted(operations, key=lambda operation: operation.label in LAST)


@contextlib.contextmanager
def fuzz_session(databases: Databases, **gateway_settings: Any) -> Iterator[FuzzSession]:
    """Both services in-process on ``databases`` (:func:`tests.fuzz.services.sqlite_databases`, or PostgreSQL)."""
    errors = _ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        with (
            start_blocking_portal() as portal,
            portal.wrap_async_context_manager(serve(databases, **gateway_settings)) as services,
        ):
            errors.take()  # what the start-up logged is not the fuzzing's
            yield FuzzSession(portal, services, errors)
    finally:
        logging.getLogger().removeHandler(errors)
