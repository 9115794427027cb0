"""P4's bare peer: a graphql-core schema built from SDL for Q2's shape, on Starlette, running the two statements the
gateway issues for Q2 on its normal path (compiled reads and response cache off), captured from its engine with
SQLAlchemy's ``before_cursor_execute``: the page (``first + 1`` rows) and the total count, through an asyncpg pool.

    BENCH_PEER_DSN=postgresql://… uvicorn bench.framework_peer.app:app --port 18442

Answers are byte-for-byte comparable with the gateway's (same IDs, same one-line address, ages in months).
"""

import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from graphql import build_schema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SDL = """
type Query { establishments(first: Int!, filter: EstablishmentFilter): EstablishmentConnection! }
input EstablishmentFilter { communeInsee: String }
type EstablishmentConnection { totalCount: Int! edges: [EstablishmentEdge!]! }
type EstablishmentEdge { node: Establishment! }
type Establishment { id: ID! name: String! category: String! address: Address! operatingInfo: OperatingInfo }
type Address { oneLine: String! }
type OperatingInfo { openingHours: String! capacity: Int ageMin: Age ageMax: Age }
type Age { months: Int! }
"""

PAGE = """SELECT establishments.id, establishments.monenfant_id, establishments.name, establishments.category, establishments.eaje_type, establishments.parental, establishments.occasional_only, establishments.alsh_kinds, establishments.avip, establishments.management, establishments.provider_id, establishments.street_number, establishments.street_name, establishments.address_complement, establishments.postal_code, establishments.commune_insee, establishments.departement, establishments.latitude, establishments.longitude, establishments.phone, establishments.phone2, establishments.email, establishments.website, establishments.capacity, establishments.availability_updated_at, establishments.updated_at, establishments.closed_on, establishments.closure_reason, communes.name AS commune_name, communes.population AS commune_population, communes.latitude AS commune_latitude, communes.longitude AS commune_longitude, communes.postal_codes AS commune_postal_codes, providers.name AS provider_name, providers.kind AS provider_kind, providers.caf_code AS provider_caf_code, cafs.code AS caf_code, cafs.label AS caf_label, cafs.head_office AS caf_head_office, cafs.director AS caf_director, operating_info_versions.version AS info_version, operating_info_versions.document AS info_document, operating_info_versions.opening_hours AS info_opening_hours, operating_info_versions.published_at AS info_published_at, NULL AS next_free_day, $1::INTEGER AS free_places_soon, establishments.name AS sort_value 
FROM establishments JOIN communes ON communes.insee = establishments.commune_insee JOIN providers ON providers.id = establishments.provider_id JOIN departements ON departements.code = establishments.departement JOIN cafs ON cafs.code = departements.caf_code LEFT OUTER JOIN operating_info_versions ON operating_info_versions.establishment_id = establishments.id AND operating_info_versions.status = $2::VARCHAR 
WHERE (establishments.closed_on IS NULL OR establishments.closed_on > $3::DATE) AND establishments.commune_insee = $4::VARCHAR ORDER BY establishments.name, establishments.id 
 LIMIT $5::INTEGER"""  # noqa: E501, W291 - the gateway's statement, verbatim

COUNT = """SELECT count(*) AS count_1 
FROM establishments 
WHERE (establishments.closed_on IS NULL OR establishments.closed_on > $1::DATE) AND establishments.commune_insee = $2::VARCHAR"""  # noqa: E501, W291

PARIS = ZoneInfo("Europe/Paris")
schema = build_schema(SDL)


def _months(age: dict[str, Any] | None) -> dict[str, int] | None:
    if age is None:
        return None
    value, unit = int(age["value"]), age["unit"]
    return {"months": value * 12 if unit == "AN" else value * 7 // 30 if unit == "SEMAINE" else value}


def _node(row: asyncpg.Record) -> dict[str, Any]:
    street = " ".join(part for part in (row["street_number"], row["street_name"]) if part)
    parts = (street, row["address_complement"], f"{row['postal_code']} {row['commune_name']}")
    info = None
    if row["info_version"] is not None:
        document = row["info_document"]
        document = json.loads(document) if isinstance(document, str) else document
        info = {
            "openingHours": row["info_opening_hours"],
            "capacity": document.get("capacity"),
            "ageMin": _months(document.get("age_min")),
            "ageMax": _months(document.get("age_max")),
        }
    return {
        "id": base64.urlsafe_b64encode(f"Establishment:{row['id']}".encode()).decode().rstrip("="),
        "name": row["name"],
        "category": row["category"],
        "address": {"oneLine": ", ".join(part for part in parts if part)},
        "operatingInfo": info,
    }


async def establishments(_root: Any, info: Any, first: int, filter: dict[str, Any] | None = None) -> dict[str, Any]:
    pool: asyncpg.Pool = info.context["pool"]
    insee = (filter or {}).get("communeInsee")
    today = datetime.now(PARIS).date()  # the gateway's « today »
    async with pool.acquire() as connection:
        rows = await connection.fetch(PAGE, 0, "PUBLISHED", today, insee, first + 1)
        total = await connection.fetchval(COUNT, today, insee)
    return {"totalCount": total, "edges": [{"node": _node(row)} for row in rows[:first]]}


schema.query_type.fields["establishments"].resolve = establishments  # type: ignore[union-attr]


async def endpoint(request: Request) -> Response:
    body = await request.json()
    result = await graphql(
        schema, body["query"], variable_values=body.get("variables"), context_value={"pool": request.app.state.pool}
    )
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    return JSONResponse(payload)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["BENCH_PEER_DSN"], min_size=4, max_size=16)
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])], lifespan=lifespan)
