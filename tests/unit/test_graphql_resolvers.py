"""Plain fields are read straight off their object; fields with a resolver or a permission keep theirs."""

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from shared.graphql_protection import BoundedSchema


class Never(BasePermission):
    message = "jamais"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Thing:
    long_name: str
    guarded: str = strawberry.field(permission_classes=[Never])

    @strawberry.field
    def shout(self) -> str:
        return self.long_name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(long_name="crèche", guarded="secret")


def test_plain_fields_are_read_directly_and_the_others_keep_their_resolvers() -> None:
    schema = BoundedSchema(query=Query, timeout_seconds=5)
    fields = schema._schema.type_map["Thing"].fields  # type: ignore[attr-defined]
    assert fields["longName"].resolve.__name__ == "read"
    assert fields["guarded"].resolve.__name__ != "read"
    assert fields["shout"].resolve.__name__ != "read"

    answer = schema.execute_sync("{ thing { longName shout } }")
    assert answer.errors is None
    assert answer.data == {"thing": {"longName": "crèche", "shout": "CRÈCHE"}}
    refused = schema.execute_sync("{ thing { guarded } }")
    assert refused.errors is not None
    assert refused.errors[0].message == "jamais"
