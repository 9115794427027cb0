"""Security targets S1–S3 and S5–S8, S10 of quality.md, over HTTP against the gateway app."""

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.catalogue import repositories
from tests.gateway_app import GatewayClient, gateway_client
from tests.graphql_sentinel import count_resolvers

Client = GatewayClient


@pytest.fixture
def gateway(sqlite_catalogue: Path, tmp_path: Path) -> Client:
    """``async with gateway(environment=...) as client`` — the app with its lifespan running."""
    return gateway_client(sqlite_catalogue, tmp_path)


async def _post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


def _messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


async def test_s1_a_query_twenty_levels_deep_is_refused_before_any_resolver_runs(gateway: Client) -> None:
    deep = "{ " + "establishments { edges { node { " * 7 + "name" + " } } }" * 7 + " }"
    async with gateway() as client:
        client.app.state.statements.clear()  # type: ignore[attr-defined]
        body = await _post(client, deep)

        assert body.get("data") is None
        assert any("exceeds maximum operation depth of 10" in m for m in _messages(body))
        assert client.app.state.statements == []  # type: ignore[attr-defined]


async def test_s2_aliases_are_limited_even_when_hidden_in_repeated_fragments(gateway: Client) -> None:
    many = "{ " + " ".join(f"a{i}: service {{ name }}" for i in range(31)) + " }"
    fragment = "fragment F on Query { " + " ".join(f"b{i}: cafs(first: 1) {{ code }}" for i in range(5)) + " }"
    hidden = "{ " + " ".join(["...F"] * 8) + " } " + fragment
    async with gateway() as client:
        assert _messages(await _post(client, many)) == ["31 aliases found. Allowed: 30"]
        client.app.state.statements.clear()  # type: ignore[attr-defined]
        assert _messages(await _post(client, hidden)) == ["40 aliases found. Allowed: 30"]
        assert client.app.state.statements == []  # type: ignore[attr-defined]


async def test_s3_a_ten_thousand_token_document_is_refused_by_the_token_limit_before_any_resolver_runs(
    gateway: Client,
) -> None:
    huge = "{ " + " ".join("cafs(first: 1) { code }" for _ in range(1_500)) + " }"
    async with gateway() as client:
        resolvers = count_resolvers(client.app)  # type: ignore[attr-defined]
        body = await _post(client, huge)

    [error] = body["errors"]
    assert error["message"] == "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    # The parser stopped at the limit, a fraction of the way into the document, and nothing ran.
    assert error["locations"][0]["column"] < len(huge) / 4
    assert resolvers.calls == 0


async def test_s4_batched_requests_are_refused(gateway: Client) -> None:
    async with gateway() as client:
        batch = [{"query": "{ service { name } }"}, {"query": "{ service { version } }"}]
        response = await client.post("/graphql", json=batch)

    assert response.status_code == 400
    assert "data" not in response.text


async def test_s5_no_unbounded_list_in_the_schema(gateway: Client) -> None:
    bounded_by_argument = {
        "establishments": "first", "communes": "first", "cafs": "first", "nodes": "ids",
        "habilitationRequests": "first", "connectionLog": "first", "conventions": "first", "mySubmissions": "first",
        "integrators": "first", "territoryProviders": "first", "transmissionClients": "first",
    }  # fmt: skip
    async with gateway() as client:
        schema = await _post(
            client, "{ __schema { queryType { fields { name args { name } type { kind ofType { kind } } } } } }"
        )
    for field in schema["data"]["__schema"]["queryType"]["fields"]:
        returns_list = "LIST" in (field["type"]["kind"], (field["type"]["ofType"] or {}).get("kind"))
        if returns_list or field["name"] == "establishments":
            assert bounded_by_argument[field["name"]] in {arg["name"] for arg in field["args"]}, field["name"]
    async with gateway() as client:
        assert _messages(await _post(client, "{ establishments(first: 100000) { totalCount } }")) == [
            "first : doit être compris entre 1 et 100"
        ]


async def test_s6_production_answers_no_introspection_and_no_suggestions(gateway: Client) -> None:
    async with gateway(environment="production") as client:
        introspection = _messages(await _post(client, "{ __schema { types { name } } }"))
        typo = _messages(await _post(client, "{ servic { name } }"))
        ide = await client.get("/graphql", headers={"accept": "text/html"})
    async with gateway() as client:
        development = _messages(await _post(client, "{ servic { name } }"))

    assert introspection
    assert "introspection" in introspection[0].lower()
    assert typo == ["Cannot query field 'servic' on type 'Query'."]
    assert "Did you mean" in development[0]
    assert "GraphiQL" not in ide.text


async def test_s7_an_unexpected_error_is_generic_and_logged_with_the_request_id(
    gateway: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("SELECT secret FROM cafs -- connection to 10.0.0.1 failed")

    monkeypatch.setattr(repositories, "list_cafs", broken)
    async with gateway() as client:
        with caplog.at_level(logging.ERROR):
            response = await client.post(
                "/graphql", json={"query": "{ cafs { code } }"}, headers={"x-request-id": "req-s7-0001"}
            )

    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error (request id req-s7-0001)."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-s7-0001"}
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] == "req-s7-0001"
    logged = [r for r in caplog.records if r.name == "shared.graphql_errors"]
    assert logged[0].__dict__["request_id"] == "req-s7-0001"
    assert "SELECT secret" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_s8_no_operation_over_form_posts_or_multipart_and_no_mutation_over_get(gateway: Client) -> None:
    query = "{ service { name } }"
    async with gateway() as client:
        form = await client.post("/graphql", data={"query": query})
        multipart = await client.post("/graphql", files={"query": (None, query)})
        mutation = await client.get("/graphql", params={"query": "mutation { anything }"})
        get_query = await client.get("/graphql", params={"query": query})

    assert form.status_code in (400, 415)
    assert multipart.status_code in (400, 415)
    assert mutation.status_code in (400, 405)
    assert get_query.json() == {"data": {"service": {"name": "structures-gateway"}}}


async def test_s10_ten_thousand_distinct_queries_keep_the_caches_bounded(gateway: Client) -> None:
    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    async with gateway(graphql_cache_size=256) as client:
        for index in range(10_000):
            body = await _post(client, f"{{ q{index}: service {{ name }} }}")
            assert "errors" not in body

    assert _get_parse_cache(256).cache_info().currsize <= 256  # type: ignore[attr-defined]
    assert _get_validate_cache(256).cache_info().currsize <= 256  # type: ignore[attr-defined]


async def test_a_costly_query_is_refused_before_any_resolver_runs(gateway: Client) -> None:
    page = "establishments(first: 100) { edges { node { name phone email website capacity provider { name } } } }"
    nested = "{ " + page + " }"
    costly = "{ " + " ".join(f"e{i}: {page}" for i in range(30)) + " }"
    async with gateway() as client:
        resolvers = count_resolvers(client.app)  # type: ignore[attr-defined]
        refused = await _post(client, costly)
        calls_when_refused = resolvers.calls
        allowed = await _post(client, nested)

    [error] = refused["errors"]
    assert refused["data"] is None
    assert error["message"].startswith("Requête trop coûteuse : coût estimé 27030, maximum 20000.")
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert calls_when_refused == 0
    assert "errors" not in allowed


async def test_an_operation_past_its_deadline_is_cancelled_and_answered_timeout(
    gateway: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancelled = asyncio.Event()

    async def stuck(*_args: Any) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    monkeypatch.setattr(repositories, "list_cafs", stuck)
    async with gateway(graphql_timeout_seconds=0.2) as client, asyncio.timeout(60):  # fail rather than hang
        body = await _post(client, "{ cafs { code } }")

    [error] = body["errors"]
    assert body["data"] is None
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert "temps maximal d'exécution (0.2 s)" in error["message"]
    assert cancelled.is_set()
