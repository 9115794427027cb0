"""The response cache's pure parts: keys, tags, the LRU bound and the race rule."""

from datetime import UTC, date, datetime

import pytest

from gateway.graphql.relay import to_global_id
from gateway.response_cache.freshness import measuring_freshness, valid_until
from gateway.response_cache.requests import CacheableRequest, NotCacheableError, RequestReader
from gateway.response_cache.store import Entry, ResponseCache, compress
from gateway.response_cache.tags import (
    EVERY_CELL,
    LISTS,
    NEAR_MARGIN_KM,
    PlaceIndex,
    Touched,
    cell,
    circle_cells,
    may_change,
    publication_tags,
    within,
)

TODAY = date(2026, 12, 3)
CRECHE = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001"
LIST = """query($c: String, $first: Int = 20) { establishments(first: $first, filter: {communeInsee: $c}) {
  totalCount edges { node { name } } } }"""


def make_entry(key: str, *, body: bytes = b'{"data":{}}', tags: frozenset[str] = frozenset()) -> Entry:
    return Entry(key, body, ((b"content-type", b"application/json"),), tags)


def read(document: str, variables: dict[str, object] | None = None, operation: str | None = None) -> set[str]:
    request = RequestReader().read(document, operation, variables, TODAY)
    assert request is not None
    return set(request.tags())


def test_the_key_is_the_document_operation_canonical_variables_and_date() -> None:
    reader = RequestReader()

    def key(variables: dict[str, object] | None, today: date = TODAY, document: str = LIST) -> str:
        request = reader.read(document, None, variables, today)
        assert request is not None
        return request.key

    assert key({"c": "59207", "first": 20}) == key({"first": 20, "c": "59207"}) == key({"c": "59207"})
    assert key({"c": "59207", "undeclared": 1}) == key({"c": "59207"})
    assert key({"c": "59207"}) != key({"c": "59606"})
    assert key({"c": "59207"}) != key({"c": "59207"}, date(2026, 12, 4))
    assert key({"c": "59207"}) != key({"c": "59207"}, document=LIST + " ")


def test_only_queries_of_public_roots_are_cacheable() -> None:
    reader = RequestReader()

    def cacheable(document: str, operation: str | None = None) -> bool:
        request = reader.read(document, operation, None, TODAY)
        try:
            return request is not None and request.tags() is not None
        except NotCacheableError:
            return False

    assert cacheable('{ cafs { code } communes(search: "Esc") { name } service { version } __typename }')
    assert not cacheable("{ me { identifier } }")
    assert not cacheable("{ cafs { code } events(first: 1) { totalCount } }")
    assert not cacheable("mutation { logout { ok } }")
    assert not cacheable("subscription { publications { id } }")
    assert not cacheable("{ ...F } fragment F on Query { me { identifier } }")
    assert not cacheable("{ cafs { code ")  # does not parse: the executor says why
    assert not cacheable('{{ node(id: "{}") {{ id }} }}'.format(to_global_id("Provider", CRECHE)))
    assert not cacheable("query A { cafs { code } } query B { me { identifier } }", "B")
    assert cacheable("query A { cafs { code } } query B { me { identifier } }", "A")
    assert not cacheable("query A { cafs { code } } query B { cafs { code } }")  # which one? the executor says


def test_node_and_list_tags_come_from_the_arguments_literal_or_variable() -> None:
    node = to_global_id("Establishment", CRECHE.upper())
    assert read(f'{{ node(id: "{node}") {{ id }} }}') == {f"e:{CRECHE}"}
    assert read("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [node]}) == {f"e:{CRECHE}"}
    assert read(LIST, {"c": "59207"}) == {LISTS, "c:59207"}
    by_postal = '{ establishments(filter: {postalCode: "59278", categories: [EAJE, ALSH]}) { totalCount } }'
    assert read(by_postal) == {LISTS, "pc:59278/EAJE", "pc:59278/ALSH", "pc:*/EAJE", "pc:*/ALSH"}
    assert read('{ establishments(filter: {departement: "59"}) { totalCount } }') == {LISTS, "d:59"}
    assert read("{ establishments { totalCount } }") == {LISTS, "all"}
    near = "query($p: GeoPointInput!) { establishments(near: {points: [$p], radiusKm: 5}) { totalCount } }"
    tags = read(near, {"p": {"latitude": 50.42, "longitude": 3.55}})
    assert {LISTS, EVERY_CELL, cell(50.42, 3.55), cell(50.42 + 0.044, 3.55 - 0.069)} <= tags


def test_a_circle_covers_the_cell_of_every_point_within_its_radius() -> None:
    centre = (48.8566, 2.3522)
    cells = circle_cells(*centre, 5.0)
    for dlat, dlon in [(0.0449, 0), (-0.0449, 0), (0, 0.0683), (0, -0.0683), (0.03, 0.045), (-0.03, -0.045)]:
        assert cell(centre[0] + dlat, centre[1] + dlon) in cells


def test_a_publication_touches_its_establishment_its_place_and_its_communes_cells_and_postal_codes() -> None:
    index = PlaceIndex()
    touched = Touched(CRECHE, "59", "59207", "EAJE")

    before_loading = publication_tags(touched, index)
    index.load([("59207", "59278", 50.4186, 3.5543)])
    loaded = publication_tags(touched, index)
    index.add("59207", "59278", 50.6, 3.5543)
    created_further = publication_tags(touched, index)

    assert {"g:*", "pc:*", "g:*/EAJE"} <= before_loading
    assert {f"e:{CRECHE}", "all", "all/EAJE", "d:59", "d:59/EAJE", "c:59207", "c:59207/EAJE"} <= loaded
    assert {cell(50.4186, 3.5543), f"{cell(50.4186, 3.5543)}/EAJE", "pc:59278", "pc:59278/EAJE"} <= loaded
    assert "g:*" not in loaded
    assert LISTS not in loaded
    assert LISTS in publication_tags(Touched(CRECHE, "59", "59207", "EAJE", moved=True), index)
    assert cell(50.6, 3.5543) in created_further
    assert cell(50.4186, 3.5543) in created_further


def test_invalidation_drops_exactly_the_entries_holding_a_tag() -> None:
    cache = ResponseCache(1_000_000)
    for key, tags in [("a", {"c:59207"}), ("b", {"c:59606"}), ("c", {"e:1", "c:59207"})]:
        assert cache.store(cache.begin(), make_entry(key, tags=frozenset(tags)))

    dropped = cache.invalidate({"c:59207", "unknown"})

    assert sorted(entry.key for entry in dropped) == ["a", "c"]
    assert cache.get("a") is None
    assert cache.get("c") is None
    assert cache.get("b") is not None
    assert cache.counts.invalidations == 2


def test_memory_is_bounded_and_the_least_recently_used_goes_first() -> None:
    body = b"x" * 1000
    size = make_entry("a", body=body).size
    cache = ResponseCache(3 * size)
    for key in "abc":
        cache.store(cache.begin(), make_entry(key, body=body))
    assert cache.get("a") is not None  # b is now the least recently used

    cache.store(cache.begin(), make_entry("d", body=body))

    assert cache.get("b") is None
    assert all(cache.get(key) is not None for key in "acd")
    assert cache.bytes <= cache.max_bytes
    assert cache.counts.evictions == 1


def test_an_answer_read_before_an_invalidation_of_its_tags_is_not_stored() -> None:
    cache = ResponseCache(1_000_000)
    stale, unrelated, fresh = cache.begin(), cache.begin(), None

    cache.invalidate({"c:59207"})
    fresh = cache.begin()

    assert not cache.store(stale, make_entry("a", tags=frozenset({"c:59207"})))
    assert cache.store(unrelated, make_entry("b", tags=frozenset({"c:59606"})))
    assert cache.store(fresh, make_entry("a", tags=frozenset({"c:59207"})))
    assert cache.counts.refused == 1


def test_expired_answers_are_misses() -> None:
    now = [1000.0]
    cache = ResponseCache(1_000_000, clock=lambda: now[0])
    entry = make_entry("a")
    entry.expires = 1500.0
    cache.store(cache.begin(), entry)

    assert cache.get("a") is not None
    now[0] = 1500.0
    assert cache.get("a") is None
    assert cache.counts.expirations == 1


def test_lone_surrogates_from_json_are_keyed_not_fatal() -> None:
    reader = RequestReader()

    in_variables = reader.read("query($s: String!) { communes(search: $s) { name } }", None, {"s": "\ud800x"}, TODAY)
    in_document = reader.read('{ communes(search: "\ud800x") { name } }', None, None, TODAY)

    assert in_variables is not None
    assert in_variables.tags() == frozenset()
    assert in_document is None  # graphql-core refuses it: the executor answers the error


def test_an_answer_lasts_until_the_earliest_instant_it_would_change_by_the_clock() -> None:
    soon, later = datetime(2026, 12, 9, 10, tzinfo=UTC), datetime(2026, 12, 10, 8, tzinfo=UTC)
    valid_until(soon)  # outside a cached request: nothing to note, nothing raised

    with measuring_freshness() as freshness:
        valid_until(later)
        valid_until(soon)
        valid_until(later)
    with measuring_freshness() as untouched:
        pass

    assert freshness.until == soon
    assert untouched.until is None


def test_a_circle_no_search_accepts_is_not_tagged_but_left_to_the_executor() -> None:
    """The fuzzer's find: a point at 1e218 degrees made the cell range infinite (OverflowError, a 500)."""
    reader = RequestReader()
    for latitude, longitude, radius in [(5.17e218, 3.5, 5.0), (50.4, -1.79e308, 5.0), (-91.0, 3.5, 5.0)]:
        for document, variables in [
            (f"{{ establishments(near: {{points: [{{latitude: {latitude}, longitude: {longitude}}}], "
             f"radiusKm: {radius}}}) {{ totalCount }} }}", None),
            ("query($p: GeoPointInput!, $r: Float!) { establishments(near: {points: [$p], radiusKm: $r}) "
             "{ totalCount } }",
             {"p": {"latitude": latitude, "longitude": longitude}, "r": radius}),
        ]:  # fmt: skip
            request = reader.read(document, None, variables, TODAY)
            assert request is not None
            with pytest.raises(NotCacheableError):
                request.tags()
    with pytest.raises(ValueError, match="not a circle"):
        circle_cells(91.0, 3.5, 5.0)


def request_of(document: str, variables: dict[str, object] | None = None) -> CacheableRequest:
    request = RequestReader().read(document, None, variables, TODAY)
    assert request is not None
    return request


NEAR_PAGE = """query($p: GeoPointInput!, $first: Int = 2) {
  establishments(near: {points: [$p], radiusKm: 5}, filter: {categories: [EAJE]}, first: $first) {
    edges { node { id name } } } }"""
HERE = {"latitude": 50.42, "longitude": 3.55}


def test_an_answer_reads_availabilities_when_it_selects_them_anywhere_or_filters_on_free_places() -> None:
    fragment = "fragment F on Establishment { name availabilityStatus { state } }"
    reading = [
        "{ establishments { edges { node { availabilities { date } } } } }",
        f"{{ establishments {{ edges {{ node {{ ...F }} }} }} }} {fragment}",
        "{ establishments { edges { node { ... on Establishment { x: availabilityStatus { state } } } } } }",
        '{ node(id: "x") { ... on Establishment { availabilities { date } } } }',
        '{ establishments(filter: {freePlaces: {from: "2026-12-04", to: "2026-12-05"}}) { totalCount } }',
        "{ establishments { edges { node { ...Unknown } } } }",
    ]
    for document in reading:
        assert request_of(document).reads_availabilities(), document
    by_variable = "query($f: EstablishmentFilter) { establishments(filter: $f) { totalCount } }"
    assert request_of(
        by_variable, {"f": {"freePlaces": {"from": "2026-12-04", "to": "2026-12-05"}}}
    ).reads_availabilities()
    assert request_of(by_variable, {"f": "odd"}).reads_availabilities()
    assert not request_of(by_variable, {"f": {"communeInsee": "59207"}}).reads_availabilities()
    assert request_of(by_variable).reads_availabilities(), "an absent variable: nothing is assumed"
    assert not request_of(LIST, {"c": "59207"}).reads_availabilities()
    assert not request_of("{ establishments(filter: {freePlaces: null}) { totalCount } }").reads_availabilities()


def test_a_publication_of_availabilities_drops_only_the_answers_that_read_them() -> None:
    cache = ResponseCache(1_000_000)
    reading, plain = make_entry("a", tags=frozenset({"c:59207"})), make_entry("b", tags=frozenset({"c:59207"}))
    plain.availabilities = False
    node = make_entry("c", tags=frozenset({f"e:{CRECHE}"}))
    for entry in (reading, plain, node):
        assert cache.store(cache.begin(), entry)
    in_flight = cache.begin()

    dropped = cache.invalidate({"c:59207", f"e:{CRECHE}"}, availabilities_only=True)
    late = make_entry("d", tags=frozenset({"c:59207"}))
    late.availabilities = False

    assert sorted(entry.key for entry in dropped) == ["a", "c"]
    assert cache.get("b") is plain
    assert cache.store(in_flight, late), "a read in flight that reads no availabilities is not refused"
    assert sorted(entry.key for entry in cache.invalidate({"c:59207"})) == ["b", "d"], "any other publication"


def test_a_near_list_is_kept_when_the_publication_is_outside_its_circles_or_beyond_its_full_page() -> None:
    centre = (50.42, 3.55, 5.0)
    km = 1 / 111.195  # degrees of latitude per km
    inside, outside = (50.42 + 4.9 * km, 3.55), (50.42 + 5.2 * km, 3.55)
    assert within(inside, (centre,))
    assert not within(outside, (centre,))
    assert not may_change(outside, False, (centre,), None)
    assert may_change(inside, False, (centre,), None), "not a full page: anything inside may enter"
    assert not may_change(inside, False, (centre,), 4.9 - 2 * NEAR_MARGIN_KM)
    assert may_change(inside, False, (centre,), 4.9 - NEAR_MARGIN_KM / 2), "a tie, give or take the margin"
    assert may_change(inside, True, (centre,), 1.0), "shown: its free places may take it out"
    two = ((50.42, 3.55, 5.0), (50.42 + 20 * km, 3.55, 5.0))
    assert not may_change((50.42 + 24 * km, 3.55), False, two, 1.0)
    assert may_change((50.42 + 20.5 * km, 3.55), False, two, 1.0), "near the second point: within its reach"

    cache = ResponseCache(1_000_000)
    for key, reach in [("page", 1.0), ("open", None)]:
        entry = make_entry(key, tags=frozenset({cell(*inside)}))
        entry.circles, entry.reach = (centre,), reach
        cache.store(cache.begin(), entry)
    dropped = cache.invalidate({cell(*inside)}, availabilities_only=True, point=inside, establishment=f"e:{CRECHE}")
    assert [entry.key for entry in dropped] == ["open"]
    assert cache.get("page") is not None


def test_only_a_full_first_page_of_edges_nodes_ranked_by_distance_has_a_reach() -> None:
    first, second = to_global_id("Establishment", CRECHE), to_global_id("Establishment", CRECHE[:-1] + "2")
    answer = {"data": {"establishments": {"edges": [{"node": {"id": first}}, {"node": {"id": second}}]}}}
    request = request_of(NEAR_PAGE, {"p": HERE})

    assert request.circles() == ((50.42, 3.55, 5.0),)
    assert request.full_page(answer) == [CRECHE, CRECHE[:-1] + "2"]
    assert request_of(NEAR_PAGE, {"p": HERE, "first": 3}).full_page(answer) is None, "not full"
    assert (
        request.full_page({"data": {"establishments": {"edges": answer["data"]["establishments"]["edges"][:1]}}})
        is None
    )
    not_ranked_alone = [
        NEAR_PAGE.replace("edges {", "totalCount edges {"),
        NEAR_PAGE.replace("edges {", "pageInfo { hasNextPage } edges {"),
        NEAR_PAGE.replace("node {", "cursor node {"),
        NEAR_PAGE.replace("first: $first", 'first: $first, after: "YXJyYXljb25uZWN0aW9uOjE="'),
        NEAR_PAGE.replace("{ id name }", "{ id: name }"),
        NEAR_PAGE.replace("edges {", "edges @include(if: true) {"),
        NEAR_PAGE.replace("near: {points: [$p], radiusKm: 5}, ", ""),
        NEAR_PAGE.replace("establishments(", "cafs { code } establishments("),
    ]
    for document in not_ranked_alone:
        assert request_of(document, {"p": HERE}).full_page(answer) is None, document


def test_an_eajes_availabilities_touch_its_own_cell_when_its_position_is_known() -> None:
    index = PlaceIndex()
    index.load([("59207", "59278", 50.4186, 3.5543), ("59207", "59278", 50.52, 3.70)])
    index.load_positions([(CRECHE, 50.41862, 3.55431)])
    position = index.position(CRECHE)
    assert position is not None

    tags = publication_tags(Touched(CRECHE, "59", "59207", "EAJE", position=position), index)

    assert {cell(*position), f"{cell(*position)}/EAJE", "pc:59278", "c:59207", f"e:{CRECHE}"} <= tags
    assert cell(50.52, 3.70) not in tags, "another cell of its commune"
    index.locate(CRECHE, "EAJE", 50.52, 3.70)
    assert index.position(CRECHE) == (50.52, 3.70)
    index.locate(CRECHE, "ALSH", 50.52, 3.70)
    assert index.position(CRECHE) is None


def test_a_read_in_flight_reading_availabilities_is_refused_after_a_publication_of_them() -> None:
    cache = ResponseCache(1_000_000)
    in_flight = cache.begin()
    cache.invalidate({"c:59207"}, availabilities_only=True)

    assert not cache.store(in_flight, make_entry("a", tags=frozenset({"c:59207"})))


def test_answers_are_kept_compressed_and_counted_by_what_is_kept() -> None:
    answer = b'{"data":{"establishments":{"edges":[' + b'{"node":{"name":"Multi-accueil"}},' * 200 + b"]}}}"
    entry = make_entry("a", body=compress(answer))

    assert entry.answer() == answer
    assert entry.size < len(answer) / 4
