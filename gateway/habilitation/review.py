"""What the Caf decides on when it processes a request: each establishment the request names with the provider
running it today and its standing, and the register's provider with the request's SIRET, if any.

The Caf's view of a request and the activation read the same review, so the Caf activates what it was shown.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.states import Right
from gateway.catalogue import holders
from gateway.catalogue import repositories as catalogue
from gateway.catalogue.records import HeldEstablishmentRecord, HolderRecord
from gateway.habilitation.ownership import NamedEstablishment, normal_siret, standing


@dataclass(frozen=True)
class RequestReview:
    establishments: tuple[NamedEstablishment, ...]
    registered: HolderRecord | None
    """The register's provider whose SIRET is the request's: activation makes the persons its agents if confirmed."""
    commune_name: str | None
    """The commune of the provider's address."""


async def review_requests(session: AsyncSession, rows: Sequence[Any], *, lock: bool = False) -> list[RequestReview]:
    """The review of each request row, in order (three statements whatever the number of rows)."""
    ids = [i for row in rows for i in (*row.operating_info_establishments, *row.availability_establishments)]
    held = await holders.get_held_establishments(session, ids, lock=lock)
    sirets = [s for s in (normal_siret(row.provider["siret"]) for row in rows) if s]
    registered = await holders.get_providers_by_siret(session, sirets)
    communes = await catalogue.get_communes(session, sorted({row.provider["commune_insee"] for row in rows}))
    names = {commune.insee: commune.name for commune in communes}
    return [
        RequestReview(
            establishments=_named(row, held),
            registered=registered.get(normal_siret(row.provider["siret"]) or ""),
            commune_name=names.get(row.provider["commune_insee"]),
        )
        for row in rows
    ]


def _named(row: Any, held: dict[str, HeldEstablishmentRecord]) -> tuple[NamedEstablishment, ...]:
    rights: dict[str, list[str]] = {}
    for establishment_id in row.operating_info_establishments:
        rights.setdefault(establishment_id, []).append(Right.OPERATING_INFO)
    for establishment_id in row.availability_establishments:
        rights.setdefault(establishment_id, []).append(Right.AVAILABILITY)
    named = []
    for establishment_id, wanted in rights.items():
        found = held.get(establishment_id)
        holder = found.holder if found is not None else None
        named.append(
            NamedEstablishment(
                id=establishment_id,
                name=found.name if found is not None else "",
                category=found.category.value if found is not None else "",
                commune_name=found.commune_name if found is not None else "",
                holder=holder,
                standing=standing(holder, row.provider["siret"]),
                rights=tuple(dict.fromkeys(wanted)),
            )
        )
    return tuple(named)
