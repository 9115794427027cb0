"""S4: aliases or fragments cannot run a sensitive mutation twice in one request."""

import strawberry
from graphql import parse, validate

from gateway.graphql.single_use import SENSITIVE_ROOT_FIELDS
from shared.graphql_rules import single_use_rule


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def login(self, identifier: str, password: str) -> bool:
        return identifier == password

    @strawberry.mutation
    def touch(self) -> bool:
        return True


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)._schema


def _errors(document: str) -> list[str]:
    return [e.message for e in validate(SCHEMA, parse(document), [single_use_rule(SENSITIVE_ROOT_FIELDS)])]


def test_one_login_per_request_passes() -> None:
    assert _errors('mutation { login(identifier: "a", password: "b") touch t2: touch }') == []


def test_aliased_logins_are_refused() -> None:
    document = 'mutation { a: login(identifier: "x", password: "1") b: login(identifier: "x", password: "2") }'

    assert _errors(document) == ["'login' may be asked only once per request (found 2)."]


def test_logins_hidden_in_repeated_fragments_are_refused() -> None:
    document = """
      mutation { ...Guess ...Guess ... on Mutation { ...Guess } }
      fragment Guess on Mutation { login(identifier: "x", password: "1") }
    """

    assert _errors(document) == ["'login' may be asked only once per request (found 3)."]
