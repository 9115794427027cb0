"""A GraphQL subscriber for tests and benchmarks, on gql — a standard graphql-transport-ws client library."""

from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

PUBLICATIONS = """subscription($f: PublicationFilterInput) { publications(filter: $f) {
  id type establishmentId departement communeInsee category occurredAt data } }"""


def transport(url: str, token: str | None) -> WebsocketsTransport:
    """graphql-transport-ws to ``url`` (``ws://…/graphql``), authenticated in ``connection_init``."""
    return WebsocketsTransport(
        url=url,
        init_payload={"authorization": f"Bearer {token}"} if token else {},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


async def collect(url: str, token: str, wanted: dict[str, Any], into: list[dict[str, Any]]) -> None:
    """Append every publication matching ``wanted`` to ``into`` until cancelled."""
    async with Client(transport=transport(url, token)) as session:
        async for result in session.subscribe(GraphQLRequest(PUBLICATIONS, variable_values={"f": wanted})):
            into.append(result["publications"])
