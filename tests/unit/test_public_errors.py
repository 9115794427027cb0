"""What a GraphQL caller is told when something fails: expected errors as they are, the database being away as a
retryable SERVICE_UNAVAILABLE, anything else masked with the request id (both services)."""

import asyncpg
import pytest
import strawberry
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shared.db import is_database_unavailable, retry_once_if_disconnected
from shared.graphql_errors import PublicErrors


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        DBAPIError("SELECT 1", None, Exception("closed"), connection_invalidated=True),
        # Found by the soak: every pooled connection busy under load is "retry later", not a bug (the consumer
        # dead-lettered good events after three pool timeouts, and callers got INTERNAL_SERVER_ERROR).
        PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 5.00"),
    ],
)
def test_errors_of_an_unreachable_database_are_recognised(error: BaseException) -> None:
    assert is_database_unavailable(error)


def test_a_cause_chain_is_followed_and_ordinary_errors_are_not_outages() -> None:
    wrapped = RuntimeError("while fetching")
    wrapped.__cause__ = ConnectionResetError()
    assert is_database_unavailable(wrapped)
    assert not is_database_unavailable(IntegrityError("INSERT", None, Exception("duplicate key")))
    assert not is_database_unavailable(KeyError("x"))


async def test_a_read_runs_again_once_when_its_connection_had_been_closed_and_only_then() -> None:
    closed = DBAPIError("SELECT 1", None, Exception("connection is closed"), connection_invalidated=True)
    attempts: list[int] = []

    async def read(failures: list[BaseException]) -> str:
        attempts.append(len(attempts))
        if failures:
            raise failures.pop(0)
        return "rows"

    failures: list[BaseException] = [closed]
    assert await retry_once_if_disconnected(lambda: read(failures)) == "rows"
    assert len(attempts) == 2
    attempts.clear()
    failures = [closed, closed]
    with pytest.raises(DBAPIError):  # the database is really away: the second attempt's error is the caller's
        await retry_once_if_disconnected(lambda: read(failures))
    assert len(attempts) == 2
    attempts.clear()
    other = DBAPIError("SELECT 1", None, Exception("division by zero"), connection_invalidated=False)
    failures = [other]
    with pytest.raises(DBAPIError):
        await retry_once_if_disconnected(lambda: read(failures))
    assert len(attempts) == 1


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("password=hunter2 in a stack trace")

    @strawberry.field
    def away(self) -> str:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")


async def test_unexpected_errors_are_masked_and_outages_are_told_as_retryable() -> None:
    schema = strawberry.Schema(query=Query, extensions=[PublicErrors])

    broken = (await schema.execute("{ broken }")).errors
    away = (await schema.execute("{ away }")).errors

    assert broken is not None
    assert away is not None
    assert broken[0].message.startswith("Unexpected error (request id")
    assert "hunter2" not in str(broken[0].formatted)
    assert broken[0].extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "-"}
    assert away[0].message.startswith("Service temporarily unavailable, retry in a few seconds")
    assert "5432" not in away[0].message
    assert away[0].extensions == {"code": "SERVICE_UNAVAILABLE", "requestId": "-"}
