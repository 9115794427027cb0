"""The gateway's WebSocket transport (the document limits every service shares are in
:mod:`shared.graphql_protection`)."""

import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

log = logging.getLogger(__name__)
SUBPROTOCOL_REQUIRED = (
    "Ce point d'accès ne parle que le sous-protocole WebSocket graphql-transport-ws : ouvrez la connexion avec "
    "l'en-tête Sec-WebSocket-Protocol: graphql-transport-ws. L'ancien protocole graphql-ws "
    "(subscriptions-transport-ws) n'est pas pris en charge."
)


class TransportWsHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, refusing a message that is JSON but not an object (``[]``, ``"x"``, ``1``) with 4400
    like any other malformed message, instead of failing on it (strawberry assumes an object)."""

    async def handle_message(self, message: Message) -> None:
        if not isinstance(message, dict):
            await self.handle_invalid_message("WebSocket message must be a JSON object")
            return
        await super().handle_message(message)


def offers_transport_ws(websocket: WebSocket) -> bool:
    return GRAPHQL_TRANSPORT_WS_PROTOCOL in websocket.scope.get("subprotocols", ())


async def refuse_handshake(websocket: WebSocket) -> None:
    """Refuse a handshake that does not offer graphql-transport-ws, in a way the client can read.

    Accepting it and closing with 4406 afterwards answers 101 without ``Sec-WebSocket-Protocol``: browsers and strict
    clients then fail the handshake themselves (1006) and never see the close code. Refusing the handshake with an
    HTTP 400 whose body names the subprotocol shows the reason in the client's error and the browser's network tab.
    """
    offered = list(websocket.scope.get("subprotocols", ()))
    log.info("WebSocket handshake refused: no graphql-transport-ws", extra={"offered": offered[:5]})
    body = {"code": "SUBPROTOCOL_NOT_ACCEPTABLE", "message": SUBPROTOCOL_REQUIRED,
            "supported": [GRAPHQL_TRANSPORT_WS_PROTOCOL]}  # fmt: skip
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse(body, status_code=400))
        return
    await websocket.close(4406, "graphql-transport-ws required")  # before accept: the server answers 403
