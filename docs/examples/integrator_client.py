"""Follow what monenfant.fr's partner space publishes, with gql (a standard graphql-transport-ws client).

    pip install "gql[websockets]"
    python integrator_client.py --url wss://structures.example/graphql --api-key stk_… \\
        --departement 59 --cursor-file last-cursor.txt

Each publication is printed as one JSON line. The cursor of the last one printed is written to ``--cursor-file``;
on start and after any disconnection the client resumes from it (``after``), so nothing is missed or repeated,
even across restarts of the client or of the server.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path

from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import WebSocketException

SUBSCRIPTION = """
subscription Follow($filter: PublicationFilterInput, $after: String) {
  publications(filter: $filter, after: $after) {
    id cursor type establishmentId departement communeInsee category occurredAt data
  }
}
"""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the gateway's GraphQL WebSocket URL (ws:// or wss://)")
    parser.add_argument("--api-key", required=True, help="the key your Caf gave you (stk_…)")
    parser.add_argument("--departement", action="append", default=[], help="follow this département (repeatable)")
    parser.add_argument("--type", action="append", default=[], help="e.g. OPERATING_INFO_PUBLISHED (repeatable)")
    parser.add_argument("--cursor-file", type=Path, help="where the last cursor is kept between runs")
    parser.add_argument("--count", type=int, default=0, help="stop after this many publications (0: never)")
    return parser.parse_args()


async def follow(args: argparse.Namespace) -> None:
    cursor = args.cursor_file.read_text().strip() if args.cursor_file and args.cursor_file.exists() else None
    wanted = {key: values for key, values in (("departements", args.departement), ("types", args.type)) if values}
    printed, backoff = 0, 1.0
    while True:
        transport = WebsocketsTransport(
            url=args.url,
            init_payload={"apiKey": args.api_key},  # authentication happens in connection_init
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
        )
        request = GraphQLRequest(SUBSCRIPTION, variable_values={"filter": wanted or None, "after": cursor})
        try:
            async with Client(transport=transport) as session:
                async for result in session.subscribe(request):
                    publication = result["publications"]
                    print(json.dumps(publication, ensure_ascii=False), flush=True)  # noqa: T201
                    cursor = publication["cursor"]
                    if args.cursor_file:
                        args.cursor_file.write_text(cursor)
                    printed, backoff = printed + 1, 1.0
                    if args.count and printed >= args.count:
                        return
        except (TransportError, WebSocketException, OSError) as error:
            # Refused (revoked key: close code 4403), too slow, or the server restarted: resume from the cursor.
            print(f"disconnected ({error}); resuming from {cursor} in {backoff:.0f} s", file=sys.stderr)  # noqa: T201
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)


if __name__ == "__main__":
    asyncio.run(follow(_arguments()))
