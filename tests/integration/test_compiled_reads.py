"""The compiled read path answers byte for byte what the normal executor answers (PostgreSQL, realistic data).

A seeded generator writes thousands of queries: random subsets of the supported fields, aliases, named and inline
fragments, ``@skip``/``@include`` on variables, ``__typename``, every filter, « near » one or two points, pages
and cursors, ``node``/``nodes`` by IDs of every public type (unknown and closed ones included), ``communes`` by
name or postal code prefixes, ``cafs``; each is run by both paths and the bytes sent must be equal.
"""

import random
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import asyncpg.transaction
import pytest
from sqlalchemy import make_url, select, text

from gateway.catalogue import writes
from gateway.catalogue.national import load_national
from gateway.catalogue.reference_data import load_reference_data
from gateway.catalogue.tables import availabilities, cafs, communes, establishments, providers
from gateway.graphql.relay import to_global_id
from shared.db import create_engine, create_session_factory
from shared.trusted_documents import document_id
from tests.catalogue_data import create_pg_database
from tests.compiled_reads import TwoPaths
from tests.conftest import EngineFactory, Stack, drop_databases, run_blocking
from tests.gateway_app import gateway_at

pytestmark = pytest.mark.integration
SCALE = 0.01
CASES = 600
QUERIES = Path(__file__).resolve().parents[2] / "bench" / "queries" / "gateway"
ODD_NAMES = [
    'Crèche « L\'Île aux "enfants" » \\ n°1',
    "Micro-crèche 🐣 Les Poussins",
    "Halte-garderie\tdu\nQuai",
    "Jardin d'enfants Œuvre Saint-Éloi \x7f",
    "",
]


@dataclass
class Dataset:
    url: str
    ids: list[str]
    points: list[tuple[float, float]]
    departements: list[str]
    communes: list[str]
    postal_codes: list[str]
    closed: str
    odd: list[str] = field(default_factory=list)
    commune_names: list[str] = field(default_factory=list)
    cafs: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def dataset(stack: Stack, pg_templates: dict[str, str]) -> Iterator[Dataset]:
    name = f"t_compiled_{uuid.uuid4().hex[:10]}"
    run_blocking(create_pg_database(stack.admin_dsn, name, pg_templates["gateway"]))
    try:
        yield run_blocking(_fill(stack.database_url(name)))
    finally:
        run_blocking(drop_databases(stack, [name]))


async def _fill(url: str) -> Dataset:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await load_reference_data(session)
        await load_national(engine, scale=SCALE, seed=59207)
        async with create_session_factory(engine)() as session, session.begin():
            odd, closed = await _add_odd_rows(session)
            rows = (await session.execute(select(establishments).order_by(establishments.c.id))).all()
            names = (await session.execute(select(communes.c.name).order_by(communes.c.insee))).scalars().all()
            caf_codes = (await session.execute(select(cafs.c.code).order_by(cafs.c.code))).scalars().all()
            provider_ids = (await session.execute(select(providers.c.id).order_by(providers.c.id))).scalars().all()
    finally:
        await engine.dispose()
    return Dataset(
        url=url,
        ids=[r.id for r in rows],
        points=[(r.latitude, r.longitude) for r in rows],
        departements=sorted({r.departement for r in rows}),
        communes=sorted({r.commune_insee for r in rows}),
        postal_codes=sorted({r.postal_code for r in rows}),
        closed=closed,
        odd=odd,
        commune_names=list(names),
        cafs=list(caf_codes),
        providers=list(provider_ids),
    )


def _channel(index: int, now: datetime) -> dict[str, Any]:
    """Rows 1 and 7 (updated now) on the automated channel, the rule of three failed (stale) or met for two more
    days: « périmées » although updated within the week, or not."""
    if index % 6 != 1:
        return {}
    deadline = [now - timedelta(hours=1), now + timedelta(days=2)][index // 6 % 2]
    return {"availability_channel": "TRANSMISSION_INFORMATISEE", "availability_stale_after": deadline}


async def _add_odd_rows(session: Any) -> tuple[list[str], str]:
    """Names and addresses that test the JSON writers: quotes, backslashes, controls, astral characters, DEL,
    empty parts; twins with one name (cursor ties), a closed establishment; stale and fresh availabilities, by
    either channel's rule."""
    base = (await session.execute(select(establishments).limit(1))).one()
    provider = (await session.execute(select(providers.c.id).limit(1))).scalar_one()
    now = datetime.now(UTC)
    ids = []
    for index, name in enumerate(ODD_NAMES * 2):
        ids.append(
            await writes.add_establishment(
                session, name=name, category="EAJE", eaje_type=["MICRO_CRECHE", "CRECHE_FAMILIALE"][index % 2],
                alsh_kinds=[], provider_id=provider, postal_code=base.postal_code, commune_insee=base.commune_insee,
                departement=base.departement, latitude=base.latitude + index * 1e-4, longitude=base.longitude,
                street_number=["", None, "12 bis"][index % 3], street_name=["", "rue du « Port »", None][index % 3],
                address_complement=["", None, "Bât. C"][index % 3], capacity=[None, 0, 12, 13, 89, 90][index % 6],
                availability_updated_at=[None, now, now - timedelta(days=8)][index % 3], updated_at=now,
                **_channel(index, now),
            )
        )  # fmt: skip
    for offset, establishment_id in enumerate(ids):
        await session.execute(
            availabilities.insert(),
            [
                {"establishment_id": establishment_id, "day": date.today() + timedelta(days=day), "slot": slot,
                 "places": (day + offset) % 3, "age_group": None, "care_kind": "OCCASIONNEL",
                 "communicated_at": now, "channel": "SAISIE_ESPACE_PRO", "batch_id": str(uuid.uuid4())}
                for day in range(0, 20, 3) for slot in ("MATIN", "JOURNEE")
            ],
        )  # fmt: skip
    closed = await writes.add_establishment(
        session, name="Crèche fermée", category="EAJE", alsh_kinds=[], provider_id=provider,
        postal_code=base.postal_code, commune_insee=base.commune_insee, departement=base.departement,
        latitude=base.latitude, longitude=base.longitude, updated_at=now, closed_on=date(2020, 1, 1),
    )  # fmt: skip
    return ids, closed


ESTABLISHMENT_LEAVES = [
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
    "__typename",
]
OBJECTS = {
    "address": [
        "streetNumber",
        "streetName",
        "complement",
        "postalCode",
        "communeInsee",
        "communeName",
        "oneLine",
        "__typename",
    ],
    "location": ["latitude", "longitude"],
    "provider": ["id", "name", "kind", "__typename"],
    "caf": ["id", "code", "label", "headOffice", "departements"],
    "commune": ["id", "insee", "name", "departement", "postalCodes", "population", "location { latitude longitude }"],
    "operatingInfo": [
        *[
            "version",
            "openingHours",
            "hoursNote",
            "byAppointment",
            "closurePeriods",
            "closedOnPublicHolidays",
            "capacity",
        ],
        *[
            "mealsProvided",
            "nappiesProvided",
            "disabilityWelcome",
            "project",
            "providerPresentation",
            "team",
            "nationalFeeScale",
        ],
        *[
            "fees",
            "funding",
            "admissionConditions",
            "registration",
            "eligibleWorkCommunes",
            "eligibleHomeCommunes",
            "careKinds",
        ],
        "languages",
        "weeklyHours { day opens closes __typename }",
        "ageMin { value unit months }",
        "ageMax { months unit }",
    ],
    "availabilityStatus": ["state", "label", "freePlaces", "nextDate", "__typename"],
}
ROOTS = ("node", "nodes", "communes", "cafs", "establishments")
AVAILABILITY = ["date", "slot", "places", "ageGroup", "careKind", "channel", "__typename"]


class QueryWriter:
    """One random query at a time: its text and variables."""

    def __init__(self, rng: random.Random, data: Dataset, today: date) -> None:
        self.rng, self.data, self.today = rng, data, today
        self.fragments: list[str] = []
        self.variables: dict[str, Any] = {}
        self.declared: dict[str, str] = {}
        self.aliases = 0
        self.roots: list[str] = []
        """The root fields of the last query."""

    def query(self) -> tuple[str, dict[str, Any]]:
        self.fragments, self.variables, self.declared, self.aliases, self.roots = [], {}, {}, 0, []
        roots = [self._root() for _ in range(self.rng.choice([1, 1, 1, 2]))]
        declared = ", ".join(f"${name}: {kind}" for name, kind in self.declared.items())
        header = f"query Q({declared})" if declared else "query Q"
        return "\n".join([f"{header} {{ {' '.join(roots)} }}", *self.fragments]), self.variables

    def _root(self) -> str:
        alias, pick = self._alias(), self.rng.random()
        self.roots.append(ROOTS[sum(pick >= share for share in (0.15, 0.25, 0.35, 0.4))])
        if pick < 0.15:
            return f"{alias}: node(id: {self._variable('id', 'ID!', self._node_id())}) {{ {self._node()} }}"
        if pick < 0.25:
            ids = [self._node_id() for _ in range(self.rng.choice([0, 1, 2, 3, 5, 8, 20]))]
            return f"{alias}: nodes(ids: {self._variable('ids', '[ID!]!', ids)}) {{ {self._node()} }}"
        if pick < 0.35:
            first = self._variable("first", "Int!", self.rng.choice([1, 3, 10, 50]))
            search = self._variable("search", "String!", self._commune_search())
            return f"{alias}: communes(search: {search}, first: {first}) {{ {self._object('commune')} }}"
        if pick < 0.4:
            first = f"(first: {self.rng.choice([1, 5, 200])})" if self.rng.random() < 0.5 else ""
            return f"{alias}: cafs{first} {{ {self._object('caf')} }}"
        return f"{alias}: establishments({self._arguments()}) {{ {self._connection()} }}"

    def _alias(self) -> str:
        self.aliases += 1
        return f"a{self.aliases}"

    def _variable(self, name: str, kind: str, value: Any) -> str:
        name = f"{name}{len(self.declared)}"
        self.declared[name] = kind
        self.variables[name] = value
        return f"${name}"

    def _node_id(self) -> str:
        rng, data = self.rng, self.data
        pick = rng.random()
        if pick < 0.05:
            return to_global_id("Establishment", data.closed)
        if pick < 0.1:
            return to_global_id(rng.choice(["Establishment", "Commune", "Caf", "Provider"]), str(uuid.uuid4())[:5])
        if pick < 0.25:
            return to_global_id("Commune", rng.choice(data.communes))
        if pick < 0.35:
            return to_global_id("Caf", rng.choice(data.cafs))
        if pick < 0.45:
            return to_global_id("Provider", rng.choice(data.providers))
        return to_global_id("Establishment", rng.choice(data.odd if pick < 0.6 else data.ids))

    def _node(self) -> str:
        rng = self.rng
        parts = [f"... on Establishment {{ {self._establishment()} }}"]
        for type_name, fields in (("Commune", "commune"), ("Caf", "caf"), ("Provider", "provider")):
            if rng.random() < 0.5:
                parts.append(self._typed(type_name, self._object(fields)))
        if rng.random() < 0.3:
            parts.append("... on Node { id __typename }")
        if rng.random() < 0.3:
            parts.insert(0, self._decorate(rng.choice(["__typename", "id"])))
        rng.shuffle(parts)
        return " ".join(parts)

    def _typed(self, type_name: str, fields: str) -> str:
        """``fields`` on ``type_name``: an inline fragment or a named one."""
        if self.rng.random() < 0.5:
            return f"... on {type_name} {{ {fields} }}"
        name = f"F{len(self.fragments)}"
        self.fragments.append(f"fragment {name} on {type_name} {{ {fields} }}")
        return f"...{name}"

    def _object(self, name: str) -> str:
        members = OBJECTS[name]
        chosen = [self._decorate(m) for m in self.rng.sample(members, self.rng.randint(1, len(members)))]
        return " ".join(chosen)

    def _commune_search(self) -> str:
        """A commune name or postal code being typed (any case, accents, punctuation), sometimes nothing's."""
        rng, data = self.rng, self.data
        pick = rng.random()
        if pick < 0.3:
            code = rng.choice(data.postal_codes)
            return code[: rng.randint(2, 5)]
        if pick < 0.35:
            return rng.choice(["zzz", "Ÿ-Œ", "  es ", "59%", "a_b", "l'"])
        name = rng.choice(data.commune_names)
        typed = name[: rng.randint(2, min(len(name), 8))]
        return rng.choice([typed, typed.upper(), typed.lower(), typed.replace("-", " ")])

    def _arguments(self) -> str:
        rng = self.rng
        arguments = [f"first: {rng.choice([1, 2, 3, 5, 10, 10, 20, 20, 50, 100])}"]
        near = rng.random() < 0.4
        if near:
            arguments.append(f"near: {self._variable('near', 'NearInput', self._near())}")
        given = self._filter(narrow=not near)
        if given:
            arguments.append(f"filter: {self._variable('filter', 'EstablishmentFilter', given)}")
        return ", ".join(arguments)

    def _near(self) -> dict[str, Any]:
        rng = self.rng
        points = []
        for _ in range(rng.choice([1, 1, 2])):
            latitude, longitude = rng.choice(self.data.points)
            points.append(
                {"latitude": latitude + rng.uniform(-0.05, 0.05), "longitude": longitude + rng.uniform(-0.05, 0.05)}
            )
        return {"points": points, "radiusKm": rng.choice([0.5, 1, 2.5, 5, 10, 30])}

    def _filter(self, *, narrow: bool) -> dict[str, Any]:
        rng, data = self.rng, self.data
        given: dict[str, Any] = {}
        place = rng.random()
        if narrow and place < 0.3:
            given["departement"] = rng.choice(data.departements)
        elif narrow and place < 0.7:
            given["communeInsee"] = rng.choice(data.communes)
        elif narrow and place < 0.9:
            given["postalCode"] = rng.choice(data.postal_codes)
        if rng.random() < 0.3:
            given["categories"] = rng.sample(
                ["EAJE", "MAM", "RPE", "ALSH", "ASSISTANT_MATERNEL", "LAEP"], rng.randint(1, 3)
            )
        if rng.random() < 0.15:
            given["eajeTypes"] = rng.sample(
                ["MICRO_CRECHE", "MULTI_ACCUEIL", "CRECHE_COLLECTIVE", "CRECHE_FAMILIALE"], 2
            )
        if rng.random() < 0.15:
            given["childAgeMonths"] = rng.randint(0, 72)
        if rng.random() < 0.2:
            start = self.today + timedelta(days=rng.randint(-3, 20))
            given["freePlaces"] = {
                "from": start.isoformat(),
                "to": (start + timedelta(days=rng.randint(0, 20))).isoformat(),
            }
        return given

    def _connection(self) -> str:
        rng = self.rng
        parts = []
        if rng.random() < 0.5:
            parts.append(self._decorate("totalCount"))
        cursor = "cursor " if rng.random() < 0.3 else ""
        parts.append(self._decorate(f"edges {{ {cursor}node {{ {self._establishment()} }} }}"))
        if rng.random() < 0.4:
            page = rng.sample(
                ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"], rng.randint(1, 4)
            )
            parts.append(f"pageInfo {{ {' '.join(page)} }}")
        if rng.random() < 0.1:
            parts.append("__typename")
        return " ".join(parts)

    def _establishment(self) -> str:
        rng = self.rng
        fields = [self._decorate(name) for name in rng.sample(ESTABLISHMENT_LEAVES, rng.randint(1, 8))]
        for name in rng.sample(list(OBJECTS), rng.randint(0, 4)):
            members = OBJECTS[name]
            fields.append(self._decorate(f"{name} {{ {' '.join(rng.sample(members, rng.randint(1, len(members))))} }}"))
        if rng.random() < 0.4:
            fields.append(
                self._decorate(f"availabilities{self._window()} {{ {' '.join(rng.sample(AVAILABILITY, 3))} }}")
            )
        if rng.random() < 0.15:  # the same key twice: selections merge
            fields.append("address { oneLine } address { postalCode }")
        rng.shuffle(fields)
        return self._wrap(fields)

    def _window(self) -> str:
        pick = self.rng.random()
        start = self.today + timedelta(days=self.rng.randint(-5, 30))
        if pick < 0.4:
            return ""
        if pick < 0.6:
            return f'(from: "{start.isoformat()}")'
        return f'(from: "{start.isoformat()}", to: "{(start + timedelta(days=self.rng.randint(0, 40))).isoformat()}")'

    def _wrap(self, fields: list[str]) -> str:
        rng = self.rng
        if len(fields) < 2 or rng.random() < 0.5:
            return " ".join(fields)
        cut = rng.randint(1, len(fields) - 1)
        inside = " ".join(fields[cut:])
        if rng.random() < 0.5:
            name = f"F{len(self.fragments)}"
            on = rng.choice(["Establishment", "Establishment", "Node"]) if inside == "id" else "Establishment"
            self.fragments.append(f"fragment {name} on {on} {{ {inside} }}")
            return " ".join([*fields[:cut], f"...{name}"])
        return " ".join([*fields[:cut], f"... on Establishment {{ {inside} }}"])

    def _decorate(self, text: str) -> str:
        rng = self.rng
        if rng.random() < 0.15 and not text.startswith("__"):
            text = f"{self._alias()}: {text}"
        pick = rng.random()
        if pick < 0.06:
            directive = f"@include(if: {self._variable('yes', 'Boolean!', True)})"
        elif pick < 0.1:
            directive = f"@skip(if: {self._variable('no', 'Boolean!', rng.random() < 0.5)})"
        elif pick < 0.12:
            directive = "@include(if: false)"
        else:
            return text
        head, brace, rest = text.partition(" {")
        return f"{head} {directive}{brace}{rest}"


async def test_the_compiled_path_answers_the_same_bytes_as_the_normal_executor(
    dataset: Dataset, engines: EngineFactory
) -> None:
    paths = TwoPaths(engines(dataset.url))
    writer = QueryWriter(random.Random(20261203), dataset, paths.today())
    compiled_roots: Counter[str] = Counter()
    for case in range(CASES):
        document, variables = writer.query()
        before = paths.reads.counts["compiled"]
        normal = await paths.normal(document, variables)
        compiled = await paths.compiled(document, variables)
        assert compiled == normal, f"case {case}:\n{document}\n{variables}"
        if paths.reads.counts["compiled"] > before:
            compiled_roots.update(writer.roots)
            compiled_roots.update(f"{name} with objects" for name in writer.roots if b":[{" in compiled)
    assert paths.reads.counts["compiled"] >= CASES * 0.8, paths.reads.counts
    assert paths.reads.counts["normal:compiled-failed"] == 0, "a statement failed: the normal path hid it"
    # Every root is compiled often, and lists with objects in them (not only empty ones).
    assert min(compiled_roots[root] for root in ROOTS) >= 25, compiled_roots
    assert min(compiled_roots[f"{root} with objects"] for root in ROOTS) >= 15, compiled_roots


async def test_nodes_say_when_their_first_availability_status_turns_stale(
    dataset: Dataset, engines: EngineFactory
) -> None:
    """A cached answer lives until then at most: for ``nodes``, the soonest of its establishments'."""
    paths = TwoPaths(engines(dataset.url))
    selection = "{ ... on Establishment { availabilityStatus { state } } }"
    ids = [to_global_id("Establishment", key) for key in dataset.odd]
    one_by_one = [
        await paths.changes_at(f"query ($id: ID!) {{ node(id: $id) {selection} }}", {"id": global_id})
        for global_id in ids
    ]
    mixed = [to_global_id("Commune", dataset.communes[0]), *ids, to_global_id("Provider", dataset.providers[0])]
    together = await paths.changes_at(f"query ($ids: [ID!]!) {{ nodes(ids: $ids) {selection} }}", {"ids": mixed})

    moments = [moment for moment in one_by_one if moment is not None]
    assert len(set(moments)) > 1, "establishments that turn stale at different instants"
    assert together == min(moments)


FALLBACKS = {
    "field:AvailabilityStatus.updatedAt": "{ establishments { edges { node { availabilityStatus { updatedAt } } } } }",
    "root:service": "{ establishments(first: 1) { totalCount } service { name } }",
    "field:OperatingInfo.accessibilityUrl": (
        f'{{ nodes(ids: ["{to_global_id("Caf", "CAF59")}", "{to_global_id("Establishment", "x")}"]) '
        "{ ... on Establishment { operatingInfo { accessibilityUrl } } } }"
    ),
    "invalid-argument": "{ establishments(first: 0) { totalCount } }",
}


async def test_what_the_compiler_does_not_build_takes_the_normal_path_and_says_why(
    dataset: Dataset, engines: EngineFactory
) -> None:
    paths = TwoPaths(engines(dataset.url))
    for reason, document in FALLBACKS.items():
        normal = await paths.normal(document)
        answered = await paths.compiled(document)

        assert answered == normal, reason
        assert paths.reads.counts[f"normal:{reason}"] == 1, paths.reads.counts
    assert b"BAD_USER_INPUT" in await paths.compiled(FALLBACKS["invalid-argument"])
    assert paths.reads.counts["compiled"] == 0


async def test_one_shape_is_one_statement_whatever_the_values(dataset: Dataset, engines: EngineFactory) -> None:
    """The statement built for a shape is reused with other values: none of the first request's values stays."""
    paths = TwoPaths(engines(dataset.url))
    rng = random.Random(7)
    document = (QUERIES / "q1.graphql").read_text()
    for _ in range(30):
        latitude, longitude = rng.choice(dataset.points)
        start = paths.today() + timedelta(days=rng.randint(0, 10))
        variables = {
            "lat": latitude,
            "lon": longitude,
            "from": start.isoformat(),
            "to": (start + timedelta(days=13)).isoformat(),
        }
        assert await paths.compiled(document, variables) == await paths.normal(document, variables)
    for insee in rng.sample(dataset.communes, 30):
        document = (QUERIES / "q2.graphql").read_text()
        assert await paths.compiled(document, {"insee": insee}) == await paths.normal(document, {"insee": insee})
    for establishment_id in rng.sample(dataset.ids, 30):
        variables = {"id": to_global_id("Establishment", establishment_id)}
        document = (QUERIES / "q3.graphql").read_text()
        assert await paths.compiled(document, variables) == await paths.normal(document, variables)
    assert paths.reads.counts["compiled"] == 90


async def test_the_gateway_serves_compiled_answers_over_http_unless_switched_off(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {"query": (QUERIES / "q2.graphql").read_text(), "variables": {"insee": dataset.communes[0]}}
    async with gateway_at(dataset.url) as client:
        seen: list[str] = client.app.state.statements  # type: ignore[attr-defined]
        seen.clear()
        compiled = await client.post("/graphql", json=document)
        statements = len([statement for statement in seen if "establishments" in statement])
        metrics = (await client.get("/metrics")).text
        # Other communes each time: the response cache would answer a repeated request.
        others = [{**document, "variables": {"insee": insee}} for insee in dataset.communes[1:4]]
        round_trips = await _round_trips_besides_the_statement(client, others[0], monkeypatch)
        reads = client.app.state.compiled_reads  # type: ignore[attr-defined]
        await _close_every_other_connection(dataset.url)
        after_restart = await client.post("/graphql", json=others[1])
        await reads.close()
        await reads.open(_unreachable(dataset.url))
        unreachable = await client.post("/graphql", json=others[2])
        fell_back = reads.counts["normal:compiled-failed"]
        compiled_count = reads.counts["compiled"]
    async with gateway_at(dataset.url, compiled_reads=False, response_cache_mb=0) as client:
        expected = [(await client.post("/graphql", json=other)).content for other in others[1:]]
        # The normal path reads on its own engine: autocommit, no pre-ping; a connection the database closed is
        # found by the statement, and the read runs again on a new one.
        normal_round_trips = await _round_trips_besides_the_statement(client, others[1], monkeypatch)
        await _close_every_other_connection(dataset.url)
        normal_after_restart = await client.post("/graphql", json=others[2])
    async with gateway_at(dataset.url, compiled_reads=False) as client:
        normal = await client.post("/graphql", json=document)
        off = (await client.get("/metrics")).text

    assert compiled.status_code == normal.status_code == 200
    assert compiled.content == normal.content
    assert compiled.headers["content-type"] == normal.headers["content-type"]
    assert statements == 1, "the whole answer is one statement"
    assert 'structures_graphql_read_path_total{path="compiled"} 1.0' in metrics
    assert "structures_graphql_read_path_total{" not in off
    assert round_trips == [], "no pre-ping, BEGIN or ROLLBACK around a compiled read"
    # Connections closed by the database are replaced; a database the compiled pool cannot reach: the normal
    # path answers.
    assert [after_restart.content, unreachable.content] == expected
    assert normal_round_trips == [], "no pre-ping, BEGIN or ROLLBACK around the normal path's reads either"
    assert normal_after_restart.content == expected[1]
    assert fell_back == 1
    assert compiled_count == 3


async def _round_trips_besides_the_statement(
    client: Any, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The simple-protocol queries (pre-ping, BEGIN, ROLLBACK) and transactions one more request costs."""
    calls: list[str] = []
    execute, start = asyncpg.Connection.execute, asyncpg.transaction.Transaction.start

    async def counted_execute(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> str:
        calls.append(query)
        status: str = await execute(self, query, *args, **kwargs)
        return status

    async def counted_start(self: asyncpg.transaction.Transaction) -> None:
        calls.append("transaction")
        await start(self)

    with monkeypatch.context() as patch:
        patch.setattr(asyncpg.Connection, "execute", counted_execute)
        patch.setattr(asyncpg.transaction.Transaction, "start", counted_start)
        response = await client.post("/graphql", json=document)
    assert response.status_code == 200
    return calls


def _unreachable(url: str) -> str:
    """``url`` on a port of the loopback where nothing listens (the one a socket just bound and closed)."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


async def _close_every_other_connection(url: str) -> None:
    """What a database restart does to pooled connections: every other backend of the database is terminated."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            await connection.execute(text(f"SELECT pg_terminate_backend(pid, 5000) {others}"))
    finally:
        await engine.dispose()


async def test_the_front_answers_learned_documents_with_the_views_bytes_and_leaves_the_rest_to_it(
    dataset: Dataset,
) -> None:
    """Once the view has answered a document by the compiled path, the front answers it (other variables, by text
    or documentId); refused variables, credentials and unlearned documents still reach the view."""
    q1, q2, q3 = ((QUERIES / f"q{n}.graphql").read_text() for n in (1, 2, 3))
    latitude, longitude = dataset.points[0]
    start = date.today()
    near = {
        "lat": latitude,
        "lon": longitude,
        "from": start.isoformat(),
        "to": (start + timedelta(days=13)).isoformat(),
    }
    learning = [
        {"query": q1, "variables": near},
        {"query": q2, "variables": {"insee": dataset.communes[0]}},
        {"query": q3, "variables": {"id": to_global_id("Establishment", dataset.ids[0])}},
    ]
    answered = [
        {"query": q1, "variables": {**near, "lat": dataset.points[5][0], "lon": dataset.points[5][1]}},
        {"query": q2, "variables": {"insee": dataset.communes[1]}},
        {"documentId": document_id(q3), "variables": {"id": to_global_id("Establishment", dataset.ids[1])}},
    ]
    refused = [
        {"query": q2, "variables": {"insee": 59}},  # not a String: the executor's error
        {"query": q3, "variables": {"id": "not an id"}},  # not compiled: the normal path's error
        {"query": q2},  # a required variable missing
    ]
    async with gateway_at(dataset.url, response_cache_mb=0) as client:
        front = client.app.state.compiled_front  # type: ignore[attr-defined]
        front.documents.add(q3)
        for body in learning:
            await client.post("/graphql", json=body)
        learned = len(client.app.state.compiled_reads.learned)  # type: ignore[attr-defined]
        fronted = [await client.post("/graphql", json=body) for body in answered]
        async with client.app.state.compiled_reads.pool.acquire() as connection:  # type: ignore[attr-defined]
            # Sequential requests share one connection: Q3's statement, above asyncpg's default bound, is prepared
            # once and executed twice.
            long_statement_runs = await connection.fetchval(
                "SELECT max(generic_plans + custom_plans) FROM pg_prepared_statements WHERE length(statement) > 15360"
            )
        answered_by_front = front.answered
        viewed = [await client.post("/graphql", json=body) for body in refused]
        signed = await client.post("/graphql", json=answered[1], headers={"authorization": "Bearer x"})
        after = front.answered
        metrics = (await client.get("/metrics")).text
        front.timeout_seconds = 0  # every statement is past the deadline: the view answers
        late = await client.post("/graphql", json=answered[1])
        late_failures = client.app.state.compiled_reads.counts["normal:compiled-failed"]  # type: ignore[attr-defined]
        late_by_front = front.answered
    async with gateway_at(dataset.url, compiled_reads=False, response_cache_mb=0) as client:
        expected = [
            await client.post("/graphql", json={**b, "query": q3} if "documentId" in b else b) for b in answered
        ]
        expected_refused = [await client.post("/graphql", json=body) for body in refused]

    assert learned == 3
    assert answered_by_front == 3
    assert [_answer(r) for r in fronted] == [_answer(r) for r in expected]
    assert long_statement_runs == 2
    assert after == 3, "variables refused, or credentials: the view answers"
    assert [(r.status_code, r.content) for r in viewed] == [(r.status_code, r.content) for r in expected_refused]
    assert b'"errors"' in viewed[0].content
    assert b'"errors"' in viewed[2].content
    assert signed.content == fronted[1].content
    assert (late.content, late_failures, late_by_front) == (fronted[1].content, 1, 3)
    assert 'structures_graphql_operation_seconds_count{operation="node",outcome="ok",type="query"} 2.0' in metrics


def _answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, value) for name, value in response.headers.items() if name != "x-request-id"]
    return response.status_code, headers, response.content
