"""The gateway's GraphQL schema."""

import strawberry

from gateway import __version__


@strawberry.type(description="What answers at this endpoint.")
class ServiceInfo:
    name: str = strawberry.field(description="Name of the service.")
    version: str = strawberry.field(description="Version of the running code.")


@strawberry.type
class Query:
    @strawberry.field(description="The service answering this API and its version.")
    def service(self) -> ServiceInfo:
        return ServiceInfo(name="structures-gateway", version=__version__)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
