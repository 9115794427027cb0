"""The public catalogue API on SQLite and real PostgreSQL: filters, near-me, pagination, cost, bad input."""

import base64
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import EngineFactory
from tests.graphql_client import SchemaClient

ESCAUTPONT = {"latitude": 50.41875, "longitude": 3.55341}
VALENCIENNES = {"latitude": 50.35909, "longitude": 3.52506}

NEAR = """
query Near($points: [GeoPointInput!]!, $radius: Float!, $from: Date!, $to: Date!, $first: Int!, $after: String) {
  establishments(first: $first, after: $after, near: {points: $points, radiusKm: $radius},
                 filter: {categories: [EAJE], freePlaces: {from: $from, to: $to}}) {
    totalCount
    edges { cursor node { id name distanceKm address { oneLine } operatingInfo { openingHours }
                          availabilities(from: $from, to: $to) { date slot places } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

LIST = """
query List($first: Int!, $after: String, $filter: EstablishmentFilter) {
  establishments(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id name category commune { insee } provider { name } caf { code }
                          operatingInfo { openingHours } availabilityStatus { state }
                          availabilities { date places } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
def client(catalogue_url: str, engines: EngineFactory) -> SchemaClient:
    return SchemaClient(engines(catalogue_url))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def _week(client: SchemaClient) -> dict[str, str]:
    today = client.today()
    return {"from": today.isoformat(), "to": (today + timedelta(days=6)).isoformat()}


async def _names(client: SchemaClient, **filter: Any) -> list[str]:
    data = await client.data(LIST, {"first": 100, "filter": filter})
    return [edge["node"]["name"] for edge in data["establishments"]["edges"]]


async def test_creches_near_escautpont_with_free_places_this_week(client: SchemaClient) -> None:
    data = await client.data(NEAR, {"points": [ESCAUTPONT], "radius": 5, "first": 20, **_week(client)})

    nodes = [edge["node"] for edge in data["establishments"]["edges"]]
    first = nodes[0]
    assert first["name"] == "Multi-accueil Les P'tits Mineurs"
    assert first["distanceKm"] < 1
    assert first["operatingInfo"]["openingHours"] == "Mo-Fr 07:30-18:30; PH off; Aug closed; Dec 25-Jan 1 closed"
    assert first["availabilities"], "the demo publishes places for the coming days"
    assert all(a["places"] >= 0 for a in first["availabilities"])
    assert "Micro-crèche Le Jardin de l'Escaut" not in [n["name"] for n in nodes], "it is full"
    distances = [n["distanceKm"] for n in nodes]
    assert distances == sorted(distances)
    assert all(d <= 5 for d in distances)


async def test_home_or_work_finds_creches_near_either(client: SchemaClient) -> None:
    week = _week(client)
    home = await client.data(NEAR, {"points": [ESCAUTPONT], "radius": 2, "first": 50, **week})
    both = await client.data(NEAR, {"points": [ESCAUTPONT, VALENCIENNES], "radius": 2, "first": 50, **week})

    home_names = {e["node"]["name"] for e in home["establishments"]["edges"]}
    both_names = {e["node"]["name"] for e in both["establishments"]["edges"]}
    assert "Multi-accueil Les Lucioles" in both_names - home_names
    assert home_names <= both_names


@pytest.mark.parametrize(
    ("filter", "included", "excluded"),
    [
        ({"communeInsee": "59207"}, "Accueil de loisirs municipal d'Escautpont", "Multi-accueil Les Lucioles"),
        ({"postalCode": "59278"}, "Micro-crèche Le Jardin de l'Escaut", "Crèche familiale Les Petits Loups"),
        ({"departement": "59"}, "Halte-garderie Les Petits Pas", None),
        ({"categories": ["RPE", "LAEP"]}, "Lieu d'accueil enfants-parents La Passerelle", "Multi-accueil Les Lucioles"),
        ({"eajeTypes": ["MICRO_CRECHE"]}, "Micro-crèche Le Jardin de l'Escaut", "Multi-accueil Les P'tits Mineurs"),
        ({"childAgeMonths": 60}, "Accueil de loisirs municipal d'Escautpont", "Multi-accueil Les P'tits Mineurs"),
        ({"childAgeMonths": 2}, "Multi-accueil Les P'tits Mineurs", "Micro-crèche Le Jardin de l'Escaut"),
    ],
)
async def test_each_filter_keeps_what_matches_and_drops_the_rest(
    client: SchemaClient, filter: dict[str, Any], included: str, excluded: str | None
) -> None:
    names = await _names(client, **filter)

    assert included in names
    if excluded:
        assert excluded not in names


async def test_an_insee_code_is_not_a_postal_code(client: SchemaClient) -> None:
    assert await _names(client, communeInsee="59278") == [], "INSEE 59278 is Hallennes-lez-Haubourdin"
    assert "Multi-accueil Les P'tits Mineurs" in await _names(client, postalCode="59278")


async def test_free_places_leaves_out_full_and_silent_creches(client: SchemaClient) -> None:
    names = await _names(client, freePlaces=_week(client))

    assert "Multi-accueil Les P'tits Mineurs" in names
    assert "Micro-crèche Le Jardin de l'Escaut" not in names
    assert "Crèche familiale Les Petits Loups" not in names


async def test_availability_states_read_as_on_monenfant(client: SchemaClient) -> None:
    data = await client.data(LIST, {"first": 100, "filter": {"categories": ["EAJE"], "departement": "59"}})
    states = {e["node"]["name"]: e["node"]["availabilityStatus"]["state"] for e in data["establishments"]["edges"]}

    assert states["Multi-accueil Les P'tits Mineurs"] == "DISPONIBLE"
    assert states["Micro-crèche Le Jardin de l'Escaut"] == "COMPLET"
    assert states["Crèche familiale Les Petits Loups"] == "NON_RENSEIGNEES"
    assert states["Halte-garderie Les Petits Pas"] == "PERIMEES"


@pytest.mark.parametrize("page_size", [1, 7, 100])
async def test_turning_pages_visits_every_establishment_once_in_a_stable_order(
    client: SchemaClient, page_size: int
) -> None:
    everything = await client.data(LIST, {"first": 100})
    expected = [edge["node"]["id"] for edge in everything["establishments"]["edges"]]
    seen: list[str] = []
    after = None
    while True:
        page = (await client.data(LIST, {"first": page_size, "after": after}))["establishments"]
        seen.extend(edge["node"]["id"] for edge in page["edges"])
        assert page["totalCount"] == len(expected)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == expected
    assert len(set(seen)) == len(seen) == 49


@pytest.mark.parametrize("free_places", [False, True], ids=["near", "near-with-free-places"])
async def test_near_me_pages_are_stable_too(client: SchemaClient, free_places: bool) -> None:
    variables = {"points": [VALENCIENNES], "radius": 30, "first": 100, **_week(client)}
    query = NEAR
    if not free_places:
        variables["from"], variables["to"] = "2000-01-01", "2000-01-02"
        query = NEAR.replace(", freePlaces: {from: $from, to: $to}", "")
    everything = [e["node"]["id"] for e in (await client.data(query, variables))["establishments"]["edges"]]
    seen: list[str] = []
    after, first = None, 2 if free_places else 6
    while True:
        page = (await client.data(query, variables | {"first": first, "after": after}))["establishments"]
        seen.extend(e["node"]["id"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == everything
    assert len(seen) > (2 if free_places else 40), "more than one page"


@pytest.mark.parametrize("page_size", [2, 20, 100])
async def test_a_list_request_costs_at_most_three_statements_whatever_its_page_size(
    client: SchemaClient, page_size: int
) -> None:
    data = await client.data(LIST, {"first": page_size})

    assert len(data["establishments"]["edges"]) == min(page_size, 49)
    assert len(client.statements) <= 3, client.statements


async def test_node_and_nodes_find_objects_by_global_id(client: SchemaClient) -> None:
    data = await client.data(LIST, {"first": 3})
    ids = [edge["node"]["id"] for edge in data["establishments"]["edges"]]

    found = await client.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Establishment { name } } }", {"ids": ids}
    )

    assert [n["id"] for n in found["nodes"]] == ids
    assert len(client.statements) == 1, "one batched statement for the three"


async def test_communes_autocomplete_by_name_or_postal_code(client: SchemaClient) -> None:
    by_name = await client.data('{ communes(search: "escaut") { insee name postalCodes } }')
    by_code = await client.data('{ communes(search: "59278") { insee name } }')

    assert {"insee": "59207", "name": "Escautpont", "postalCodes": ["59278"]} in by_name["communes"]
    assert [c["name"] for c in by_code["communes"]] == ["Escautpont"]


async def test_cafs_and_their_territory(client: SchemaClient) -> None:
    data = await client.data("{ cafs { code label headOffice departements } }")

    nord = next(caf for caf in data["cafs"] if caf["code"] == "CAF59")
    assert nord == {
        "code": "CAF59",
        "label": "Caisse d'allocations familiales du Nord",
        "headOffice": "59863 Lille Cedex 9",
        "departements": ["59"],
    }
    assert len(data["cafs"]) == 101


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 101}, "first : doit être compris entre 1 et 100"),
        ({"first": 100000}, "first : doit être compris entre 1 et 100"),
        ({"first": 0}, "first : doit être compris entre 1 et 100"),
        ({"first": 5, "filter": {"communeInsee": "5920"}}, "filter.communeInsee : « 5920 » n'est pas un code INSEE"),
        ({"first": 5, "filter": {"postalCode": "59 278"}}, "filter.postalCode : « 59 278 » n'est pas un code postal"),
        ({"first": 5, "filter": {"departement": "599"}}, "filter.departement"),
        ({"first": 5, "filter": {"childAgeMonths": -1}}, "filter.childAgeMonths"),
        (
            {"first": 5, "filter": {"freePlaces": {"from": "2026-12-10", "to": "2026-12-01"}}},
            "filter.freePlaces : la période se termine (2026-12-01) avant de commencer (2026-12-10)",
        ),
        ({"first": 5, "after": "not-a-cursor!"}, "after : ce curseur n'a pas été donné par cette API"),
        ({"first": 5, "after": "WzEsMl0"}, "after : ce curseur n'est pas celui de cette recherche"),
    ],
)
async def test_bad_arguments_get_a_clear_error_naming_them(
    client: SchemaClient, variables: dict[str, Any], message: str
) -> None:
    data, errors = await client.run(LIST, variables)

    assert data is None
    assert len(errors) == 1
    assert errors[0].startswith(message), errors


async def test_a_radius_out_of_range_and_an_unknown_enum_value_are_refused(client: SchemaClient) -> None:
    _, radius = await client.run(NEAR, {"points": [ESCAUTPONT], "radius": 80, "first": 5, **_week(client)})
    _, enum = await client.run("{ establishments(filter: {categories: [CRECHE]}) { totalCount } }")

    assert radius == ["near.radiusKm : doit être compris entre 0,1 et 30 km"]
    assert "CRECHE" in enum[0]
    assert "Category" in enum[0]


async def test_a_tampered_global_id_is_a_clear_error(client: SchemaClient) -> None:
    _, errors = await client.run('{ node(id: "%%%") { id } }')
    _, foreign = await client.run('{ node(id: "VXNlcjox") { id } }')

    assert errors == ["id : '%%%' n'est pas un identifiant valide."]
    assert foreign == ["id : « VXNlcjox » n'est l'identifiant d'aucun type connu."]


NODE, NODES = "query($id: ID!) { node(id: $id) { id } }", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
PAGE = "query($after: String) { establishments(after: $after) { totalCount } }"


@pytest.mark.parametrize(
    ("document", "variables", "message"),
    [
        (NODE, {"id": _b64("Establishment:a\x00b")}, "id : "),
        (NODES, {"ids": [_b64("Commune:5920\x00")]}, "ids"),
        (PAGE, {"after": _b64('["a\\u0000b","x"]')}, "after : "),
        (PAGE, {"after": _b64('["\\ud800","x"]')}, "after : "),
    ],
)
async def test_a_global_id_or_a_cursor_hiding_text_no_database_stores_is_a_clear_error(
    client: SchemaClient, document: str, variables: dict[str, Any], message: str
) -> None:
    # S18: base64 hides a NUL or a lone surrogate from the request's own checks; PostgreSQL refused the NUL and the
    # driver could not encode the surrogate, both as INTERNAL_SERVER_ERROR.
    _, errors = await client.run(document, variables)

    assert len(errors) == 1
    assert errors[0].startswith(message), errors
