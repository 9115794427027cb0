"""Publications for integrators: ``Subscription.publications`` (live, graphql-transport-ws only) and the
``events`` query (polling), with the same cursors and ids as the Kafka messages.

The WebSocket connection is authenticated once, in ``connection_init`` (see ``GatewayGraphQL.on_ws_connect``).
A subscription with ``after`` first joins the live feed (which buffers), then replays the publication log from the
cursor up to the log's latest position *p*, then goes on live, skipping what is ≤ *p*: positions follow commit
order, so nothing is missed or repeated at the seam.
"""

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from graphql import DocumentNode, ExecutionResult, GraphQLObjectType, OperationType, get_named_type
from strawberry.scalars import JSON
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.catalogue.vocabulary import Category
from gateway.graphql.event_projection import EventProjection, plan_projection, row_document
from gateway.graphql.permissions import require_reader, still_allowed, within_scope
from gateway.graphql.rechecks import SubscriptionRechecks
from gateway.graphql.relay import InvalidArgumentError, from_global_id, to_global_id
from gateway.graphql.types import GraphQLInfo
from gateway.publications.feed import (
    Publication,
    PublicationFilter,
    PublicationType,
    Subscriber,
    SubscriberTooSlowError,
)
from gateway.publications.log import cursor_of, last_position, position_of, read_after
from shared.errors import PermanentError, UnauthenticatedError

MAX_VALUES_PER_CRITERION = 100


@strawberry.enum(description="Nature d'une publication.")
class PublicationKind(Enum):
    AVAILABILITIES_PUBLISHED = PublicationType.AVAILABILITIES_PUBLISHED.name
    OPERATING_INFO_PUBLISHED = PublicationType.OPERATING_INFO_PUBLISHED.name
    OPERATING_INFO_WITHDRAWN = PublicationType.OPERATING_INFO_WITHDRAWN.name
    ESTABLISHMENT_CHANGED = PublicationType.ESTABLISHMENT_CHANGED.name


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
                raise InvalidArgumentError(f"filter.{name} : {MAX_VALUES_PER_CRITERION} valeurs au plus.")
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
        raise InvalidArgumentError(
            f"filter.establishmentIds : « {global_id} » n'est pas l'identifiant d'un établissement."
        )
    return key


@strawberry.type(description="Une publication : données publiques seulement, jamais de donnée personnelle.")
class PublicationEvent:
    id: strawberry.ID = strawberry.field(description="Identifiant de l'événement (CloudEvents `id`).")
    cursor: str = strawberry.field(
        description="Curseur de reprise (en-tête Kafka `ce_sequence`) : à passer en `after` pour reprendre."
    )
    type: PublicationKind
    establishment_id: strawberry.ID
    departement: str
    commune_insee: str
    category: Category
    occurred_at: datetime
    data: JSON = strawberry.field(description="Le contenu publié, comme dans l'événement Kafka.")

    @classmethod
    def of(cls, publication: Publication) -> "PublicationEvent":
        """The view of a publication, built once however many subscribers receive it."""
        view = _VIEWS.get(publication.position)
        if view is None or view.id != publication.id:
            if view is not None:
                _ROWS.pop(id(view), None)
            view = _VIEWS[publication.position] = cls._build(publication)
            while len(_VIEWS) > _VIEWS_KEPT:
                _ROWS.pop(id(_VIEWS.pop(next(iter(_VIEWS)))), None)
        return view

    @classmethod
    def _build(cls, publication: Publication) -> "PublicationEvent":
        place = publication.place
        return cls(
            id=strawberry.ID(publication.id),
            cursor=cursor_of(publication.position),
            type=PublicationKind[publication.type.name],
            establishment_id=strawberry.ID(to_global_id("Establishment", publication.establishment_id)),
            departement=place.departement,
            commune_insee=place.commune_insee,
            category=Category(place.category),
            occurred_at=publication.occurred_at,
            data=JSON(publication.data),
        )


_VIEWS: dict[int, PublicationEvent] = {}
_VIEWS_KEPT = 1_000
_ROWS: dict[int, Any] = {}  # id(view) -> its row's ExecutionResult (or a future of it), see SharedEventResults


class SharedEventResults(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription event once per publication, for all subscribers, whatever their documents.

    Thousands of subscribers, each with its own document, may follow one process (quality.md M1). The fields of a
    :class:`PublicationEvent` depend on the publication only (who may see it was decided upstream, in the feed's
    filter), so the publication is executed once with every field selected (its row, kept with the view) and each
    subscription's answer is the row projected onto its own selection (:mod:`gateway.graphql.event_projection`,
    planned once, when the subscription starts). A selection without a projection, or a row with errors, is
    executed as usual."""

    projection: EventProjection | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.operation.operation is OperationType.SUBSCRIPTION:
            self.projection = plan_projection(self)

    def build_per_event_executor(self, payload: Any) -> Any:
        projection = self.projection
        if (
            projection is None
            or projection.root_field != _ROW_FIELD
            or not isinstance(payload, PublicationEvent)
            or _VIEWS.get(int(payload.cursor)) is not payload
            or self.abort_signal is not None
        ):
            return self.event_executor(payload)
        return _ProjectedEvent(self, payload, projection)

    def event_executor(self, payload: Any) -> Any:
        """The usual executor of one event. graphql-core's copy shares the memo of sub-selections with the
        subscription's executor; keyed by lists made anew at each event, it would gain an entry per event for as
        long as the subscription lives (2,000 subscriptions: 5 MB more at each publication)."""
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor

    def execute_row(self, view: PublicationEvent) -> Any:
        """The row of ``view``: every field executed once, by the normal executor, for all subscribers."""
        executor = type(self).build(
            self.schema, _row_document(self), root_value=view, context_value=self.context_value,
            field_resolver=self.field_resolver, type_resolver=self.type_resolver, middleware=self.middleware_manager,
            operation_extensions=self.operation_extensions,
        )  # fmt: skip
        assert not isinstance(executor, list)  # the row's document has no variable
        row = executor.execute_operation(False)
        return asyncio.ensure_future(row) if self.is_awaitable(row) else row  # awaited by every subscriber


class _ProjectedEvent:
    """What :func:`graphql.execute_subscription_event` runs for one subscription and one publication: the row
    projected onto the subscription's selection, or the usual execution when the row has errors."""

    __slots__ = ("executor", "projection", "view")

    def __init__(self, executor: SharedEventResults, view: PublicationEvent, projection: EventProjection) -> None:
        self.executor, self.view, self.projection = executor, view, projection

    def execute_operation(self, serially: bool | None = None) -> Any:
        row = _ROWS.get(id(self.view))
        if row is None:
            row = _ROWS[id(self.view)] = self.executor.execute_row(self.view)
        return self._answer_later(row, serially) if self.executor.is_awaitable(row) else self._answer(row, serially)

    async def _answer_later(self, row: Any, serially: bool | None) -> Any:
        result = self._answer(await asyncio.shield(row), serially)
        return await result if self.executor.is_awaitable(result) else result

    def _answer(self, row: ExecutionResult, serially: bool | None) -> Any:
        if row.errors or row.data is None:
            return self.executor.event_executor(self.view).execute_operation(serially)
        return ExecutionResult(self.projection.project(row.data[self.projection.root_field]))


def _row_document(executor: SharedEventResults) -> DocumentNode:
    if not _ROW_DOCUMENT:
        root_type = executor.schema.subscription_type
        assert root_type is not None
        event_type = get_named_type(root_type.fields[_ROW_FIELD].type)
        assert isinstance(event_type, GraphQLObjectType)
        _ROW_DOCUMENT.append(row_document(event_type, _ROW_FIELD))
    return _ROW_DOCUMENT[0]


_ROW_FIELD = "publications"
_ROW_DOCUMENT: list[DocumentNode] = []


class SubscriberTooSlowGraphQLError(PermanentError):
    code = "SUBSCRIBER_TOO_SLOW"


REPLAY_PAGE = 500


async def _replay(info: GraphQLInfo, after: str, wanted: PublicationFilter) -> AsyncGenerator[Publication | int, None]:
    """The logged publications after ``after`` matching ``wanted``; last, the position the replay went up to."""
    async with info.context.sessions() as session:
        latest = await last_position(session)
        position = position_of(after, latest)
        while True:
            page = await read_after(session, position, wanted, REPLAY_PAGE, until=latest)
            for publication in page:
                yield publication
            if len(page) < REPLAY_PAGE:
                break
            position = page[-1].position
    yield latest


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Les publications, en direct (graphql-transport-ws) ; avec `after`, "
                             "d'abord celles manquées depuis ce curseur, sans trou ni doublon.")  # fmt: skip
    async def publications(
        self, info: GraphQLInfo, filter: PublicationFilterInput | None = None, after: str | None = None
    ) -> AsyncGenerator[PublicationEvent, None]:
        integrator = await require_reader(info.context, shared=True)
        wanted = within_scope((filter or PublicationFilterInput()).to_filter(), integrator)
        async with info.context.publication_feed.subscribe(wanted) as subscriber:  # live events wait meanwhile
            replayed_to = 0
            if after is not None:
                async for item in _replay(info, after, wanted):
                    if isinstance(item, int):
                        replayed_to = item
                    else:
                        yield PublicationEvent.of(item)
            try:
                async for publication in _while_allowed(info, subscriber):
                    if publication.position > replayed_to:
                        yield PublicationEvent.of(publication)
            except SubscriberTooSlowError:
                raise SubscriberTooSlowGraphQLError(
                    "Abonné trop lent : des publications ont été manquées ; reprenez avec `after` et votre dernier "
                    "curseur."
                ) from None


async def _while_allowed(info: GraphQLInfo, subscriber: Subscriber) -> AsyncGenerator[Publication, None]:
    """The subscriber's publications, as long as the caller may still read them: the key or the session is checked
    again every ``GATEWAY_SUBSCRIPTION_RECHECK_SECONDS``, so a revoked key, a logout or a deactivation ends the
    subscription on every gateway process, not only new connections. The subscriptions of one key or session share
    that check (:mod:`gateway.graphql.rechecks`)."""
    context = info.context
    rechecks = context.rechecks or SubscriptionRechecks(context.recheck_seconds)
    with rechecks.follow(_credential(info)) as schedule:
        while True:
            try:
                async with asyncio.timeout(max(0.0, schedule.due - time.monotonic())):
                    publication = await anext(subscriber)
            except TimeoutError:
                if not await rechecks.allowed(schedule, lambda: still_allowed(context)):
                    raise UnauthenticatedError(
                        "Accès révoqué (clé d'API ou session) : l'abonnement est terminé."
                    ) from None
                continue
            yield publication


def _credential(info: GraphQLInfo) -> tuple[str, ...]:
    """What :func:`still_allowed` checks for this caller: its API key, or its agent session."""
    context = info.context
    if context.api_key is not None:
        return ("key", context.api_key)
    if context.claims is not None:
        return ("session", context.claims.account_id, context.claims.session_id)
    return ("nobody", context.request_id, str(id(context)))


@strawberry.type
class PublicationEdge:
    cursor: str
    node: PublicationEvent


@strawberry.type
class PublicationPageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Le curseur à repasser en `after` : celui de la dernière publication rendue, ou `after`."
    )


@strawberry.type
class PublicationConnection:
    edges: list[PublicationEdge]
    page_info: PublicationPageInfo


MAX_PAGE = 100


@strawberry.type
class PublicationQueries:
    @strawberry.field(description="Les publications après un curseur, dans l'ordre (pour les intégrateurs qui "
                      "interrogent) ; mêmes curseurs et identifiants que l'abonnement et Kafka.")  # fmt: skip
    async def events(
        self, info: GraphQLInfo, after: str | None = None, first: int = MAX_PAGE,
        filter: PublicationFilterInput | None = None,
    ) -> PublicationConnection:  # fmt: skip
        integrator = await require_reader(info.context)
        if not 1 <= first <= MAX_PAGE:
            raise InvalidArgumentError(f"first : doit être compris entre 1 et {MAX_PAGE} (reçu {first}).")
        wanted = within_scope((filter or PublicationFilterInput()).to_filter(), integrator)
        async with info.context.sessions() as session:
            start = position_of(after, await last_position(session)) if after is not None else 0
            page = await read_after(session, start, wanted, first + 1)
        edges = [PublicationEdge(cursor=cursor_of(p.position), node=PublicationEvent.of(p)) for p in page[:first]]
        end = edges[-1].cursor if edges else after
        return PublicationConnection(
            edges=edges, page_info=PublicationPageInfo(has_next_page=len(page) > first, end_cursor=end)
        )
