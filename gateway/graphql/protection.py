"""What protects the GraphQL endpoint: document limits, bounded caches, error masking, production switches.

* depth, alias and token limits refuse abusive documents during parsing and validation, before any resolver, and so
  do string literals no database can store (a NUL, a lone surrogate);
* parser and validation caches are LRU-bounded, so 10,000 distinct queries cannot grow memory without bound;
* errors are shown as :mod:`shared.graphql_errors` says (expected ones as they are, the database being away as
  SERVICE_UNAVAILABLE, anything else masked with the request id);
* in production, introspection and « Did you mean … ? » suggestions are off.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from gateway.graphql.single_use import single_use_rule
from shared.graphql_errors import PublicErrors, StorableStringLiterals


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2_000
    cache_size: int = 256
    introspection: bool = True
    suggestions: bool = True


def schema_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Per-request extension factories. The depth and alias rules are built once: the validation cache is keyed
    by the rule classes, and the limiters would otherwise mint new ones for every request (and never hit)."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        single_use_rule(),
        StorableStringLiterals,
    ]
    if not limits.introspection:
        rules.extend(DisableIntrospection().validation_rules)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=limits.cache_size),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=limits.cache_size),
        lambda: PublicErrors(suggestions=limits.suggestions),
    ]


class TransportWsHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, refusing a message that is JSON but not an object (``[]``, ``"x"``, ``1``) with 4400
    like any other malformed message, instead of failing on it (strawberry assumes an object)."""

    async def handle_message(self, message: Message) -> None:
        if not isinstance(message, dict):
            await self.handle_invalid_message("WebSocket message must be a JSON object")
            return
        await super().handle_message(message)
