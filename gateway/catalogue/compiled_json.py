"""JSON text as SQL expressions: the building blocks of the compiled read path's statements (PostgreSQL).

Every value is written as the normal path's JSON encoder writes it: strings and enums through ``to_json``, labels
and constants pre-serialised here, floats with Python's ``repr`` (shortest round-trip digits, ``.0`` on whole
numbers), IDs in unpadded URL-safe base64. Non-ASCII characters are left as they are: the caller escapes them as
Python's ``json.dumps`` does.
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Numeric, Text, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.sql import FromClause, operators
from sqlalchemy.sql.elements import ClauseList, Grouping

from gateway.catalogue.selections import Member
from gateway.catalogue.vocabulary import LABELS, AvailabilityState, Category, EajeType

Json = ColumnElement[str]
Part = Json | str
KEY = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
"""A response key as GraphQL names are written: it goes into the SQL text as it is."""


def sql_string(text: str) -> str:
    """A constant of this module (never a request's value) as an SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def sql(text: str) -> Json:
    """A constant SQL text expression of this module."""
    return literal_column(text, Text)


def const(json_text: str) -> Json:
    return literal_column(sql_string(json_text), Text)


def concat(parts: Sequence[Part]) -> Json:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    elements = [const(p) if isinstance(p, str) else p for p in merged]
    if len(elements) == 1:
        return elements[0]
    return Grouping(ClauseList(*elements, operator=operators.concat_op))


def json_value(value: ColumnElement[object]) -> Json:
    """A string, integer, boolean or enum value as JSON text, ``null`` for NULL."""
    return func.coalesce(cast(func.to_json(value), Text), sql("'null'"))


def text_json(value: ColumnElement[Any]) -> Json:
    return cast(func.to_json(value), Text)


def float_json(value: ColumnElement[float]) -> Json:
    """Python's ``repr`` of a float: PostgreSQL's shortest round-trip digits, and ``.0`` on a whole number."""
    text = cast(value, Text)
    whole = cast(cast(func.trunc(value), Numeric), Text) + sql("'.0'")
    return func.coalesce(case((value == func.trunc(value), whole), else_=text), sql("'null'"))


def json_object(members: Sequence[Member], value_of: Callable[[Member], Json]) -> Json:
    parts: list[Part] = ["{"]
    for position, member in enumerate(members):
        assert KEY.match(member.key), member.key
        parts.append(("," if position else "") + f'"{member.key}":')
        parts.append(typename(member) if member.field == "__typename" else value_of(member))
    parts.append("}")
    return concat(parts)


def typename(member: Member) -> Json:
    return const(json.dumps(member.type_name))


def json_array(item: Json, source: FromClause | None, order_by: Sequence[ColumnElement[Any]], *where: object) -> Json:
    """``[item, …]`` over the rows of a subquery, in ``order_by`` order; ``[]`` when there is none."""
    aggregate = func.string_agg(item, aggregate_order_by(sql("','"), *order_by))
    query = select(func.coalesce(sql("'['") + aggregate + sql("']'"), sql("'[]'")))
    if source is not None:
        query = query.select_from(source)
    return query.where(*where).scalar_subquery()  # type: ignore[arg-type]


def nullable(condition: ColumnElement[bool], value: Json) -> Json:
    return case((condition, value), else_=sql("'null'"))


def labels(value: ColumnElement[str], enum: type[Category] | type[EajeType] | type[AvailabilityState]) -> Json:
    whens = [(value == member.value, const(json.dumps(LABELS[member], ensure_ascii=False))) for member in enum]
    return case(*whens, else_=sql("'null'"))


def base64url(text: ColumnElement[str]) -> ColumnElement[str]:
    """Unpadded URL-safe base64 of the UTF-8 text (PostgreSQL's encoder breaks lines: the breaks are dropped)."""
    encoded = func.encode(func.convert_to(text, sql("'UTF8'")), sql("'base64'"))
    return func.rtrim(func.translate(encoded, sql("'+/' || chr(10)"), sql("'-_'")), "=")


def global_id(type_name: str, key: ColumnElement[str]) -> Json:
    return concat(['"', base64url(literal_column(sql_string(f"{type_name}:"), Text) + key), '"'])


def ascii_json(text: Json) -> Json:
    """JSON text with every character outside ``' '..'~'`` escaped as ``json.dumps`` does (cursors)."""
    char = literal_column("u.c", Text)
    code = func.ascii(char)
    astral = code - 65536
    escaped = case(
        (code.between(32, 126), char),
        (
            code > 65535,
            sql("'\\u'")
            + func.to_hex(55296 + astral.op(">>")(10))
            + sql("'\\u'")
            + func.to_hex(56320 + astral.op("&")(1023)),
        ),
        else_=sql("'\\u'") + func.lpad(func.to_hex(code), 4, "0"),
    )
    chars = (
        func.unnest(func.string_to_array(text, None)).table_valued("c", with_ordinality="o").render_derived(name="u")
    )
    return (
        select(func.string_agg(escaped, aggregate_order_by(sql("''"), literal_column("u.o"))))
        .select_from(chars)
        .scalar_subquery()
    )


def json_strings(array: ColumnElement[object], default: str = "[]", *, binary: bool = False) -> Json:
    """A JSON array of strings (``json``, or ``jsonb`` when ``binary``) written afresh, in its order."""
    if binary:
        elements = func.jsonb_array_elements_text(func.coalesce(array, cast(const(default), JSONB)))
    else:
        elements = func.json_array_elements_text(func.coalesce(array, cast(const(default), JSON)))
    items = elements.table_valued("v", with_ordinality="o").render_derived(name="e")
    item = text_json(literal_column("e.v", Text))
    return json_array(item, items, [literal_column("e.o")])


def geo_point(members: Sequence[Member], latitude: ColumnElement[float], longitude: ColumnElement[float]) -> Json:
    return json_object(members, lambda m: float_json(latitude if m.field == "latitude" else longitude))


def words(text: ColumnElement[str]) -> Json:
    """``text.split()`` as a JSON array of strings."""
    alias = (
        func.regexp_split_to_table(func.btrim(text, " \t\n\r\f\v"), r"\s+")
        .table_valued("w", with_ordinality="o")
        .render_derived(name="s")
    )
    item = text_json(literal_column("s.w", Text))
    return json_array(item, alias, [literal_column("s.o")], literal_column("s.w", Text) != "")
