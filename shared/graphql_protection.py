"""What protects every service's GraphQL endpoint: document limits, bounded caches, error masking, a deadline.

* depth, alias, token and cost limits refuse abusive documents during parsing and validation, before any resolver
  (:mod:`shared.graphql_rules`), and so do string literals no database can store (a NUL, a lone surrogate);
* a sensitive root field (each service names its own) runs at most once per request;
* parser and validation caches are LRU-bounded, so 10,000 distinct queries cannot grow memory without bound;
* a query or mutation still running after ``timeout_seconds`` is cancelled and answered ``TIMEOUT``
  (:class:`BoundedSchema`): whatever slips past the static limits cannot hold the event loop's share for long;
* errors are shown as :mod:`shared.graphql_errors` says (expected ones as they are, the database being away as
  SERVICE_UNAVAILABLE, anything else masked with the request id);
* in production, introspection and « Did you mean … ? » suggestions are off (:func:`limits_from`).
"""

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import strawberry
from graphql import GraphQLError
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
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from shared.graphql_contract import SCALAR_MAP
from shared.graphql_errors import PublicErrors, StorableStringLiterals
from shared.graphql_resolvers import read_plain_fields_directly
from shared.graphql_rules import CostModel, cost_rule, single_use_rule
from shared.settings import GraphQLServiceSettings

log = logging.getLogger(__name__)
TIMEOUT_CODE = "TIMEOUT"


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2_000
    cost: CostModel = field(default_factory=CostModel)
    timeout_seconds: float = 15.0
    cache_size: int = 256
    introspection: bool = True
    suggestions: bool = True


def limits_from(settings: GraphQLServiceSettings) -> Limits:
    """The limits a service's settings ask for; production always hides introspection and suggestions."""
    return Limits(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_tokens=settings.graphql_max_tokens,
        cost=CostModel(max_cost=settings.graphql_max_cost, page_size=settings.graphql_page_size),
        timeout_seconds=settings.graphql_timeout_seconds,
        cache_size=settings.graphql_cache_size,
        introspection=settings.introspection and not settings.production,
        suggestions=not settings.production,
    )


def schema_extensions(limits: Limits, sensitive_fields: Collection[str] = ()) -> list[Callable[[], SchemaExtension]]:
    """Per-request extension factories. The rules are built once: the validation cache is keyed by the rule
    classes, and the limiters would otherwise mint new ones for every request (and never hit)."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        single_use_rule(sensitive_fields),
        cost_rule(limits.cost),
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


class BoundedSchema(strawberry.Schema):
    """A schema whose queries and mutations are cancelled past a deadline (subscriptions are long-lived by design
    and go through :meth:`subscribe`, untouched). Cancelling unwinds the resolvers' ``async with`` blocks, so an
    open transaction is rolled back, never committed half-way."""

    def __init__(self, *args: Any, timeout_seconds: float, **kwargs: Any) -> None:
        config = kwargs.get("config") or StrawberryConfig()
        kwargs["config"] = replace(config, scalar_map={**SCALAR_MAP, **config.scalar_map})
        super().__init__(*args, **kwargs)
        read_plain_fields_directly(self)
        self.timeout_seconds = timeout_seconds

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await super().execute(
                    query,
                    variable_values,
                    context_value,
                    root_value,
                    operation_name,
                    allowed_operation_types,
                    operation_extensions,
                )
        except TimeoutError:
            log.warning("GraphQL operation cancelled at its deadline", extra={"operation": operation_name})
            return ExecutionResult(data=None, errors=[timeout_error(self.timeout_seconds)])


def timeout_error(seconds: float) -> GraphQLError:
    message = (
        f"La requête a dépassé le temps maximal d'exécution ({seconds:g} s) et a été interrompue : "
        "réessayez, ou demandez moins d'éléments."
    )
    return GraphQLError(message, extensions={"code": TIMEOUT_CODE})


__all__ = ["TIMEOUT_CODE", "BoundedSchema", "Limits", "limits_from", "schema_extensions", "timeout_error"]
