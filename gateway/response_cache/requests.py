"""Which requests the cache may answer, their key and their tags (from the operation and its variables).

Cacheable: a query whose root fields are all public catalogue fields (``establishments``, ``node``/``nodes`` of
establishments, communes or Caf, ``communes``, ``cafs``, ``service``, ``__typename``). The key is the SHA-256 of
the document's SHA-256, the operation name, the variables in canonical JSON and the Europe/Paris date. Variables
are canonical as *coerced by the operation's declarations*: keys sorted, undeclared variables dropped, declared ones
left out by the client replaced by their default — so ``{}`` and ``{"first": 20}`` share an entry when ``$first``
defaults to 20; the values themselves are compared as JSON (``20`` and ``20.0`` are two entries, both exact).

An answer reads availabilities when its selection names one of :data:`AVAILABILITY_FIELDS` anywhere (through
fragments, whatever their type condition or directives: a superset is safe) or an ``establishments`` filter asks for
free places; only answers that do not are kept through a publication of availabilities.
"""

import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from graphql.utilities import value_from_ast_untyped

from gateway.response_cache.tags import ListCriteria, establishment_tag, list_tags, union
from shared.relay import InvalidArgumentError, from_global_id

PUBLIC_ROOTS = frozenset({"__typename", "service", "communes", "cafs", "node", "nodes", "establishments"})
STATIC_NODES = frozenset({"Commune", "Caf"})
"""Reference data: loaded once, never changed by a publication."""
DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 30.0
NOT_CACHEABLE = None
AVAILABILITY_FIELDS = frozenset({"availabilities", "availabilityStatus"})
"""The fields whose value a publication of availabilities changes (``Establishment``'s; any field of that name, on
any type, counts)."""


class NotCacheableError(Exception):
    """The request is valid or not, but the cache does not answer it: it goes to the executor untouched."""


@dataclass(frozen=True)
class _Operation:
    fields: tuple[FieldNode, ...]
    defaults: Mapping[str, Any]
    declared: frozenset[str]
    selects_availabilities: bool = True


@dataclass(frozen=True)
class CacheableRequest:
    key: str
    operation: _Operation
    variables: dict[str, Any]

    def tags(self) -> frozenset[str]:
        """What the answer depends on, from the arguments (computed on a miss only); :class:`NotCacheableError`
        when an argument names something the cache does not follow (a provider's node)."""
        try:
            return union(_field_tags(field, self.variables) for field in self.operation.fields)
        except (ValueError, TypeError, OverflowError):  # arguments the executor will refuse: nothing to store
            raise NotCacheableError from None

    def circles(self) -> tuple[tuple[float, float, float], ...]:
        """The « near » circles of an answer that is one ``establishments`` list (else none: nothing to test)."""
        if len(self.operation.fields) != 1 or self.operation.fields[0].name.value != "establishments":
            return ()
        field = self.operation.fields[0]
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, self.variables)
            for argument in field.arguments or ()
        }
        try:
            return _circles(arguments.get("near"))
        except NotCacheableError:
            return ()

    def full_page(self, answer: Any) -> list[str] | None:
        """The establishments (keys, in order) of ``answer`` when it is one « near » list's first page, full, that
        shows nothing but its edges' nodes (no count, no page info, no cursor: nothing a ranking beyond the page
        changes); else None. Whatever is not of exactly this shape is None."""
        if not self.circles():
            return None
        field = self.operation.fields[0]
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, self.variables)
            for argument in field.arguments or ()
        }
        first = arguments.get("first", 20)
        if arguments.get("after") is not None or not isinstance(first, int) or isinstance(first, bool) or first < 1:
            return None
        edges = _only(field.selection_set, "edges")
        node = _only(edges.selection_set if edges else None, "node")
        if (
            node is None
            or node.selection_set is None
            or not any(
                isinstance(s, FieldNode) and s.name.value == "id" and s.alias is None and not s.directives
                for s in node.selection_set.selections
            )
        ):
            return None
        try:
            shown = answer["data"][(field.alias or field.name).value]["edges"]
            ids = [from_global_id(edge["node"]["id"], argument="id") for edge in shown]
        except (KeyError, TypeError, InvalidArgumentError):
            return None
        if len(ids) != first or any(type_name != "Establishment" for type_name, _ in ids):
            return None
        return [key for _, key in ids]

    def reads_availabilities(self) -> bool:
        """Whether a publication of availabilities may change the answer (see the module's docstring)."""
        if self.operation.selects_availabilities:
            return True
        return any(_asks_free_places(field, self.variables) for field in self.operation.fields)


class RequestReader:
    """Reads GraphQL-over-HTTP parameters (a POST body or a GET's query parameters, ``documentId`` resolved by the
    caller) into a :class:`CacheableRequest`. Documents and their operations are kept in a bounded LRU."""

    def __init__(self, capacity: int = 512) -> None:
        self._capacity = capacity
        self._operations: OrderedDict[tuple[str, str | None], _Operation | None] = OrderedDict()

    def read(self, document: str, operation_name: Any, variables: Any, today: date) -> CacheableRequest | None:
        if not (operation_name is None or isinstance(operation_name, str)):
            return NOT_CACHEABLE
        if not (variables is None or isinstance(variables, dict)):
            return NOT_CACHEABLE
        digest = hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()  # JSON may hold « \\ud800 »
        operation = self._operation(digest, document, operation_name)
        if operation is None:
            return NOT_CACHEABLE
        values = _coerced(operation, variables or {})
        try:
            canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN or Infinity: not JSON, the executor says so
            return NOT_CACHEABLE
        material = "\0".join((digest, operation_name or "", canonical, today.isoformat()))
        return CacheableRequest(
            hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest(), operation, values
        )

    def _operation(self, digest: str, document: str, name: str | None) -> _Operation | None:
        known = (digest, name)
        if known in self._operations:
            self._operations.move_to_end(known)
            return self._operations[known]
        try:
            parsed = parse(document, no_location=True, max_tokens=10_000)
        except (GraphQLError, RecursionError):
            operation = None
        else:
            operation = _operation(parsed, name)
        self._operations[known] = operation
        if len(self._operations) > self._capacity:
            self._operations.popitem(last=False)
        return operation


def _operation(document: DocumentNode, name: str | None) -> _Operation | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if name is None or (o.name is not None and o.name.value == name)]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    fields = _root_fields(chosen[0].selection_set, fragments, set())
    if fields is None or any(field.name.value not in PUBLIC_ROOTS for field in fields):
        return None
    definitions = chosen[0].variable_definitions or ()
    defaults = {d.variable.name.value: value_from_ast_untyped(d.default_value) for d in definitions if d.default_value}
    selects = _names_any(chosen[0].selection_set, AVAILABILITY_FIELDS, fragments, set())
    return _Operation(tuple(fields), defaults, frozenset(d.variable.name.value for d in definitions), selects)


def _names_any(
    selections: SelectionSetNode,
    names: frozenset[str],
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> bool:
    """Whether a field of one of ``names`` is selected at any depth; True when a fragment is unknown (the
    validator refuses the document, but nothing is assumed about it)."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in names:
                return True
            inner = selection.selection_set
        elif isinstance(selection, InlineFragmentNode):
            inner = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            if selection.name.value in seen:
                continue  # already walked (or in a cycle, which the validator refuses)
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                return True
            inner = fragment.selection_set
        else:
            return True
        if inner is not None and _names_any(inner, names, fragments, seen):
            return True
    return False


def _root_fields(
    selections: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> list[FieldNode] | None:
    """Every root field, through fragments (whatever their ``@include``/``@skip``: a superset is safe)."""
    fields: list[FieldNode] = []
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            fields.append(selection)
            continue
        if isinstance(selection, InlineFragmentNode):
            inner = _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            seen.add(selection.name.value)
            inner = _root_fields(fragment.selection_set, fragments, seen) if fragment else None
        else:
            inner = None  # a fragment spread twice, or in a cycle: leave it to the validator
        if inner is None:
            return None
        fields.extend(inner)
    return fields


def _coerced(operation: _Operation, given: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: value for name, value in given.items() if name in operation.declared}
    for name, default in operation.defaults.items():
        values.setdefault(name, default)
    return values


def _field_tags(field: FieldNode, variables: dict[str, Any]) -> frozenset[str]:
    arguments = {
        argument.name.value: value_from_ast_untyped(argument.value, variables) for argument in field.arguments or ()
    }
    name = field.name.value
    if name == "node":
        return _node_tags([arguments.get("id")])
    if name == "nodes":
        ids = arguments.get("ids")
        return _node_tags(ids if isinstance(ids, list) else [ids])
    if name == "establishments":
        return list_tags(_criteria(arguments.get("filter"), arguments.get("near")))
    return frozenset()  # service, communes, cafs, __typename: reference data and constants


def _only(selections: SelectionSetNode | None, name: str) -> FieldNode | None:
    """The one field of ``selections`` when it is ``name`` (no alias, no directive) beside ``__typename`` at most."""
    if selections is None:
        return None
    found = None
    for selection in selections.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            return None
        if selection.name.value == "__typename":
            continue
        if selection.name.value != name or selection.alias is not None or found is not None:
            return None
        found = selection
    return found


def _asks_free_places(field: FieldNode, variables: dict[str, Any]) -> bool:
    """Whether an ``establishments`` field's filter asks for free places (anything but an object without them,
    or no filter at all, counts as asking)."""
    if field.name.value != "establishments":
        return False
    for argument in field.arguments or ():
        if argument.name.value == "filter":
            given = value_from_ast_untyped(argument.value, variables)
            return given is not None and not (isinstance(given, dict) and given.get("freePlaces") is None)
    return False


def _node_tags(ids: list[Any]) -> frozenset[str]:
    tags = set()
    for global_id in ids:
        if not isinstance(global_id, str):
            raise NotCacheableError
        try:
            type_name, key = from_global_id(global_id, argument="id")
        except InvalidArgumentError:
            raise NotCacheableError from None
        if type_name == "Establishment":
            tags.add(establishment_tag(_uuid(key)))
        elif type_name not in STATIC_NODES:
            raise NotCacheableError
    return frozenset(tags)


def _uuid(key: str) -> str:
    """The canonical spelling publications use; a key that is no UUID names no establishment: not cached."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        raise NotCacheableError from None


def _criteria(filter: Any, near: Any) -> ListCriteria:
    """The place criteria; anything not of the expected shape makes the search « all » (every publication)."""
    given = filter if isinstance(filter, dict) else {}
    categories = given.get("categories")
    if isinstance(categories, str):
        categories = [categories]
    if not (isinstance(categories, list) and all(isinstance(c, str) for c in categories)):
        categories = []
    return ListCriteria(
        commune_insee=_text(given.get("communeInsee")),
        postal_code=_text(given.get("postalCode")),
        circles=_circles(near),
        departement=_text(given.get("departement")),
        categories=tuple(sorted(set(categories))),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _circles(near: Any) -> tuple[tuple[float, float, float], ...]:
    if not isinstance(near, dict):
        return ()
    given = near.get("radiusKm", DEFAULT_RADIUS_KM)
    radius = float(given) if _number(given) and 0 < given <= MAX_RADIUS_KM else MAX_RADIUS_KM
    points = near.get("points")
    if isinstance(points, dict):
        points = [points]
    if not isinstance(points, list):
        return ()
    circles = []
    for point in points:
        latitude: Any = point.get("latitude") if isinstance(point, dict) else None
        longitude: Any = point.get("longitude") if isinstance(point, dict) else None
        if not (_number(latitude) and _number(longitude)):
            raise NotCacheableError
        circles.append((float(latitude), float(longitude), radius))
    return tuple(circles)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
