"""A GraphQL client that knows a service only by its committed SDL, as a front-end team would.

Every document is validated against ``<service>/schema.graphql`` before it is sent: a test written with it proves
that the committed contract, not the code, is enough to play the story.
"""

from functools import cache
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLSchema, build_schema, parse, validate

from tests.e2e.processes import ROOT


@cache
def committed_schema(service: str) -> GraphQLSchema:
    return build_schema(Path(ROOT, service, "schema.graphql").read_text(encoding="utf-8"))


class ContractClient:
    """POSTs documents to one service's ``/graphql`` after checking them against its committed SDL."""

    def __init__(self, service: str, url: str) -> None:
        self.service, self.url = service, url
        self.schema = committed_schema(service)

    async def call(self, document: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        problems = validate(self.schema, parse(document))
        assert not problems, f"not valid against {self.service}/schema.graphql: {[p.message for p in problems]}"
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.url}/graphql", json={"query": document, "variables": variables}, headers=headers
            )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data
