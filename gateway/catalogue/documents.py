"""The operating-information document (« modalités de fonctionnement »): one version is replaced as a whole.

Validated with pydantic: an agent's submission (and the demo data) must name every problem clearly. Field names
follow the domain brief (§4.4), in English.
"""

from datetime import date, time
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from gateway.catalogue.vocabulary import AgeUnit, CareKind, ClosurePeriod, Funding, Weekday

_TEXT = 5_000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpeningSlot(_Frozen):
    day: Weekday
    opens: time
    closes: time

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError(
                f"{self.day.label} : la fermeture ({self.closes:%H:%M}) doit suivre l'ouverture ({self.opens:%H:%M})"
            )
        return self


class DatedClosure(_Frozen):
    start: date
    end: date
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"la fermeture « {self.label} » se termine avant de commencer")
        return self


class Age(_Frozen):
    value: int = Field(ge=0, le=240)
    unit: AgeUnit

    def in_months(self) -> int:
        """Whole months, rounding weeks down (10 weeks → 2 months)."""
        if self.unit is AgeUnit.AN:
            return self.value * 12
        if self.unit is AgeUnit.SEMAINE:
            return self.value * 7 // 30
        return self.value


class ServedCommune(_Frozen):
    name: str = Field(max_length=200)
    postal_code: str = Field(pattern=r"^\d{5}$")


class OperatingInfoDocument(_Frozen):
    opening_hours: list[OpeningSlot] = Field(default_factory=list, max_length=70)
    hours_note: str | None = Field(default=None, max_length=1_000)
    by_appointment: bool = False
    closure_periods: list[ClosurePeriod] = Field(default_factory=list, max_length=4)
    dated_closures: list[DatedClosure] = Field(default_factory=list, max_length=50)
    closed_on_public_holidays: bool = True
    age_min: Age | None = None
    age_max: Age | None = None
    capacity: int | None = Field(default=None, ge=0, le=1_000)
    meals_provided: bool | None = None
    nappies_provided: bool | None = None
    disability_welcome: str | None = Field(default=None, max_length=_TEXT)
    project: str | None = Field(default=None, max_length=_TEXT)
    provider_presentation: str | None = Field(default=None, max_length=_TEXT)
    team: str | None = Field(default=None, max_length=_TEXT)
    national_fee_scale: bool = False
    fees: str | None = Field(default=None, max_length=_TEXT)
    funding: list[Funding] = Field(default_factory=list, max_length=6)
    admission_conditions: str | None = Field(default=None, max_length=_TEXT)
    registration: str | None = Field(default=None, max_length=_TEXT)
    eligible_work_communes: list[str] = Field(default_factory=list, max_length=500)
    eligible_home_communes: list[str] = Field(default_factory=list, max_length=500)
    served_communes: list[ServedCommune] = Field(default_factory=list, max_length=500)
    care_kinds: list[CareKind] = Field(default_factory=list, max_length=4)
    languages: list[str] = Field(default_factory=list, max_length=20)
    accessibility_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.age_min and self.age_max and self.age_min.in_months() > self.age_max.in_months():
            raise ValueError("l'âge minimum dépasse l'âge maximum")
        if ClosurePeriod.JAMAIS in self.closure_periods and len(self.closure_periods) > 1:
            raise ValueError("« jamais » ne se combine pas avec des périodes de fermeture")
        return self
