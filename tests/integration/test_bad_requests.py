"""R10 for GraphQL callers: a request a service cannot read gets a 4xx naming the problem, or a GraphQL error, never
a 500, and the service keeps answering. test_graphql_protection.py covers the documents (S1–S10: depth, aliases,
tokens, batching, form posts, multipart); this covers the bodies."""

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import moderation.app as moderation_app
import notifier.app as notifier_app
from moderation.settings import ModerationSettings
from notifier.settings import NotifierSettings
from shared.bus import InProcessBus
from shared.http import MAX_BODY_BYTES
from tests.conftest import DatabaseFactory
from tests.gateway_app import gateway_client

JSON = {"content-type": "application/json"}
QUERY = "{ service { name } }"


def _body(variables: bytes, query: str = "query($v: [ID!]!) { nodes(ids: $v) { id } }") -> bytes:
    return b'{"query": ' + json.dumps(query).encode() + b', "variables": {"v": ' + variables + b"}}"


BAD_BODIES: dict[str, tuple[bytes, dict[str, str], int, str]] = {
    "invalid-utf8": (_body(b'"caf\xe9"'), JSON, 400, "Unable to parse request body as JSON: it is not valid UTF-8"),
    "truncated-json": (b'{"query": ', JSON, 400, "Unable to parse request body as JSON"),
    "deeply-nested-variables": (_body(b"[" * 100_000 + b"]" * 100_000), JSON, 400, "it is nested too deeply"),
    "huge-integer-variable": (_body(b"9" * 5_000), JSON, 400, "Exceeds the limit (4300 digits)"),
    "a-bare-string": (json.dumps(QUERY).encode(), JSON, 400, 'The request must be a JSON object, not "{ service'),
    "null": (b"null", JSON, 400, "The request must be a JSON object, not null"),
    "text-plain": (json.dumps({"query": QUERY}).encode(), {"content-type": "text/plain"}, 400, "Unsupported content"),
    "no-content-type": (json.dumps({"query": QUERY}).encode(), {}, 400, "Unsupported content type"),
    "oversized": (_body(b'"' + b"a" * MAX_BODY_BYTES + b'"'), JSON, 413, f"over {MAX_BODY_BYTES} bytes"),
    "nul-in-a-variable": (_body(b'["a\\u0000b"]'), JSON, 400, "request.variables.v[0] contains a NUL character"),
    "lone-surrogate": (_body(b'["\\ud800"]'), JSON, 400, "request.variables.v[0] contains a lone surrogate"),
}
LOGIN = 'mutation { login(input: {identifier: "a\\u0000b", password: "p"}) { __typename } }'

GRAPHQL_ERRORS = {
    "many-ids": (_body(json.dumps(["RXN0YWJsaXNobWVudDox"] * 5_000).encode()), "ids : 100 identifiants au plus"),
    "nested-within-the-parser-limit": (
        _body(b"[" * 500 + b"]" * 500),
        "Variable '$v' has invalid value at [0]: ID cannot represent value",
    ),
    "wrong-type": (_body(b'"x"', query="query($v: Int) { cafs(first: $v) { code } }"), "Int cannot represent"),
    "nul-in-a-literal": (json.dumps({"query": LOGIN}).encode(), "A string literal contains a NUL character."),
}


async def _answers(client: httpx.AsyncClient) -> dict[str, tuple[int, str]]:
    answers = {}
    for case, (body, headers, _status, _says) in BAD_BODIES.items():
        response = await client.post("/graphql", content=body, headers=headers)
        answers[case] = (response.status_code, response.text[:300])
    return answers


async def _streamed(size: int) -> AsyncIterator[bytes]:
    """A body sent in chunks without Content-Length (chunked transfer encoding)."""
    yield b'{"query": "{ service { name } }", "variables": {"v": "'
    for _ in range(size // 16_384):
        yield b"a" * 16_384
    yield b'"}}'


async def test_bad_request_bodies_get_a_4xx_naming_the_problem_and_the_gateway_keeps_answering(
    sqlite_catalogue: Path, tmp_path: Path
) -> None:
    async with gateway_client(sqlite_catalogue, tmp_path)() as client:
        answers = await _answers(client)
        streamed = await client.post("/graphql", content=_streamed(2 * MAX_BODY_BYTES), headers=JSON)
        errors = {
            case: (await client.post("/graphql", content=body, headers=JSON)).json()
            for case, (body, _says) in GRAPHQL_ERRORS.items()
        }
        after = await client.post("/graphql", json={"query": QUERY})
        metrics = (await client.get("/metrics")).text

    for case, (status, says) in {case: (status, says) for case, (*_, status, says) in BAD_BODIES.items()}.items():
        assert answers[case][0] == status, (case, answers[case])
        assert says in answers[case][1], (case, answers[case])
    assert streamed.status_code == 413
    assert streamed.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    for case, says in {case: says for case, (_, says) in GRAPHQL_ERRORS.items()}.items():
        assert says in errors[case]["errors"][0]["message"], (case, errors[case])
    assert after.json() == {"data": {"service": {"name": "structures-gateway"}}}
    assert 'structures_publications_skipped_total{reason="unreadable"} 0.0' in metrics


@contextlib.asynccontextmanager
async def _served(service: str, url: str) -> AsyncIterator[httpx.AsyncClient]:
    app: Any
    if service == "moderation":
        app = moderation_app.create_app(ModerationSettings(database_url=url, bus="inprocess"), bus=InProcessBus())
    else:
        settings = NotifierSettings(database_url=url, bus="inprocess", email_transport="folder")
        app = notifier_app.create_app(settings, bus=InProcessBus())
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://x") as client:
        yield client


@pytest.mark.parametrize("service", ["moderation", "notifier"])
async def test_the_other_graphql_services_answer_bad_bodies_the_same_way(
    service: str, sqlite_database: DatabaseFactory
) -> None:
    async with _served(service, await sqlite_database(service)) as client:
        answers = await _answers(client)
        after = await client.post("/graphql", json={"query": "{ __typename }"})

    assert {case: status for case, (status, _text) in answers.items()} == {
        case: status for case, (*_, status, _says) in BAD_BODIES.items()
    }
    assert after.json() == {"data": {"__typename": "Query"}}
