"""Loads the reference data shipped in ``gateway/catalogue/reference/``: Caf, départements and communes.

The files are built by ``tools/build_reference_data.py`` from packaged public sources (see the README there).
"""

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue.domain import search_key
from gateway.catalogue.tables import cafs, commune_postal_codes, communes, departements

REFERENCE_DIR = Path(__file__).parent / "reference"
_CHUNK = 5_000


def read_csv(name: str) -> Iterator[dict[str, str]]:
    path = REFERENCE_DIR / name
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    yield from csv.DictReader(io.StringIO(raw.decode("utf-8")))


def caf_rows() -> list[dict[str, Any]]:
    return [
        {"code": r["code"], "label": r["label"], "head_office": r["head_office"], "director": r["director"]}
        for r in read_csv("cafs.csv")
    ]


def departement_rows() -> list[dict[str, Any]]:
    caf_of = {d: r["code"] for r in read_csv("cafs.csv") for d in r["departements"].split()}
    return [
        {"code": r["code"], "name": r["name"], "region": r["region"], "caf_code": caf_of[r["code"]]}
        for r in read_csv("departements.csv")
    ]


def commune_rows() -> list[dict[str, Any]]:
    return [
        {
            "insee": r["insee"],
            "name": r["name"],
            "search_name": search_key(r["name"]),
            "departement": r["departement"],
            "population": int(r["population"] or 0),
            "latitude": float(r["latitude"]),
            "longitude": float(r["longitude"]),
            "postal_codes": r["postal_codes"],
        }
        for r in read_csv("communes.csv.gz")
    ]


async def load_reference_data(session: AsyncSession) -> bool:
    """Insert Caf, départements and communes unless already there; returns whether it loaded anything."""
    if await session.scalar(select(func.count()).select_from(cafs)):
        return False
    await session.execute(cafs.insert(), caf_rows())
    await session.execute(departements.insert(), departement_rows())
    rows = commune_rows()
    for start in range(0, len(rows), _CHUNK):
        await session.execute(communes.insert(), rows[start : start + _CHUNK])
    pairs = sorted({(code, r["insee"]) for r in rows for code in r["postal_codes"].split()})
    postal = [{"postal_code": code, "insee": insee} for code, insee in pairs]
    for start in range(0, len(postal), _CHUNK):
        await session.execute(commune_postal_codes.insert(), postal[start : start + _CHUNK])
    return True
