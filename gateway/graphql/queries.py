"""The public read API: ``node``/``nodes``, ``establishments``, ``communes``, ``cafs``, ``service``."""

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from gateway import __version__
from gateway.catalogue import repositories
from gateway.catalogue.domain import Area, GeoPoint, distance_km
from gateway.catalogue.records import CafRecord, CommuneRecord, EstablishmentRecord
from gateway.catalogue.search import EstablishmentSearch, InvalidSearchError
from gateway.graphql.establishment import Establishment
from gateway.graphql.inputs import EstablishmentFilter, NearInput
from gateway.graphql.operating_info import document_keys
from gateway.graphql.relay import InvalidArgumentError, decode_cursor, encode_cursor, from_global_id
from gateway.graphql.types import Caf, Commune, GraphQLInfo, Node, Provider
from shared.db import retry_once_if_disconnected
from shared.graphql_contract import PageInfo

MAX_NODES = 100
MAX_COMMUNES = 50
MAX_CAFS = 200


@strawberry.type(description="What answers at this endpoint.")
class ServiceInfo:
    name: str = strawberry.field(description="Name of the service.")
    version: str = strawberry.field(description="Version of the running code.")


@strawberry.type
class EstablishmentEdge:
    cursor: str
    node: Establishment


@strawberry.type(description="Une page de structures.")
class EstablishmentConnection:
    edges: list[EstablishmentEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Nombre total de structures correspondant à la recherche.")


@strawberry.type
class CatalogueQueries:
    @strawberry.field(description="The service answering this API and its version.")
    def service(self) -> ServiceInfo:
        return ServiceInfo(name="structures-gateway", version=__version__)

    @strawberry.field(description="Un objet par son identifiant global.")
    async def node(self, info: GraphQLInfo, id: strawberry.ID) -> Node | None:
        return await _node(info, id, "id")

    @strawberry.field(description=f"Des objets par leurs identifiants globaux ({MAX_NODES} au plus).")
    async def nodes(self, info: GraphQLInfo, ids: list[strawberry.ID]) -> list[Node | None]:
        check_nodes_arguments(ids)
        return list(await asyncio.gather(*(_node(info, global_id, "ids") for global_id in ids)))

    @strawberry.field(description="Recherche de structures : filtres, « près de chez moi », pagination par curseur.")
    async def establishments(
        self,
        info: GraphQLInfo,
        first: int = 20,
        after: str | None = None,
        filter: EstablishmentFilter | None = None,
        near: NearInput | None = None,
    ) -> EstablishmentConnection:
        search = establishment_search(info.context.today, first, after, filter, near)
        with_summary = _selects(info.selected_fields, "availabilityStatus")
        with_total = _selects(info.selected_fields, "totalCount")  # an unselected count is never serialised

        async def read() -> tuple[list[EstablishmentRecord], int]:
            async with info.context.read_sessions() as session:  # one connection for both statements
                if info.context.reads is None:  # the read engine's connections are in autocommit already
                    await repositories.read_without_transaction(session)
                records = await repositories.list_establishments(session, search, with_summary=with_summary)
                return records, await repositories.count_establishments(session, search) if with_total else 0

        records, total = await retry_once_if_disconnected(read)
        page = records[: search.first]
        with_cursors = _selects(info.selected_fields, "cursor")  # an unselected cursor is never serialised
        with_info = _selects(info.selected_fields, "operatingInfo")
        info_keys = document_keys(_fields_under(info.selected_fields, "operatingInfo")) if with_info else None
        edges = [
            EstablishmentEdge(
                cursor=encode_cursor(r.sort_key) if with_cursors else "",
                node=_node_of(r, search, info_keys, with_info=with_info),
            )
            for r in page
        ]
        page_info = PageInfo(
            has_next_page=len(records) > search.first,
            has_previous_page=after is not None,
            start_cursor=encode_cursor(page[0].sort_key) if page else None,
            end_cursor=encode_cursor(page[-1].sort_key) if page else None,
        )
        return EstablishmentConnection(total_count=total, edges=edges, page_info=page_info)

    @strawberry.field(description="Communes dont le nom ou le code postal commence par le texte saisi.")
    async def communes(
        self,
        info: GraphQLInfo,
        search: Annotated[str, strawberry.argument(description="2 caractères au moins.")],
        first: int = 10,
    ) -> list[Commune]:
        check_communes_arguments(search, first)

        async def read() -> list[CommuneRecord]:
            async with info.context.read_sessions() as session:
                return await repositories.search_communes(session, search, first)

        return [Commune.from_record(r) for r in await retry_once_if_disconnected(read)]

    @strawberry.field(description="Les Caf et leur territoire.")
    async def cafs(self, info: GraphQLInfo, first: int = MAX_CAFS) -> list[Caf]:
        check_cafs_arguments(first)

        async def read() -> list[CafRecord]:
            async with info.context.read_sessions() as session:
                return await repositories.list_cafs(session, first)

        return [Caf.from_record(r) for r in await retry_once_if_disconnected(read)]


def check_nodes_arguments(ids: Sequence[str]) -> None:
    """Refuses what ``nodes`` refuses (the compiled read path checks the same)."""
    if len(ids) > MAX_NODES:
        raise InvalidArgumentError(f"ids : {MAX_NODES} identifiants au plus à la fois.")


def check_communes_arguments(search: str, first: int) -> None:
    if not 1 <= first <= MAX_COMMUNES:
        raise InvalidArgumentError(f"first : doit être compris entre 1 et {MAX_COMMUNES} (reçu {first}).")
    if len(search.strip()) < 2 or len(search) > 100:
        raise InvalidArgumentError("search : de 2 à 100 caractères.")


def check_cafs_arguments(first: int) -> None:
    if not 1 <= first <= MAX_CAFS:
        raise InvalidArgumentError(f"first : doit être compris entre 1 et {MAX_CAFS} (reçu {first}).")


def establishment_search(
    today: date, first: int, after: str | None, filter: EstablishmentFilter | None, near: NearInput | None
) -> EstablishmentSearch:
    """The search ``establishments(...)`` asks for, validated (the compiled read path builds the same one)."""
    given = filter or EstablishmentFilter()
    area = None
    if near is not None:
        points = tuple(GeoPoint(p.latitude, p.longitude) for p in near.points)
        area = Area(points=points, radius_km=near.radius_km)
    free = (given.free_places.from_, given.free_places.to) if given.free_places else None
    try:
        return EstablishmentSearch(
            first=first,
            after=decode_cursor(after, numeric_first=area is not None) if after is not None else None,
            departement=given.departement,
            commune_insee=given.commune_insee,
            postal_code=given.postal_code,
            categories=tuple(given.categories or ()),
            eaje_types=tuple(given.eaje_types or ()),
            child_age_months=given.child_age_months,
            free_between=free,
            area=area,
            today=today,
        )
    except InvalidSearchError as error:
        raise InvalidArgumentError(str(error)) from None


def _selects(selections: Sequence[Selection], name: str) -> bool:
    """Whether ``name`` is asked for anywhere below ``selections`` (fields and fragments alike)."""
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name == name:
            return True
        if _selects(selection.selections, name):
            return True
    return False


def _fields_under(selections: Sequence[Selection], name: str) -> set[str]:
    """The names of the fields selected right under every field ``name`` below ``selections`` (fragments opened,
    whatever their directives: a superset)."""
    found: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name == name:
            found |= _direct_fields(selection.selections)
        found |= _fields_under(selection.selections, name)
    return found


def _direct_fields(selections: Sequence[Selection]) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:  # a fragment: its fields are the field's
            names |= _direct_fields(selection.selections)
    return names


def _node_of(
    record: EstablishmentRecord, search: EstablishmentSearch, info_keys: frozenset[str] | None, *, with_info: bool
) -> Establishment:
    distance = None
    if search.area is not None:
        here = GeoPoint(record.latitude, record.longitude)
        distance = min(distance_km(point, here) for point in search.area.points)
    return Establishment.from_record(record, distance, info_keys, with_info=with_info)


async def _node(info: GraphQLInfo, global_id: str, argument: str) -> Node | None:
    type_name, key = from_global_id(global_id, argument=argument)
    loaders = info.context.loaders
    if type_name == "Establishment":
        establishment = await loaders.establishments.load(key)
        if establishment is None:
            return None
        with_info = _selects(info.selected_fields, "operatingInfo")
        info_keys = document_keys(_fields_under(info.selected_fields, "operatingInfo")) if with_info else None
        return Establishment.from_record(establishment, None, info_keys, with_info=with_info)
    if type_name == "Commune":
        commune = await loaders.communes.load(key)
        return Commune.from_record(commune) if commune else None
    if type_name == "Caf":
        caf = await loaders.cafs.load(key)
        return Caf.from_record(caf) if caf else None
    if type_name == "Provider":
        provider = await loaders.providers.load(key)
        return Provider.from_record(provider) if provider else None
    raise InvalidArgumentError(f"{argument} : « {global_id} » n'est l'identifiant d'aucun type connu.")
