"""The habilitation request as the provider fills it in (convention art. 3-1), and its validation.

Every refusal names the field (as the client wrote it) with a French message for people and a stable code for
programs. Validation that needs the database (Caf, communes, establishments) gets what it needs as arguments.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stdnum.fr import siret as siret_number

from gateway.catalogue.records import HolderRecord
from gateway.catalogue.vocabulary import Category, ProviderKind
from gateway.habilitation.ownership import Standing, other_provider_message, standing
from gateway.user_errors import UserError

__all__ = ["HabilitationForm", "Known", "PersonForm", "ProviderForm", "UserError", "validate"]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 .-]{10,20}$")
MAX_PERSONS = 50
MAX_ESTABLISHMENTS = 200


@dataclass(frozen=True)
class ProviderForm:
    name: str
    kind: ProviderKind
    siret: str
    street: str
    postal_code: str
    commune_insee: str
    email: str
    phone: str | None = None
    representative_name: str = ""
    representative_title: str = ""


@dataclass(frozen=True)
class PersonForm:
    last_name: str
    first_name: str
    function: str
    email: str
    civility: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class HabilitationForm:
    caf_code: str
    provider: ProviderForm
    persons: Sequence[PersonForm]
    operating_info_establishments: Sequence[str] = ()
    availability_establishments: Sequence[str] = ()


@dataclass(frozen=True)
class Known:
    """What the database says about the identifiers a form refers to."""

    caf_departements: Sequence[str]
    commune_postal_codes: Sequence[str] | None
    """The postal codes of the provider's commune, or ``None`` when the INSEE code is unknown."""
    establishments: Mapping[str, tuple[Category, str]] = field(default_factory=dict)
    """Establishment id → (category, département) for the ids the form names."""
    holders: Mapping[str, HolderRecord] = field(default_factory=dict)
    """Establishment id → the provider running it, for the ids the form names."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Establishment id → its name, for the ids the form names."""


def validate(form: HabilitationForm, known: Known) -> list[UserError]:
    errors = _provider_errors(form.provider, known)
    if not known.caf_departements:
        errors.append(UserError("caf", "UNKNOWN_CAF", "Caf inconnue : choisissez la Caf départementale destinatrice."))
    errors += _person_errors(form.persons)
    errors += _establishment_errors(form, known)
    return errors


def _required(value: str, path: str, label: str, limit: int = 300) -> list[UserError]:
    if not value.strip():
        return [UserError(path, "REQUIRED", f"{label} est obligatoire.")]
    if len(value) > limit:
        return [UserError(path, "TOO_LONG", f"{label} dépasse {limit} caractères.")]
    return []


def _provider_errors(provider: ProviderForm, known: Known) -> list[UserError]:
    errors = _required(provider.name, "provider.name", "La dénomination")
    errors += _required(provider.street, "provider.street", "L'adresse")
    errors += _required(provider.representative_name, "provider.representativeName", "Le nom du représentant")
    if not siret_number.is_valid(provider.siret.replace(" ", "")):
        errors.append(UserError("provider.siret", "INVALID_SIRET", "Le numéro SIRET n'est pas valide (14 chiffres)."))
    if not EMAIL.match(provider.email):
        errors.append(UserError("provider.email", "INVALID_EMAIL", "L'adresse électronique n'est pas valide."))
    if provider.phone and not PHONE.match(provider.phone):
        errors.append(UserError("provider.phone", "INVALID_PHONE", "Le numéro de téléphone n'est pas valide."))
    if known.commune_postal_codes is None:
        errors.append(UserError("provider.communeInsee", "UNKNOWN_COMMUNE", "Code INSEE de commune inconnu."))
    elif provider.postal_code not in known.commune_postal_codes:
        message = f"Le code postal {provider.postal_code} n'est pas celui de cette commune"
        expected = ", ".join(known.commune_postal_codes)
        errors.append(UserError("provider.postalCode", "POSTAL_CODE_MISMATCH", f"{message} ({expected})."))
    return errors


def _person_errors(persons: Sequence[PersonForm]) -> list[UserError]:
    if not persons:
        return [UserError("persons", "REQUIRED", "Indiquez au moins une personne à habiliter.")]
    if len(persons) > MAX_PERSONS:
        return [UserError("persons", "TOO_MANY", f"Au plus {MAX_PERSONS} personnes par demande.")]
    errors: list[UserError] = []
    seen: set[str] = set()
    for index, person in enumerate(persons):
        path = f"persons[{index}]"
        errors += _required(person.last_name, f"{path}.lastName", "Le nom", 100)
        errors += _required(person.first_name, f"{path}.firstName", "Le prénom", 100)
        errors += _required(person.function, f"{path}.function", "La fonction", 200)
        email = person.email.strip().lower()
        if not EMAIL.match(email):
            errors.append(UserError(f"{path}.email", "INVALID_EMAIL", "L'adresse électronique n'est pas valide."))
        elif email in seen:
            errors.append(
                UserError(
                    f"{path}.email",
                    "DUPLICATE_EMAIL",
                    "Chaque personne a sa propre adresse : les codes sont personnels.",
                )
            )
        seen.add(email)
    return errors


def _establishment_errors(form: HabilitationForm, known: Known) -> list[UserError]:
    wanted = [*form.operating_info_establishments, *form.availability_establishments]
    if not wanted:
        return [UserError("operatingInfoEstablishments", "REQUIRED", "Indiquez au moins un établissement.")]
    if len(set(wanted)) > MAX_ESTABLISHMENTS:
        return [UserError("operatingInfoEstablishments", "TOO_MANY", f"Au plus {MAX_ESTABLISHMENTS} établissements.")]
    errors: list[UserError] = []
    for list_name, ids in (
        ("operatingInfoEstablishments", form.operating_info_establishments),
        ("availabilityEstablishments", form.availability_establishments),
    ):
        for index, establishment_id in enumerate(ids):
            path = f"{list_name}[{index}]"
            found = known.establishments.get(establishment_id)
            if found is None:
                errors.append(UserError(path, "UNKNOWN_ESTABLISHMENT", "Établissement inconnu."))
                continue
            category, departement = found
            if list_name == "availabilityEstablishments" and category is not Category.EAJE:
                errors.append(UserError(path, "NOT_EAJE", "Les disponibilités ne concernent que les crèches (EAJE)."))
            if known.caf_departements and departement not in known.caf_departements:
                errors.append(UserError(path, "OTHER_CAF", "Cet établissement relève d'une autre Caf."))
            errors += _ownership_errors(form, known, establishment_id, path)
    return errors


def _ownership_errors(form: HabilitationForm, known: Known, establishment_id: str, path: str) -> list[UserError]:
    holder = known.holders.get(establishment_id)
    if holder is None or not siret_number.is_valid(form.provider.siret.replace(" ", "")):
        return []  # an invalid SIRET is refused as such: whose establishments it names means nothing yet
    if standing(holder, form.provider.siret) is not Standing.OTHER_PROVIDER:
        return []
    name = known.names.get(establishment_id, establishment_id)
    return [UserError(path, "ESTABLISHMENT_OF_ANOTHER_PROVIDER", other_provider_message(name))]
