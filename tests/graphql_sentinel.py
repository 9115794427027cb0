"""A sentinel proving that no resolver ran: it counts every field resolution of a running app's schema."""

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension


class ResolverCount:
    def __init__(self) -> None:
        self.calls = 0

    def extension(self) -> SchemaExtension:
        count = self

        class CountResolvers(SchemaExtension):
            def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
                count.calls += 1
                return _next(root, info, *args, **kwargs)

        return CountResolvers()


def count_resolvers(app: Starlette) -> ResolverCount:
    """Adds the sentinel to the schema of the app's ``/graphql`` view (extensions are instantiated per request)."""
    view = next(route.endpoint for route in app.routes if getattr(route, "path", None) == "/graphql")  # type: ignore[attr-defined]
    assert isinstance(view, GraphQL)
    counter = ResolverCount()
    view.schema.extensions = (*view.schema.extensions, counter.extension)  # type: ignore[attr-defined]
    return counter
