"""The operating-information document's GraphQL types, input and output, derived from its one model.

Field names, types, defaults and descriptions (the French labels) come from ``shared.operating_info``; a field
added there appears here. The output adds what publication knows: the version, when, the OpenStreetMap
``openingHours`` (and the slots as ``weeklyHours``), each age in months.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import strawberry
from pydantic import BaseModel
from strawberry.experimental import pydantic
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.utils.str_converters import to_camel_case

from gateway.catalogue.records import OperatingInfoRecord
from gateway.graphql import enums  # noqa: F401  (the document's enumerations, exposed with their labels)
from shared import operating_info as model


@pydantic.input(model=model.OpeningSlot, all_fields=True, description="Un créneau d'ouverture.")
class OpeningSlotInput:
    pass


@pydantic.input(model=model.Age, all_fields=True, description="Un âge d'accueil.")
class AgeInput:
    pass


@pydantic.input(model=model.DatedClosure, all_fields=True, description="Une fermeture datée.")
class DatedClosureInput:
    pass


@pydantic.input(model=model.ServedCommune, all_fields=True, description="Commune desservie.")
class ServedCommuneInput:
    pass


@pydantic.input(
    model=model.OperatingInfoDocument,
    all_fields=True,
    description="Les modalités de fonctionnement complètes : elles remplaceront la version publiée.",
)
class OperatingInfoInput:
    pass


@pydantic.type(model=model.OpeningSlot, all_fields=True, description="Un créneau d'ouverture.")
class OpeningSlot:
    pass


@pydantic.type(
    model=model.DatedClosure, all_fields=True, description="Une fermeture datée (pont, journée pédagogique…)."
)
class DatedClosure:
    pass


@pydantic.type(model=model.Age, all_fields=True, description="Un âge d'accueil.")
class Age:
    months: int = strawberry.field(description="L'âge en mois entiers.")


@pydantic.type(model=model.ServedCommune, all_fields=True, description="Commune desservie.")
class ServedCommune:
    pass


@pydantic.type(
    model=model.OperatingInfoDocument,
    all_fields=True,
    description="Modalités de fonctionnement publiées (validées par la Caf).",
)
class OperatingInfo:
    version: int
    published_at: datetime
    opening_hours: str
    weekly_hours: list[OpeningSlot] = strawberry.field(description="Créneaux d'ouverture par jour.")
    accessibility_url: str | None


# A field of the model given another type keeps the model's description (strawberry's pydantic integration).
for _field in OperatingInfo.__strawberry_definition__.fields:  # type: ignore[attr-defined]
    if _field.python_name == "opening_hours":
        _field.description = "Horaires au format OpenStreetMap `opening_hours` (les créneaux sont dans weeklyHours)."


def operating_info(record: OperatingInfoRecord, keys: frozenset[str] | None = None) -> OperatingInfo:
    """The published version as GraphQL objects (its stored JSON was validated by the model when written).

    ``keys``: the stored document's keys the selected fields show (:func:`document_keys`), the only ones validated
    again and converted (the model's validation and the conversion are most of the cost of a published version in a
    list); the other fields are left ``None``, which nobody reads. ``None``: the whole document."""
    stored = record.document if keys is None else {k: v for k, v in record.document.items() if k in keys}
    document = model.OperatingInfoDocument.model_validate(stored)
    url = document.accessibility_url
    published: OperatingInfo = _document_fields(document) if keys is None else _document_fields_among(document, keys)
    published.version = record.version
    published.published_at = record.published_at
    published.opening_hours = record.opening_hours
    published.weekly_hours = _slots(document.opening_hours)
    published.accessibility_url = None if url is None else str(url)
    return published


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _converter(annotation: object) -> Convert:
    """How a model's value becomes the value of a field of this GraphQL type: worked out once per field, where
    strawberry's ``from_pydantic`` works it out again for every field of every object it converts."""
    if isinstance(annotation, StrawberryOptional):
        inner = _converter(annotation.of_type)
        return lambda value: None if value is None else inner(value)
    if isinstance(annotation, StrawberryList):
        item = _converter(annotation.of_type)
        return lambda values: [item(value) for value in values]
    if has_object_definition(annotation):
        return _object_converter(annotation)
    return _same  # scalars and enumerations are the model's values


_DERIVED: dict[type, dict[str, Callable[[Any], Any]]] = {Age: {"months": model.Age.in_months}}
"""Fields a type adds to its model's, from the model instance (plain fields: they cost the executor less than
resolvers)."""


def _object_converter(cls: type) -> Convert:
    """``cls`` (a type of the model's) from a model instance; fields the model lacks are derived (:data:`_DERIVED`)
    or ``None`` (set after)."""
    among = _object_converter_among(cls)
    return lambda instance: among(instance, None)


_Plan = tuple[list[str], list[tuple[str, Convert]]]
"""The fields a conversion copies, and those it converts."""
PLANS_KEPT = 64
"""Selections of a type's fields whose conversion is kept worked out (a cleared cache beyond that)."""


def _object_converter_among(cls: type) -> Callable[[BaseModel, frozenset[str] | None], Any]:
    """As :func:`_object_converter`, converting only the model's fields named (all of them for ``None``): the others
    are ``None``."""
    in_model = cls._pydantic_type.model_fields  # type: ignore[attr-defined]
    derived = _DERIVED.get(cls, {})
    fields = [f for f in cls.__strawberry_definition__.fields if f.init]  # type: ignore[attr-defined]
    absent = dict.fromkeys(f.python_name for f in fields if f.python_name not in in_model | derived.keys())
    given = [(f.python_name, _converter(f.type)) for f in fields if f.python_name in in_model]
    copied = [name for name, convert_field in given if convert_field is _same]
    converted = [(name, convert_field) for name, convert_field in given if convert_field is not _same]
    nothing = dict.fromkeys(in_model.keys() & {f.python_name for f in fields}) | absent
    plans: dict[frozenset[str], _Plan] = {}  # by ``only``: a request's selection gives one set for all its rows

    def plan(only: frozenset[str] | None) -> _Plan:
        if only is None:
            return copied, converted
        found = plans.get(only)
        if found is None:
            if len(plans) >= PLANS_KEPT:
                plans.clear()
            found = plans[only] = [n for n in copied if n in only], [(n, c) for n, c in converted if n in only]
        return found

    def convert(instance: BaseModel, only: frozenset[str] | None) -> Any:
        values = instance.__dict__  # a pydantic model's field values
        names, conversions = plan(only)
        kwargs = nothing | {name: values[name] for name in names}
        for name, convert_field in conversions:
            kwargs[name] = convert_field(values[name])
        for name, derive in derived.items():
            kwargs[name] = derive(instance)
        return cls(**kwargs)

    return convert


_document_fields = _object_converter(OperatingInfo)
_document_fields_among = _object_converter_among(OperatingInfo)
_slots = _converter(OperatingInfo.__strawberry_definition__.get_field("weekly_hours").type)  # type: ignore[attr-defined]


def _document_keys_of_fields() -> dict[str, frozenset[str]]:
    """GraphQL name of each field of :class:`OperatingInfo` → the stored document's keys it is built from."""
    own = {"version": (), "published_at": (), "opening_hours": (), "weekly_hours": ("opening_hours",)}
    keys: dict[str, frozenset[str]] = {"__typename": frozenset()}
    for definition in OperatingInfo.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        name = definition.python_name
        from_document = own.get(name, (name,) if name in model.OperatingInfoDocument.model_fields else None)
        if from_document is not None:
            keys[definition.graphql_name or to_camel_case(name)] = frozenset(from_document)
    return keys


_DOCUMENT_KEYS = _document_keys_of_fields()


def document_keys(selected: Iterable[str]) -> frozenset[str] | None:
    """The stored document's keys that the fields ``selected`` of :class:`OperatingInfo` (GraphQL names) show;
    ``None`` (the whole document) when one of them is not known here."""
    keys: set[str] = set()
    for name in selected:
        found = _DOCUMENT_KEYS.get(name)
        if found is None:
            return None
        keys |= found
    return frozenset(keys)
