"""S1–S3, S6 and the cost and time limits on moderation and the notifier: the gateway's protection, shared.

Each bomb is refused before execution: a sentinel counting every field resolution proves no resolver ran (no
stopwatch: a busy machine makes any duration meaningless)."""

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.accounts.tokens import TokenSigner
from tests.graphql_sentinel import count_resolvers
from tests.integration.test_delivery_status import _token as notifier_token
from tests.integration.test_moderation_api import _token as moderation_token
from tests.service_apps import ServiceClient, service_client

SERVICES = ("moderation", "notifier")
DEEP = {
    "moderation": "{ reviewQueue { edges { node { changes { field } } } } }",
    "notifier": "{ deliveries { totalCount } }",
}
"""Their schemas are shallow (a service's own types do not nest): the limit is lowered to show it is applied."""


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(os.urandom(32))


@pytest.fixture
def start(tmp_path: Path, signer: TokenSigner) -> Callable[[str], ServiceClient]:
    """``async with start("moderation")(**settings) as client``; ``client.app`` is the running app."""
    return lambda name: service_client(name, tmp_path, signer.jwks()["keys"][0]["x"])


async def _post(client: httpx.AsyncClient, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
    return body


def _messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


@pytest.mark.parametrize("name", SERVICES)
async def test_three_thousand_aliases_are_refused_before_any_resolver_runs(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    bomb = "{ " + " ".join(f"a{i}: __typename" for i in range(3_000)) + " }"
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    async with start(name)() as client:
        resolvers = count_resolvers(client.app)  # type: ignore[attr-defined]
        refused = await _post(client, bomb)
        aliases = await _post(client, many)

    assert refused["data"] is None
    assert _messages(refused) == ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]
    assert _messages(aliases) == ["31 aliases found. Allowed: 30"]
    assert resolvers.calls == 0


@pytest.mark.parametrize("name", SERVICES)
async def test_a_deep_query_is_refused_before_any_resolver_runs(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    async with start(name)(graphql_max_depth=0) as client:
        resolvers = count_resolvers(client.app)  # type: ignore[attr-defined]
        body = await _post(client, DEEP[name])

    assert body["data"] is None
    assert any("exceeds maximum operation depth of 0" in m for m in _messages(body))
    assert resolvers.calls == 0


COSTLY = {
    "moderation": "{ reviewQueue(first: 100) { edges { node { flags { rule label field excerpt severity } "
    "changes { field published proposed base conflict } "
    "history(first: 100) { edges { node { action agentNumber at note } } } } } } }",
    "notifier": "{ "
    + " ".join(
        f"d{i}: deliveries(first: 100) {{ edges {{ node {{ kind recipient subject status attempts }} }} }}"
        for i in range(30)
    )
    + " }",
}


@pytest.mark.parametrize("name", SERVICES)
async def test_a_costly_query_is_refused_before_any_resolver_runs_with_a_french_message_and_a_code(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    async with start(name)() as client:
        resolvers = count_resolvers(client.app)  # type: ignore[attr-defined]
        body = await _post(client, COSTLY[name])

    [error] = body["errors"]
    assert body["data"] is None
    assert error["message"].startswith("Requête trop coûteuse : coût estimé ")
    assert "maximum 20000" in error["message"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert resolvers.calls == 0


async def test_a_bulk_approval_runs_at_most_once_per_request(start: Callable[[str], ServiceClient]) -> None:
    twice = "mutation { a: bulkApproveUnflagged(ids: []) { approved } b: bulkApproveUnflagged(ids: []) { approved } }"
    async with start("moderation")() as client:
        resolvers = count_resolvers(client.app)  # type: ignore[attr-defined]
        body = await _post(client, twice)

    assert _messages(body) == ["'bulkApproveUnflagged' may be asked only once per request (found 2)."]
    assert resolvers.calls == 0


@pytest.mark.parametrize("name", SERVICES)
async def test_production_answers_no_introspection_no_suggestions_and_no_graphiql(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    misspelt = "{ servic { name } }" if name == "moderation" else "{ deliverie { kind } }"
    async with start(name)(environment="production") as client:
        introspection = _messages(await _post(client, "{ __schema { types { name } } }"))
        typo = _messages(await _post(client, misspelt))
        ide = await client.get("/graphql", headers={"accept": "text/html"})
    async with start(name)() as client:
        development = _messages(await _post(client, misspelt))

    assert "introspection" in introspection[0].lower()
    assert typo == [f"Cannot query field '{misspelt.split()[1]}' on type 'Query'."]
    assert "Did you mean" in development[0]
    assert "graphiql" not in ide.text.lower()


class HangingSessions:
    """A session factory whose sessions never open once the request is executing: the operation waits until
    something cancels it. The first session is the real one: the token's revocation check reads it before the
    operation starts, outside the operation's deadline."""

    def __init__(self, real: Any) -> None:
        self.cancelled = False
        self._real: Any | None = real

    def __call__(self) -> Any:
        real, self._real = self._real, None
        return self if real is None else real()

    async def __aenter__(self) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    async def __aexit__(self, *_exc: object) -> None:
        return None


@pytest.mark.parametrize("name", SERVICES)
async def test_an_operation_past_its_deadline_is_cancelled_and_answered_timeout(
    start: Callable[[str], ServiceClient], signer: TokenSigner, name: str
) -> None:
    query, token = (
        ("{ queueStats { pending } }", moderation_token(signer, "CAF_AGENT", "CAF59"))
        if name == "moderation"
        else ("{ deliveries { totalCount } }", notifier_token(signer, "CAF_AGENT", "CAF59"))
    )
    async with start(name)(graphql_timeout_seconds=0.2) as client:
        hanging = HangingSessions(client.app.state.runtime.sessions)  # type: ignore[attr-defined]
        client.app.state.runtime.sessions = hanging  # type: ignore[attr-defined]
        async with asyncio.timeout(60):  # without the deadline the request never ends: fail instead of hanging
            body = await _post(client, query, token)

    [error] = body["errors"]
    assert body["data"] is None
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert error["message"].startswith("La requête a dépassé le temps maximal d'exécution (0.2 s)")
    assert hanging.cancelled
