"""The gateway's WebSocket transport (the document limits every service shares are in
:mod:`shared.graphql_protection`)."""

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message


class TransportWsHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, refusing a message that is JSON but not an object (``[]``, ``"x"``, ``1``) with 4400
    like any other malformed message, instead of failing on it (strawberry assumes an object)."""

    async def handle_message(self, message: Message) -> None:
        if not isinstance(message, dict):
            await self.handle_invalid_message("WebSocket message must be a JSON object")
            return
        await super().handle_message(message)
