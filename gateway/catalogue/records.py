"""What the catalogue's queries return: plain immutable records, built from one joined row each."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gateway.catalogue.vocabulary import (
    AgeGroup,
    AlshKind,
    CareKind,
    Category,
    Channel,
    EajeType,
    Management,
    ProviderKind,
    Slot,
)


@dataclass(frozen=True)
class CafRecord:
    code: str
    label: str
    head_office: str
    director: str


@dataclass(frozen=True)
class CommuneRecord:
    insee: str
    name: str
    departement: str
    population: int
    latitude: float
    longitude: float
    postal_codes: tuple[str, ...]


@dataclass(frozen=True)
class ProviderRecord:
    id: str
    name: str
    kind: ProviderKind
    caf_code: str


@dataclass(frozen=True)
class OperatingInfoRecord:
    version: int
    document: dict[str, Any]
    opening_hours: str
    published_at: datetime


@dataclass(frozen=True)
class EstablishmentRecord:
    id: str
    name: str
    category: Category
    eaje_type: EajeType | None
    parental: bool
    occasional_only: bool
    alsh_kinds: tuple[AlshKind, ...]
    avip: bool
    management: Management | None
    street_number: str | None
    street_name: str | None
    address_complement: str | None
    postal_code: str
    commune: CommuneRecord
    departement: str
    latitude: float
    longitude: float
    phone: str | None
    phone2: str | None
    email: str | None
    website: str | None
    capacity: int | None
    availability_updated_at: datetime | None
    availability_channel: Channel | None
    availability_stale_after: datetime | None
    """Set by the automated channel's rule of three; None: the weekly rule (``domain.stale_after``)."""
    next_free_day: date | None
    free_places_soon: int
    provider: ProviderRecord
    caf: CafRecord
    operating_info: OperatingInfoRecord | None
    sort_key: tuple[Any, ...]


@dataclass(frozen=True)
class AvailabilityRecord:
    establishment_id: str
    day: date
    slot: Slot
    places: int
    age_group: AgeGroup | None
    care_kind: CareKind
    communicated_at: datetime
    channel: Channel


@dataclass(frozen=True)
class HolderRecord:
    """A provider of the register as ownership decisions see it: who it is, and its SIRET if the register has one."""

    provider_id: str
    name: str
    siret: str | None


@dataclass(frozen=True)
class HeldEstablishmentRecord:
    """An establishment and the provider running it today."""

    id: str
    name: str
    category: Category
    departement: str
    commune_name: str
    holder: HolderRecord
