"""``Subscription.publications``: public publication events, live, over graphql-transport-ws only.

The connection is authenticated once, in ``connection_init`` (see ``GatewayGraphQL.on_ws_connect``); each
subscription then gets the events of this process's :class:`~gateway.publications.feed.PublicationFeed` that match
its filter, in the order they were published for each establishment.
"""

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from gateway.catalogue.vocabulary import Category
from gateway.graphql.permissions import require_agent
from gateway.graphql.relay import InvalidArgumentError, from_global_id, to_global_id
from gateway.graphql.types import GraphQLInfo
from gateway.publications.feed import Publication, PublicationFilter, PublicationType, SubscriberTooSlowError
from shared.errors import PermanentError

MAX_VALUES_PER_CRITERION = 100


@strawberry.enum(description="Nature d'une publication.")
class PublicationKind(Enum):
    AVAILABILITIES_PUBLISHED = PublicationType.AVAILABILITIES_PUBLISHED.name
    OPERATING_INFO_PUBLISHED = PublicationType.OPERATING_INFO_PUBLISHED.name
    OPERATING_INFO_WITHDRAWN = PublicationType.OPERATING_INFO_WITHDRAWN.name


@strawberry.input(description="What to follow; each given criterion narrows the others (AND), each list is an OR.")
class PublicationFilterInput:
    departements: list[str] | None = strawberry.field(default=None, description="Codes de département (« 59 »).")
    communes: list[str] | None = strawberry.field(default=None, description="Codes INSEE des communes.")
    establishment_ids: list[strawberry.ID] | None = None
    categories: list[Category] | None = None
    types: list[PublicationKind] | None = None

    def to_filter(self) -> PublicationFilter:
        for name, values in (
            ("departements", self.departements), ("communes", self.communes),
            ("establishmentIds", self.establishment_ids), ("categories", self.categories), ("types", self.types),
        ):  # fmt: skip
            if values is not None and len(values) > MAX_VALUES_PER_CRITERION:
                raise InvalidArgumentError(f"filter.{name}: at most {MAX_VALUES_PER_CRITERION} values")
        return PublicationFilter(
            departements=frozenset(self.departements or ()),
            communes=frozenset(self.communes or ()),
            establishment_ids=frozenset(_establishment_key(i) for i in self.establishment_ids or ()),
            categories=frozenset(c.value for c in self.categories or ()),
            types=frozenset(PublicationType[t.value] for t in self.types or ()),
        )


def _establishment_key(global_id: str) -> str:
    kind, key = from_global_id(global_id, argument="filter.establishmentIds")
    if kind != "Establishment":
        raise InvalidArgumentError(f"filter.establishmentIds: {global_id!r} is not an establishment id")
    return key


@strawberry.type(description="Une publication : données publiques seulement, jamais de donnée personnelle.")
class PublicationEvent:
    id: strawberry.ID = strawberry.field(description="Identifiant de l'événement (CloudEvents `id`).")
    type: PublicationKind
    establishment_id: strawberry.ID
    departement: str
    commune_insee: str
    category: Category
    occurred_at: datetime
    data: JSON = strawberry.field(description="Le contenu publié, comme dans l'événement Kafka.")

    @classmethod
    def of(cls, publication: Publication) -> "PublicationEvent":
        place = publication.place
        return cls(
            id=strawberry.ID(publication.id),
            type=PublicationKind[publication.type.name],
            establishment_id=strawberry.ID(to_global_id("Establishment", publication.establishment_id)),
            departement=place.departement,
            commune_insee=place.commune_insee,
            category=Category(place.category),
            occurred_at=publication.occurred_at,
            data=JSON(publication.data),
        )


class SubscriberTooSlowGraphQLError(PermanentError):
    code = "SUBSCRIBER_TOO_SLOW"


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Les publications, en direct (graphql-transport-ws).")
    async def publications(
        self, info: GraphQLInfo, filter: PublicationFilterInput | None = None
    ) -> AsyncGenerator[PublicationEvent, None]:
        await require_agent(info.context)
        wanted = (filter or PublicationFilterInput()).to_filter()
        async with info.context.publication_feed.subscribe(wanted) as subscriber:
            try:
                async for publication in subscriber:
                    yield PublicationEvent.of(publication)
            except SubscriberTooSlowError:
                raise SubscriberTooSlowGraphQLError(
                    "Abonné trop lent : des publications ont été manquées, reconnectez-vous."
                ) from None
