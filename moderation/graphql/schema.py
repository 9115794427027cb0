"""The moderators' GraphQL API (the review queue is this service's data and nobody else's)."""

from dataclasses import dataclass

import strawberry
from strawberry.types import Info

from moderation import __version__
from moderation.queue import repositories
from shared.db import SessionFactory


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory


@strawberry.type(description="What answers at this endpoint.")
class ServiceInfo:
    name: str = strawberry.field(description="Name of the service.")
    version: str = strawberry.field(description="Version of the running code.")


@strawberry.type(description="The state of the review queue.")
class QueueStats:
    pending: int = strawberry.field(description="Submissions waiting for a moderator's decision.")


@strawberry.type
class Query:
    @strawberry.field(description="The service answering this API and its version.")
    def service(self) -> ServiceInfo:
        return ServiceInfo(name="structures-moderation", version=__version__)

    @strawberry.field(description="How many submissions wait in the review queue.")
    async def queue_stats(self, info: Info[Context, None]) -> QueueStats:
        async with info.context.sessions() as session:
            return QueueStats(pending=await repositories.count_pending(session))


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
