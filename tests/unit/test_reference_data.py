"""The committed reference data (communes, départements, Caf) parses and holds what the product relies on.

The files are built by tools/build_reference_data.py; these tests read them as committed (no network).
"""

import csv
import gzip
import io
import math
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "gateway" / "catalogue" / "reference"

COMMUNES_HEADER = [
    "insee",
    "name",
    "departement",
    "region",
    "arrondissement",
    "postal_codes",
    "population",
    "latitude",
    "longitude",
    "coord_source",
    "kind",
]

# Lat/lng boxes a coordinate of each zone must fall in.
BOXES = {
    "metro": (41.3, 51.2, -5.3, 9.7),
    "971": (15.8, 16.55, -61.9, -60.95),
    "972": (14.35, 14.9, -61.25, -60.8),
    "973": (2.1, 5.85, -54.65, -51.6),
    "974": (-21.42, -20.85, 55.2, 55.85),
    "976": (-13.05, -12.6, 44.95, 45.35),
}

# The « villages morts pour la France » of the Meuse: communes without inhabitants since 1916.
UNINHABITED = {"55039", "55050", "55139", "55189", "55239", "55307"}

Row = dict[str, str]


def read_csv(text: str, header: list[str]) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == header
    return list(reader)


@cache
def communes() -> tuple[Row, ...]:
    data = (REFERENCE / "communes.csv.gz").read_bytes()
    return tuple(read_csv(gzip.decompress(data).decode("utf-8"), COMMUNES_HEADER))


@cache
def by_insee() -> dict[str, Row]:
    return {row["insee"]: row for row in communes()}


@cache
def departements() -> tuple[Row, ...]:
    text = (REFERENCE / "departements.csv").read_text(encoding="utf-8")
    return tuple(read_csv(text, ["code", "name", "region"]))


@cache
def cafs() -> tuple[Row, ...]:
    text = (REFERENCE / "cafs.csv").read_text(encoding="utf-8")
    return tuple(read_csv(text, ["code", "label", "departements", "head_office", "director"]))


def km_between(first: Row, second: Row) -> float:
    """Haversine distance between two communes, in km."""
    lat1, lng1 = math.radians(float(first["latitude"])), math.radians(float(first["longitude"]))
    lat2, lng2 = math.radians(float(second["latitude"])), math.radians(float(second["longitude"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_the_communes_file_is_deterministic_gzip() -> None:
    data = (REFERENCE / "communes.csv.gz").read_bytes()

    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\x00\x00\x00\x00"  # mtime 0: the same bytes on every build
    assert len(data) < 1_500_000


def test_every_commune_row_is_well_formed() -> None:
    known_departements = {row["code"] for row in departements()}
    insee_codes = [row["insee"] for row in communes()]

    assert insee_codes == sorted(insee_codes)
    assert len(set(insee_codes)) == len(insee_codes)
    for row in communes():
        assert re.fullmatch(r"[0-9][0-9AB][0-9]{3}", row["insee"]), row
        assert row["name"], row
        assert row["departement"] in known_departements, row
        assert row["insee"].startswith(row["departement"]), row
        assert row["kind"] in {"commune-actuelle", "arrondissement-municipal"}, row
        assert row["coord_source"] in {"geonames", "estimated"}, row
        assert re.fullmatch(r"-?\d+\.\d{5}", row["latitude"]), row
        assert re.fullmatch(r"-?\d+\.\d{5}", row["longitude"]), row
        postal_codes = row["postal_codes"].split(" ")
        assert all(re.fullmatch(r"\d{5}", code) for code in postal_codes), row
        assert postal_codes == sorted(set(postal_codes)), row


def test_the_commune_count_is_that_of_france() -> None:
    kinds = Counter(row["kind"] for row in communes())

    assert 34_000 <= kinds["commune-actuelle"] <= 36_000
    assert kinds["arrondissement-municipal"] == 20 + 9 + 16  # Paris, Lyon, Marseille


def test_populations_are_positive_integers_but_for_the_uninhabited_villages_of_the_meuse() -> None:
    zero = set()
    for row in communes():
        population = int(row["population"])
        assert population >= 0, row
        if population == 0 and row["kind"] == "commune-actuelle":
            zero.add(row["insee"])

    assert zero == UNINHABITED


def test_insee_code_and_postal_code_are_kept_apart() -> None:
    escautpont, hallennes = by_insee()["59207"], by_insee()["59278"]
    conde, croix = by_insee()["59153"], by_insee()["59163"]

    assert (escautpont["name"], escautpont["postal_codes"]) == ("Escautpont", "59278")
    assert hallennes["name"] == "Hallennes-lez-Haubourdin"
    assert "59278" not in hallennes["postal_codes"].split()
    assert (conde["name"], conde["postal_codes"]) == ("Condé-sur-l'Escaut", "59163")
    assert croix["name"] == "Croix"
    assert "59163" not in croix["postal_codes"].split()


def test_the_communes_of_the_valenciennois_are_a_few_km_apart() -> None:
    escautpont, valenciennes = by_insee()["59207"], by_insee()["59606"]
    anzin, conde = by_insee()["59014"], by_insee()["59153"]

    assert 5 <= km_between(valenciennes, escautpont) <= 20
    assert km_between(escautpont, anzin) <= 20
    assert km_between(escautpont, conde) <= 20
    assert km_between(valenciennes, anzin) <= 10


def test_paris_arrondissements_have_their_own_postal_codes() -> None:
    first, sixteenth = by_insee()["75101"], by_insee()["75116"]

    assert (first["kind"], first["postal_codes"]) == ("arrondissement-municipal", "75001")
    assert set(sixteenth["postal_codes"].split()) == {"75016", "75116"}
    assert "75001" in by_insee()["75056"]["postal_codes"].split()


def test_every_coordinate_lies_in_its_zone() -> None:
    for row in communes():
        box = BOXES.get(row["departement"], BOXES["metro"])
        lat, lng = float(row["latitude"]), float(row["longitude"])
        assert box[0] <= lat <= box[1], row
        assert box[2] <= lng <= box[3], row


def test_the_departements_are_those_of_metropolitan_france_and_the_drom() -> None:
    codes = [row["code"] for row in departements()]

    assert len(codes) == len(set(codes)) == 96 + 5
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(codes)
    assert "20" not in codes
    assert {row["name"] for row in departements() if row["code"] in {"59", "974"}} == {"Nord", "La Réunion"}


def test_every_departement_has_exactly_one_caf_and_caf_codes_are_unique() -> None:
    covering = Counter(code for caf in cafs() for code in caf["departements"].split())
    codes = [caf["code"] for caf in cafs()]

    assert len(codes) == len(set(codes))
    assert set(covering) == {row["code"] for row in departements()}
    assert set(covering.values()) == {1}


def test_the_nord_caf_is_the_one_of_the_signed_convention() -> None:
    nord = next(caf for caf in cafs() if caf["code"] == "CAF59")

    assert nord == {
        "code": "CAF59",
        "label": "Caisse d'allocations familiales du Nord",
        "departements": "59",
        "head_office": "59863 Lille Cedex 9",
        "director": "Audrey MATHON-DEBETENCOURT",
    }


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("CAF01", "Caisse d'allocations familiales de l'Ain"),
        ("CAF04", "Caisse d'allocations familiales des Alpes-de-Haute-Provence"),
        ("CAF08", "Caisse d'allocations familiales des Ardennes"),
        ("CAF14", "Caisse d'allocations familiales du Calvados"),
        ("CAF16", "Caisse d'allocations familiales de la Charente"),
        ("CAF28", "Caisse d'allocations familiales d'Eure-et-Loir"),
        ("CAF2A", "Caisse d'allocations familiales de la Corse-du-Sud"),
        ("CAF49", "Caisse d'allocations familiales de Maine-et-Loire"),
        ("CAF64", "Caisse d'allocations familiales des Pyrénées-Atlantiques"),
        ("CAF75", "Caisse d'allocations familiales de Paris"),
        ("CAF90", "Caisse d'allocations familiales du Territoire de Belfort"),
        ("CAF93", "Caisse d'allocations familiales de la Seine-Saint-Denis"),
        ("CAF971", "Caisse d'allocations familiales de la Guadeloupe"),
        ("CAF974", "Caisse d'allocations familiales de La Réunion"),
        ("CAF976", "Caisse d'allocations familiales de Mayotte"),
    ],
)
def test_caf_labels_take_the_french_article_of_their_departement(code: str, label: str) -> None:
    assert next(caf["label"] for caf in cafs() if caf["code"] == code) == label
