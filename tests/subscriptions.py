"""A GraphQL subscriber for tests and benchmarks, on gql — a standard graphql-transport-ws client library."""

from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

PUBLICATIONS = """subscription($f: PublicationFilterInput, $after: String) { publications(filter: $f, after: $after) {
  id cursor type establishmentId departement communeInsee category occurredAt data } }"""


def transport(url: str, token: str | None, api_key: str | None = None) -> WebsocketsTransport:
    """graphql-transport-ws to ``url`` (``ws://…/graphql``), authenticated in ``connection_init``."""
    payload = {"authorization": f"Bearer {token}"} if token else {}
    return WebsocketsTransport(
        url=url,
        init_payload=payload | ({"apiKey": api_key} if api_key else {}),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


async def collect(
    url: str,
    token: str | None,
    wanted: dict[str, Any],
    into: list[dict[str, Any]],
    after: str | None = None,
    api_key: str | None = None,
) -> None:
    """Append every publication matching ``wanted`` (after the cursor ``after``) to ``into`` until cancelled."""
    request = GraphQLRequest(PUBLICATIONS, variable_values={"f": wanted, "after": after})
    async with Client(transport=transport(url, token, api_key)) as session:
        async for result in session.subscribe(request):
            into.append(result["publications"])
