"""Compiled reads of the catalogue's reference objects: communes, Caf and providers, as JSON text (PostgreSQL).

Used for the ``communes`` and ``cafs`` lists, for ``node``/``nodes`` naming one of them, and for the objects an
establishment links to. The rows are those of :mod:`gateway.catalogue.repositories` (same filters, order, limits);
each object is written as :mod:`gateway.catalogue.compiled_json` writes values.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.sql.selectable import CTE, Subquery

from gateway.catalogue import repositories
from gateway.catalogue.compiled_json import (
    Json,
    geo_point,
    global_id,
    json_array,
    json_object,
    json_value,
    sql,
    text_json,
    words,
)
from gateway.catalogue.selections import CafsRead, CommunesRead, Member, NodeSelection
from gateway.catalogue.tables import cafs, communes, departements, providers

Column = ColumnElement[Any]


@dataclass(frozen=True)
class CommuneColumns:
    insee: Column
    name: Column
    departement: Column
    population: Column
    latitude: Column
    longitude: Column
    postal_codes: Column


def commune(members: Sequence[Member], columns: CommuneColumns) -> Json:
    """A ``Commune`` of ``members`` (``Commune.from_record``: the postal codes are the stored text's words)."""
    plain = {
        "insee": columns.insee,
        "name": columns.name,
        "departement": columns.departement,
        "population": columns.population,
    }

    def value_of(member: Member) -> Json:
        if member.field == "id":
            return global_id("Commune", columns.insee)
        if member.field == "location":
            return geo_point(member.members, columns.latitude, columns.longitude)
        if member.field == "postalCodes":
            return words(columns.postal_codes)
        return json_value(plain[member.field])

    return json_object(members, value_of)


def caf(members: Sequence[Member], code: Column, label: Column, head_office: Column) -> Json:
    """A ``Caf`` of ``members``; its ``departements`` by code, as the loader reads them."""
    plain = {"code": code, "label": label, "headOffice": head_office}

    def value_of(member: Member) -> Json:
        if member.field == "id":
            return global_id("Caf", code)
        if member.field == "departements":
            d = departements.c
            return json_array(text_json(d.code), departements, [d.code], d.caf_code == code)
        return json_value(plain[member.field])

    return json_object(members, value_of)


def provider(members: Sequence[Member], key: Column, name: Column, kind: Column) -> Json:
    plain = {"name": name, "kind": kind}
    return json_object(members, lambda m: global_id("Provider", key) if m.field == "id" else json_value(plain[m.field]))


def communes_list(root: CommunesRead, value: repositories.Value, name: str) -> Json:
    """``communes(search:, first:)``: the most populated first, as :func:`repositories.search_communes`."""
    rows = repositories.communes_query(root.text, root.first, value).subquery(name)
    order = [rows.c.population.desc(), rows.c.insee]
    return json_array(commune(root.members, _commune_columns(rows)), rows, order)


def cafs_list(root: CafsRead, value: repositories.Value, name: str) -> Json:
    """``cafs(first:)``: by code, as :func:`repositories.list_cafs`."""
    rows = repositories.cafs_query(root.first, value).subquery(name)
    return json_array(caf(root.members, rows.c.code, rows.c.label, rows.c.head_office), rows, [rows.c.code])


def reference_node(selection: NodeSelection, key: Column, name: str) -> Json:
    """A commune, a Caf or a provider by its key (``key``: a parameter or a column), or ``null`` when there is
    none; the rows the loaders read (``get_communes``, ``get_cafs``, ``get_providers``)."""
    members = selection.members
    if selection.type_name == "Commune":
        rows = select(communes).where(communes.c.insee == key).subquery(name)
        found = commune(members, _commune_columns(rows))
    elif selection.type_name == "Caf":
        rows = select(cafs).where(cafs.c.code == key).subquery(name)
        found = caf(members, rows.c.code, rows.c.label, rows.c.head_office)
    else:
        assert selection.type_name == "Provider", selection.type_name
        rows = select(providers).where(providers.c.id == key).subquery(name)
        found = provider(members, rows.c.id, rows.c.name, rows.c.kind)
    return func.coalesce(select(found).select_from(rows).limit(1).scalar_subquery(), sql("'null'"))


def _commune_columns(rows: Subquery | CTE) -> CommuneColumns:
    c = rows.c
    return CommuneColumns(c.insee, c.name, c.departement, c.population, c.latitude, c.longitude, c.postal_codes)
