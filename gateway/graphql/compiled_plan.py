"""Plans a compiled read: a validated query of the public catalogue → :class:`CompiledRead`, or why not.

Supported: root fields ``establishments`` (every filter, ``near``, ``first``/``after``), ``node`` and ``nodes``
(establishments, communes, Caf, providers), ``communes`` and ``cafs``; below them the fields of :data:`FIELDS`;
aliases, named and inline fragments (type conditions on the object's type or on ``Node``), variables,
``@skip``/``@include`` and ``__typename``. Anything else, and any argument the normal path would refuse, is
:class:`Unsupported` (with its reason): the normal executor then answers, errors included.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.values import VariableValues, get_argument_values

from gateway.catalogue.selections import (
    CafsRead,
    CommunesRead,
    CompiledRead,
    EstablishmentsRead,
    Member,
    NodeRead,
    NodeSelection,
    NodesRead,
    RootRead,
)
from gateway.graphql.establishment import DEFAULT_AVAILABILITY_DAYS, MAX_AVAILABILITY_DAYS
from gateway.graphql.inputs import DateRangeInput, EstablishmentFilter, GeoPointInput, NearInput
from gateway.graphql.queries import (
    check_cafs_arguments,
    check_communes_arguments,
    check_nodes_arguments,
    establishment_search,
)
from gateway.graphql.relay import from_global_id
from shared.errors import PermanentError

_DOCUMENT_LEAVES = [
    "hoursNote",
    "byAppointment",
    "closurePeriods",
    "closedOnPublicHolidays",
    "capacity",
    "mealsProvided",
    "nappiesProvided",
    "disabilityWelcome",
    "project",
    "providerPresentation",
    "team",
    "nationalFeeScale",
    "fees",
    "funding",
    "admissionConditions",
    "registration",
    "eligibleWorkCommunes",
    "eligibleHomeCommunes",
    "careKinds",
    "languages",
]

FIELDS: dict[str, dict[str, str | None]] = {
    "EstablishmentConnection": {"totalCount": None, "edges": "EstablishmentEdge", "pageInfo": "PageInfo"},
    "EstablishmentEdge": {"cursor": None, "node": "Establishment"},
    "PageInfo": dict.fromkeys(("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")),
    "Establishment": {
        **dict.fromkeys(
            [
                "id",
                "name",
                "category",
                "categoryLabel",
                "eajeType",
                "eajeTypeLabel",
                "sizeClass",
                "parental",
                "occasionalOnly",
                "alshKinds",
                "avip",
                "management",
                "distanceKm",
                "phone",
                "phone2",
                "email",
                "website",
                "capacity",
            ]
        ),
        "address": "Address",
        "location": "GeoPoint",
        "provider": "Provider",
        "caf": "Caf",
        "commune": "Commune",
        "operatingInfo": "OperatingInfo",
        "availabilityStatus": "AvailabilityStatus",
        "availabilities": "Availability",
    },
    "Address": dict.fromkeys(
        ("streetNumber", "streetName", "complement", "postalCode", "communeInsee", "communeName", "oneLine")
    ),
    "GeoPoint": dict.fromkeys(("latitude", "longitude")),
    "Provider": dict.fromkeys(("id", "name", "kind")),
    "Caf": dict.fromkeys(("id", "code", "label", "headOffice", "departements")),
    "Commune": {
        **dict.fromkeys(("id", "insee", "name", "departement", "postalCodes", "population")),
        "location": "GeoPoint",
    },
    "OperatingInfo": {
        **dict.fromkeys(("version", "openingHours", *_DOCUMENT_LEAVES)),
        "weeklyHours": "OpeningSlot",
        "ageMin": "Age",
        "ageMax": "Age",
    },
    "OpeningSlot": dict.fromkeys(("day", "opens", "closes")),
    "Age": dict.fromkeys(("value", "unit", "months")),
    "AvailabilityStatus": dict.fromkeys(("state", "label", "freePlaces", "nextDate")),
    "Availability": dict.fromkeys(("date", "slot", "places", "ageGroup", "careKind", "channel")),
}
"""Per object type, the fields the compiled path builds, and the object type each one selects into (leaves: None).
Not built (normal path): ``updatedAt``/``communicatedAt``/``publishedAt`` (date-times), ``accessibilityUrl``,
``datedClosures``, ``servedCommunes``."""

_NODE_TYPES = frozenset(("Establishment", "Commune", "Caf", "Provider"))


@dataclass(frozen=True)
class Unsupported:
    """Why the normal executor answers this query (a short, stable reason: it labels a metric)."""

    reason: str


class _NotCompiledError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Query:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues
    today: date
    windows: list[tuple[date, date]]


def plan_read(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: VariableValues,
    *,
    today: date,
    now: datetime,
) -> CompiledRead | Unsupported:
    """The compiled read of ``operation`` (already validated, its variables coerced), or why there is none."""
    if operation.operation is not OperationType.QUERY:
        return Unsupported("not-a-query")
    query = _Query(schema, fragments, variables, today, [])
    try:
        grouped = _collect(query, [operation.selection_set], "Query")
        roots = tuple(_root(query, key, nodes) for key, nodes in grouped.items())
    except _NotCompiledError as refusal:
        return Unsupported(refusal.reason)
    if not roots:
        return Unsupported("no-field")
    return CompiledRead(roots=roots, windows=tuple(query.windows), today=today, now=now)


def _root(query: _Query, key: str, nodes: list[FieldNode]) -> RootRead:
    name = nodes[0].name.value
    arguments = _arguments(query, "Query", nodes[0])
    if name == "establishments":
        members = _members(query, nodes, "EstablishmentConnection")
        return EstablishmentsRead(key, _search(query, arguments), members)
    if name == "node":
        type_name, node_key = _node_id(arguments["id"])
        return NodeRead(key, NodeSelection(type_name, _members(query, nodes, type_name)), node_key)
    if name == "nodes":
        _checked(check_nodes_arguments, arguments["ids"])
        ids = tuple(_node_id(global_id) for global_id in arguments["ids"])
        types = sorted({type_name for type_name, _ in ids})
        return NodesRead(key, tuple(NodeSelection(t, _members(query, nodes, t)) for t in types), ids)
    if name == "communes":
        _checked(check_communes_arguments, arguments["search"], arguments["first"])
        return CommunesRead(key, arguments["search"], arguments["first"], _members(query, nodes, "Commune"))
    if name == "cafs":
        _checked(check_cafs_arguments, arguments["first"])
        return CafsRead(key, arguments["first"], _members(query, nodes, "Caf"))
    raise _NotCompiledError(f"root:{name}")


def _checked(check: Callable[..., None], *arguments: Any) -> None:
    """Runs the resolver's own check of its arguments: what it refuses, the normal path answers."""
    try:
        check(*arguments)
    except PermanentError:
        raise _NotCompiledError("invalid-argument") from None


def _node_id(global_id: str) -> tuple[str, str]:
    """(type name, key) of a global ID naming a public object."""
    try:
        type_name, key = from_global_id(global_id)
    except PermanentError:
        raise _NotCompiledError("invalid-argument") from None
    if type_name not in _NODE_TYPES:
        raise _NotCompiledError("invalid-argument")
    return type_name, key


def _search(query: _Query, arguments: dict[str, Any]) -> Any:
    given = arguments.get("filter")
    near = arguments.get("near")
    try:
        return establishment_search(
            query.today,
            arguments["first"],
            arguments.get("after"),
            _filter(given) if given is not None else None,
            _near(near) if near is not None else None,
        )
    except PermanentError:
        raise _NotCompiledError("invalid-argument") from None


def _filter(given: dict[str, Any]) -> EstablishmentFilter:
    free = given.get("freePlaces")
    return EstablishmentFilter(
        departement=given.get("departement"),
        commune_insee=given.get("communeInsee"),
        postal_code=given.get("postalCode"),
        categories=given.get("categories"),
        eaje_types=given.get("eajeTypes"),
        child_age_months=given.get("childAgeMonths"),
        free_places=DateRangeInput(from_=free["from"], to=free["to"]) if free is not None else None,
    )


def _near(near: dict[str, Any]) -> NearInput:
    points = [GeoPointInput(latitude=p["latitude"], longitude=p["longitude"]) for p in near["points"]]
    return NearInput(points=points, radius_km=near["radiusKm"])


def _members(query: _Query, nodes: Iterable[FieldNode], type_name: str) -> tuple[Member, ...]:
    sets = [node.selection_set for node in nodes if node.selection_set is not None]
    return tuple(_member(query, key, group, type_name) for key, group in _collect(query, sets, type_name).items())


def _member(query: _Query, key: str, nodes: list[FieldNode], type_name: str) -> Member:
    name = nodes[0].name.value
    if name == "__typename":
        return Member(key, name, type_name=type_name)
    fields = FIELDS.get(type_name, {})
    if name not in fields:
        raise _NotCompiledError(f"field:{type_name}.{name}")
    child = fields[name]
    members = _members(query, nodes, child) if child is not None else ()
    window = _window(query, _arguments(query, type_name, nodes[0])) if name == "availabilities" else None
    return Member(key, name, members, window, type_name)


def _window(query: _Query, arguments: dict[str, Any]) -> int:
    """The days ``availabilities(from:, to:)`` covers, as the resolver computes them (its errors: normal path)."""
    start = arguments.get("from") or query.today
    end = arguments.get("to") or start + timedelta(days=DEFAULT_AVAILABILITY_DAYS - 1)
    if end < start or (end - start).days >= MAX_AVAILABILITY_DAYS:
        raise _NotCompiledError("invalid-argument")
    query.windows.append((start, end))
    return len(query.windows) - 1


def _arguments(query: _Query, type_name: str, node: FieldNode) -> dict[str, Any]:
    owner = query.schema.get_type(type_name)
    assert isinstance(owner, GraphQLObjectType)
    return get_argument_values(owner.fields[node.name.value], node, query.variables)


def _collect(query: _Query, sets: Iterable[SelectionSetNode], type_name: str) -> dict[str, list[FieldNode]]:
    """The fields of ``sets`` on an object of ``type_name``, grouped by response key in document order."""
    grouped: dict[str, list[FieldNode]] = {}
    for selection_set in sets:
        _collect_into(query, selection_set, type_name, grouped)
    return grouped


def _collect_into(
    query: _Query, selection_set: SelectionSetNode, type_name: str, grouped: dict[str, list[FieldNode]]
) -> None:
    for selection in selection_set.selections:
        if not _included(query, selection):
            continue
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if _applies(condition, type_name):
                _collect_into(query, selection.selection_set, type_name, grouped)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = query.fragments[selection.name.value]
            if fragment.variable_definitions:
                raise _NotCompiledError("fragment-variables")
            if _applies(fragment.type_condition.name.value, type_name):
                _collect_into(query, fragment.selection_set, type_name, grouped)


def _applies(condition: str | None, type_name: str) -> bool:
    return condition is None or condition == type_name or (condition == "Node" and type_name in _NODE_TYPES)


def _included(query: _Query, selection: SelectionNode) -> bool:
    included = True
    for directive in selection.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            raise _NotCompiledError(f"directive:{name}")
        (argument,) = directive.arguments or ()
        value = argument.value
        if isinstance(value, VariableNode):
            condition = bool(query.variables.coerced[value.name.value])
        elif isinstance(value, BooleanValueNode):
            condition = value.value
        else:  # pragma: no cover - validation allows nothing else
            raise _NotCompiledError("directive-argument")
        included = included and (condition if name == "include" else not condition)
    return included
