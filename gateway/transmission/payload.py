"""The transmission payload a vendor sends (docs/transmission.md), read without any framework but pydantic."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from gateway.catalogue.vocabulary import AgeGroup, CareKind, Slot
from gateway.catalogue.writes import NewAvailability

MAX_ESTABLISHMENTS = 1000
MAX_DAYS = 90


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class TransmittedAvailability(_Camel):
    date: date
    slot: Slot = Slot.JOURNEE
    places: int
    age_group: AgeGroup | None = None
    care_kind: CareKind = CareKind.OCCASIONNEL

    def entry(self) -> NewAvailability:
        return NewAvailability(self.date, self.slot, self.places, self.age_group, self.care_kind)


class EstablishmentTransmission(_Camel):
    establishment_id: str = Field(max_length=200)
    availabilities: list[TransmittedAvailability]


class Transmission(_Camel):
    establishments: list[EstablishmentTransmission] = Field(min_length=1, max_length=MAX_ESTABLISHMENTS)


def days_spanned(batch: list[NewAvailability]) -> int:
    """How many calendar days, first to last, a batch covers (at most ``MAX_DAYS`` per establishment)."""
    if not batch:
        return 0
    days = [entry.day for entry in batch]
    return (max(days) - min(days)).days + 1
