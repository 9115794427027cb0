"""What schemathesis generates for the services: values they accept (and some they should refuse politely) mixed
into positive cases, so that the fuzzing reaches past argument validation into the resolvers and their SQL.

Random integers are never a page size from 1 to 100 and random strings never a département or a cursor: without
these dictionaries nearly every list query stops at « first: must be between 1 and 100 ». Ids come both from here
(crafted ones) and from earlier answers (schemathesis's resource pool, see ``driver.py``).
"""

import base64
from typing import Any

import graphql
import httpx
import schemathesis
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.hooks import HookContext
from schemathesis.specs.graphql.schemas import GraphQLSchema

from gateway.catalogue.demo import MAIRIE_ESCAUTPONT, MICRO_CRECHE, MULTI_ACCUEIL
from gateway.graphql.relay import to_global_id
from shared.graphql_contract import encode_offset

PUBLICATION_CURSORS = ("0", "1", "2", "²", "١٢", "99999999999999999999", "-1")
ESTABLISHMENT_CURSORS = (
    '["Crèche du Hainaut 00","00000000-0000-0000-0000-000000000001"]',
    '["Crèche du Hainaut 07","00000000-0000-0000-0000-000000000015"]',
    '[1.5,"00000000-0000-0000-0000-000000000001"]',
    '[0,"00000000-0000-0000-0000-000000000003"]',
    '[12.25,"5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001"]',
    '["x",1]',
    '[1,"y"]',
    '[NaN,"x"]',
    '[Infinity,"x"]',
    '[-1e309,"x"]',
    '[true,"x"]',
    '["a\\u0000b","x"]',
    '["\\ud800","x"]',
    '[null,"x"]',
    '{"a":1}',
    "[]",
)
OFFSET_LISTS = (
    "habilitationRequests",
    "connectionLog",
    "conventions",
    "mySubmissions",
    "integrators",
    "providerAgents",
    "establishmentRegister",
)
"""The gateway's lists paged by an opaque offset cursor (``shared.graphql_contract``)."""
CRAFTED_IDS = (
    ("Establishment", MULTI_ACCUEIL),
    ("Establishment", MICRO_CRECHE),
    ("Establishment", "not-a-uuid"),
    ("Establishment", "%"),
    ("Establishment", "a\x00b"),
    ("Provider", MAIRIE_ESCAUTPONT),
    ("Commune", "59207"),
    ("Caf", "CAF59"),
    ("Caf", "CAF62"),
    ("Submission", "1"),
    ("Integrator", "1"),
)


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


SCHEMATHESIS_CONFIG: dict[str, Any] = {
    # Values the services accept, mixed into positive cases (random integers are never a page size from 1 to 100,
    # random strings never a département): without them nearly every list query stops at argument validation.
    "dictionaries": {
        "pages": {"values": [1, 2, 20, 100]},
        "small": {"values": [0, 1, 2, 3, 30]},
        "departements": {"values": ["59", "62", "02"]},
        "communes": {"values": ["59207", "59606", "62041"]},
        "postal-codes": {"values": ["59690", "59300", "62000"]},
        "searches": {"values": ["Esc", "Valenc", "59", "62300"]},
        "latitudes": {"values": [50.35, 50.39, 48.85, 90.0, -90.0]},
        "longitudes": {"values": [3.52, 3.55, 2.35, 180.0, -180.0]},
        "radii": {"values": [0.1, 5.0, 30.0]},
        "ages": {"values": [0, 3, 36, 216]},
        "publication-cursors": {"values": list(PUBLICATION_CURSORS)},
        "establishment-cursors": {"values": [_cursor(sort_key) for sort_key in ESTABLISHMENT_CURSORS]},
        "offset-cursors": {"values": [encode_offset(0), encode_offset(1), encode_offset(99), _cursor("offset:x")]},
        "ids": {"values": [to_global_id(kind, key) for kind, key in CRAFTED_IDS]},
        "edge-strings": {"values": ["", " ", "é" * 37, "x" * 101, "x" * 256, "ü" * 301, "x" * 5000, "%_\\'"]},
        "edge-integers": {"values": [0, -1, 32768, 2147483647, -2147483648]},
        "edge-numbers": {"values": [0.0, -0.0, 1e-300, 1.7976931348623157e308, -1.7976931348623157e308]},
    },
    # Now and then, anywhere: strings longer than the columns they go to, numbers at the ends of their range.
    "generation": {
        "dictionaries": {
            "string": {"dictionary": "edge-strings", "probability": 0.1},
            "integer": {"dictionary": "edge-integers", "probability": 0.1},
            "number": {"dictionary": "edge-numbers", "probability": 0.1},
        }
    },
    "parameters": {
        "*.*.first": {"dictionary": "pages", "probability": 0.7},
        "*.*.days": {"dictionary": "small", "probability": 0.5},
        "*.*.rowVersion": {"dictionary": "small", "probability": 0.7},
        "*.*.search": {"dictionary": "searches", "probability": 0.7},
        "*.*.filter.departement": {"dictionary": "departements", "probability": 0.7},
        "*.*.filter.departements[*]": {"dictionary": "departements", "probability": 0.7},
        "*.*.filter.communeInsee": {"dictionary": "communes", "probability": 0.7},
        "*.*.filter.postalCode": {"dictionary": "postal-codes", "probability": 0.7},
        "*.*.filter.childAgeMonths": {"dictionary": "ages", "probability": 0.7},
        "*.*.near.radiusKm": {"dictionary": "radii", "probability": 0.7},
        "*.*.near.points[*].latitude": {"dictionary": "latitudes", "probability": 0.7},
        "*.*.near.points[*].longitude": {"dictionary": "longitudes", "probability": 0.7},
        "*.*.input.departements[*]": {"dictionary": "departements", "probability": 0.7},
        "*.*.after": {"dictionary": "publication-cursors", "probability": 0.7},
        "Query.establishments.after": {"dictionary": "establishment-cursors", "probability": 0.9},
        **{f"Query.{name}.after": {"dictionary": "offset-cursors", "probability": 0.9} for name in OFFSET_LISTS},
        "*.*.id": {"dictionary": "ids", "probability": 0.3},
        "*.*.ids[*]": {"dictionary": "ids", "probability": 0.3},
        "*.*.input.establishmentId": {"dictionary": "ids", "probability": 0.3},
        "*.*.filter.establishmentIds[*]": {"dictionary": "ids", "probability": 0.3},
    },
}


async def load_schema(client: httpx.AsyncClient) -> GraphQLSchema:
    """The schema the service serves (introspection), loaded by schemathesis with the dictionaries above."""
    answer = await client.post("/graphql", json={"query": graphql.get_introspection_query()})
    schema = schemathesis.graphql.from_dict(answer.json(), config=SchemathesisConfig.from_dict(SCHEMATHESIS_CONFIG))
    schema.location = "/graphql"
    schema.hooks.register_hook_with_name(_searches_from_the_start_too, "flatmap_body")
    return schema


def _searches_from_the_start_too(context: HookContext, body: graphql.DocumentNode) -> st.SearchStrategy[Any]:
    """hypothesis-graphql nearly always gives a list an ``after``, and a cursor valid for the search drawn is rare:
    half the searches go without one, so the search itself runs."""
    paged = {"Query.establishments", *(f"Query.{name}" for name in OFFSET_LISTS)}
    if context.operation is None or context.operation.label not in paged:
        return st.just(body)
    return st.sampled_from([body, graphql.visit(body, _WithoutAfter())])


class _WithoutAfter(graphql.Visitor):
    def enter_field(self, node: graphql.FieldNode, *_: Any) -> graphql.FieldNode | None:
        if node.name.value not in {"establishments", *OFFSET_LISTS}:
            return None
        arguments = tuple(argument for argument in node.arguments or () if argument.name.value != "after")
        return graphql.FieldNode(
            alias=node.alias, name=node.name, arguments=arguments, directives=node.directives,
            selection_set=node.selection_set,
        )  # fmt: skip
