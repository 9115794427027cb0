"""A service whose database cannot be reached answers « Service temporarily unavailable » (SERVICE_UNAVAILABLE),
quickly, instead of an unexpected error or a hang (the R6 fault test does the same with PostgreSQL stopped)."""

from moderation.graphql.schema import Context, build_schema
from shared.db import create_engine, create_session_factory
from shared.tokens import Claims


async def test_the_moderation_api_says_service_unavailable_when_its_database_is_away() -> None:
    engine = create_engine("postgresql+asyncpg://structures:x@127.0.0.1:1/moderation")
    moderator = Claims("a1", "s1", "CAF_AGENT", "CAF59-0001", "CAF59", None, temporary=False, expires_at=2**40)
    try:
        result = await build_schema().execute(
            "{ queueDepth { pending } }", context_value=Context(create_session_factory(engine), moderator)
        )
    finally:
        await engine.dispose()

    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "SERVICE_UNAVAILABLE", "requestId": "-"}
