"""What protects the GraphQL endpoint: document limits, bounded caches, error masking, production switches.

* depth, alias and token limits refuse abusive documents during parsing and validation, before any resolver;
* parser and validation caches are LRU-bounded, so 10,000 distinct queries cannot grow memory without bound;
* expected errors (a bad argument) reach the client as they are, with ``extensions.code = BAD_USER_INPUT``;
  anything else becomes « Unexpected error » with the request id, and is logged with its traceback;
* in production, introspection and « Did you mean … ? » suggestions are off.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gateway.graphql.single_use import single_use_rule
from shared.errors import PermanentError
from shared.logging import current_correlation_id

log = logging.getLogger(__name__)
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$")


@dataclass(frozen=True)
class Limits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2_000
    cache_size: int = 256
    introspection: bool = True
    suggestions: bool = True


class PublicErrors(MaskErrors):
    """Masks unexpected errors (keeping the request id), labels expected ones, hides suggestions if asked."""

    def __init__(self, *, suggestions: bool) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Unexpected error.")
        self._suggestions = suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = current_correlation_id() or "-"
        log.error(
            "unexpected GraphQL error",
            exc_info=error.original_error,
            extra={"path": error.path, "request_id": request_id},
        )
        masked = super().anonymise_error(error)
        masked.message = f"Unexpected error (request id {request_id})."
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._public(error) for error in super()._process_errors(errors)]

    def _public(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, PermanentError):
            code = getattr(error.original_error, "code", "BAD_USER_INPUT")
            error.extensions = {**(error.extensions or {}), "code": code}
        elif error.original_error is None and not self._suggestions:
            error.message = _SUGGESTION.sub("", error.message)
        return error


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, PermanentError | GraphQLError)


def schema_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Per-request extension factories. The depth and alias rules are built once: the validation cache is keyed
    by the rule classes, and the limiters would otherwise mint new ones for every request (and never hit)."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        single_use_rule(),
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
