"""Whose establishments a habilitation may cover (ASVS V4.2.1: object-level authorisation).

Each establishment of the register has one provider, identified by its SIRET. A request may name:

- the establishments of the provider with the request's SIRET (OWN);
- an establishment whose provider the register knows without a SIRET (TO_CONFIRM): nobody can prove it is theirs
  from the register alone, so the Caf confirms it, item by item, at activation, and it is then attached to the
  requester;
- never an establishment run by a provider with another SIRET (OTHER_PROVIDER): refused at the request and again
  at activation, since the register may change in between.

A request whose SIRET matches a provider of the register becomes that provider's agents only when the Caf confirms
it at activation too: a SIRET is public, so typing one proves nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from gateway.catalogue.records import HolderRecord as Holder
from gateway.user_errors import UserError

__all__ = [
    "Confirmation",
    "Holder",
    "NamedEstablishment",
    "Standing",
    "activation_errors",
    "normal_siret",
    "other_provider_message",
    "standing",
]


class Standing(Enum):
    OWN = "OWN"
    TO_CONFIRM = "TO_CONFIRM"
    OTHER_PROVIDER = "OTHER_PROVIDER"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class NamedEstablishment:
    """An establishment a request names, with who runs it today and what the request asks on it."""

    id: str
    name: str
    category: str
    commune_name: str
    holder: Holder | None
    standing: Standing
    rights: tuple[str, ...]


@dataclass(frozen=True)
class Confirmation:
    """What the Caf confirms at activation: the register's provider with the request's SIRET, and establishments."""

    provider: bool = False
    establishments: tuple[str, ...] = ()


def normal_siret(siret: str | None) -> str | None:
    """The SIRET as the register keeps it (digits only), or None when there is none."""
    digits = "".join(siret.split()) if siret else ""
    return digits or None


def standing(holder: Holder | None, request_siret: str) -> Standing:
    if holder is None:
        return Standing.UNKNOWN
    siret = normal_siret(holder.siret)
    if siret is None:
        return Standing.TO_CONFIRM
    return Standing.OWN if siret == normal_siret(request_siret) else Standing.OTHER_PROVIDER


def other_provider_message(name: str) -> str:
    return f"L'établissement « {name} » est géré par un autre fournisseur : seul son gestionnaire peut le demander."


def activation_errors(
    named: Sequence[NamedEstablishment], registered: Holder | None, confirmation: Confirmation
) -> list[UserError]:
    """Why activation may not grant the request as it stands (empty: it may)."""
    errors: list[UserError] = []
    for item in named:
        if item.standing is Standing.OTHER_PROVIDER:
            message = f"{other_provider_message(item.name)} Refusez la demande."
            errors.append(UserError("requestNumber", "ESTABLISHMENT_OF_ANOTHER_PROVIDER", message))
        elif item.standing is Standing.UNKNOWN:
            errors.append(UserError("requestNumber", "UNKNOWN_ESTABLISHMENT", f"Établissement {item.id} inconnu."))
    if registered is not None and not confirmation.provider:
        message = (
            f"Le SIRET de la demande est celui de « {registered.name} », déjà connu du registre : "
            "confirmez que les personnes demandées en seront les agents."
        )
        errors.append(UserError("confirmProvider", "CONFIRMATION_REQUIRED", message))
    confirmed = set(confirmation.establishments)
    unconfirmed = [i.name for i in named if i.standing is Standing.TO_CONFIRM and i.id not in confirmed]
    if unconfirmed:
        listed = ", ".join(f"« {name} »" for name in unconfirmed)
        message = f"Confirmez un à un les établissements sans gestionnaire identifié par SIRET : {listed}."
        errors.append(UserError("confirmEstablishments", "CONFIRMATION_REQUIRED", message))
    requested = {item.id for item in named}
    for index, establishment_id in enumerate(confirmation.establishments):
        if establishment_id not in requested:
            message = "Cet établissement ne fait pas partie de la demande : il ne peut pas y être confirmé."
            errors.append(UserError(f"confirmEstablishments[{index}]", "NOT_IN_REQUEST", message))
    return errors
