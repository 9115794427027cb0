"""Plain fields read straight off their object.

strawberry gives a field without resolver, permission or extension a « basic » resolver that still goes through
``StrawberryField.get_result`` (three property reads and the configured default resolver) for every value of every
object of an answer; a list page resolves several hundred of them. :func:`read_plain_fields_directly` replaces each
such resolver by a function doing what it ends up doing, ``getattr(source, python_name)``.
"""

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.types.base import StrawberryObjectDefinition

BASIC_RESOLVER = "_get_basic_result"
"""The name of strawberry's resolver for basic fields (``schema_converter.from_resolver``)."""


def read_plain_fields_directly(schema: strawberry.Schema) -> None:
    """Replace the basic resolvers of ``schema``'s object types, unless a custom default resolver is configured."""
    if schema.config.default_resolver is not getattr:
        return
    for concrete in schema.schema_converter.type_map.values():
        definition, implementation = concrete.definition, concrete.implementation
        if not isinstance(definition, StrawberryObjectDefinition) or not isinstance(implementation, GraphQLObjectType):
            continue
        for field in definition.fields:
            graphql_field = implementation.fields.get(schema.config.name_converter.from_field(field))
            if graphql_field is None or not field.is_basic_field:
                continue
            if getattr(graphql_field.resolve, "__name__", "") == BASIC_RESOLVER:
                graphql_field.resolve = attribute_reader(field.python_name)


def attribute_reader(name: str) -> Callable[[Any, GraphQLResolveInfo[Any]], Any]:
    def read(source: Any, _info: GraphQLResolveInfo[Any]) -> Any:
        return getattr(source, name)

    read._is_default = True  # type: ignore[attr-defined]  # strawberry.resolvers.is_default_resolver
    return read
