"""The operating-information document (« modalités de fonctionnement »): the one model every service agrees on.

One version is replaced as a whole. The gateway validates an agent's submission with it and derives its GraphQL
input and output types from it; the submission event carries it (its JSON Schema is generated from it, strict);
the moderation service names the fields of its diff with it. Each field's ``description`` is its French label; its
GraphQL name is the camelCase of its Python name (``hours_note`` → ``hoursNote``). Documents are stored and sent
with their Python names.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from shared.operating_info_vocabulary import AgeUnit, CareKind, ClosurePeriod, Funding, Weekday

_TEXT = 5_000
InseeCode = Annotated[str, Field(pattern=r"^[0-9][0-9AB][0-9]{3}$", description="Code INSEE")]
Language = Annotated[str, Field(min_length=2, max_length=50, description="Langue")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpeningSlot(_Frozen):
    """Un créneau d'ouverture."""

    day: Weekday = Field(description="Jour")
    opens: time = Field(description="Ouverture")
    closes: time = Field(description="Fermeture")

    @field_validator("closes")
    @classmethod
    def _after_opening(cls, closes: time, info: ValidationInfo) -> time:
        opens, day = info.data.get("opens"), info.data.get("day")
        if opens is not None and closes <= opens:
            who = f"{day.label} : " if isinstance(day, Weekday) else ""
            raise ValueError(f"{who}la fermeture ({closes:%H:%M}) doit suivre l'ouverture ({opens:%H:%M})")
        return closes


class DatedClosure(_Frozen):
    """Une fermeture datée (pont, journée pédagogique…)."""

    start: date = Field(description="Début")
    end: date = Field(description="Fin")
    label: str = Field(default="", max_length=200, description="Motif")

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"la fermeture se termine ({end:%d/%m/%Y}) avant de commencer ({start:%d/%m/%Y})")
        return end


class Age(_Frozen):
    """Un âge d'accueil."""

    value: int = Field(ge=0, le=240, description="Valeur")
    unit: AgeUnit = Field(description="Unité")

    def in_months(self) -> int:
        """Whole months, rounding weeks down (10 weeks → 2 months)."""
        if self.unit is AgeUnit.AN:
            return self.value * 12
        if self.unit is AgeUnit.SEMAINE:
            return self.value * 7 // 30
        return self.value


class ServedCommune(_Frozen):
    """Commune desservie."""

    name: str = Field(max_length=200, description="Commune")
    postal_code: str = Field(pattern=r"^\d{5}$", description="Code postal")


def _text(label: str) -> Any:
    return Field(default=None, max_length=_TEXT, description=label)


class OperatingInfoDocument(_Frozen):
    """Les modalités de fonctionnement complètes d'un établissement."""

    opening_hours: list[OpeningSlot] = Field(
        default_factory=list, max_length=70, description="Jours et horaires d'ouverture"
    )
    hours_note: str | None = Field(default=None, max_length=1_000, description="Précisions sur les horaires")
    by_appointment: bool = Field(default=False, description="Accueil sur rendez-vous")
    closure_periods: list[ClosurePeriod] = Field(
        default_factory=list, max_length=4, description="Périodes de fermeture annuelle"
    )
    dated_closures: list[DatedClosure] = Field(default_factory=list, max_length=50, description="Fermetures datées")
    closed_on_public_holidays: bool = Field(default=True, description="Fermé les jours fériés")
    age_min: Age | None = Field(default=None, description="Âge minimum d'accueil")
    age_max: Age | None = Field(default=None, description="Âge maximum d'accueil")
    capacity: int | None = Field(default=None, ge=0, le=1_000, description="Nombre de places")
    meals_provided: bool | None = Field(default=None, description="Repas fournis")
    nappies_provided: bool | None = Field(default=None, description="Couches fournies")
    disability_welcome: str | None = _text("Accueil des enfants en situation de handicap")
    project: str | None = _text("Projet pédagogique ou d'établissement")
    provider_presentation: str | None = _text("Présentation du gestionnaire")
    team: str | None = _text("Équipe")
    national_fee_scale: bool = Field(default=False, description="Barème national des participations familiales (Cnaf)")
    fees: str | None = _text("Modalités tarifaires")
    funding: list[Funding] = Field(default_factory=list, max_length=6, description="Financements")
    admission_conditions: str | None = _text("Conditions d'admission")
    registration: str | None = _text("Modalités d'inscription")
    eligible_work_communes: list[InseeCode] = Field(
        default_factory=list, max_length=500, description="Communes de travail admises (codes INSEE)"
    )
    eligible_home_communes: list[InseeCode] = Field(
        default_factory=list, max_length=500, description="Communes de résidence admises (codes INSEE)"
    )
    served_communes: list[ServedCommune] = Field(
        default_factory=list, max_length=500, description="Communes desservies"
    )
    care_kinds: list[CareKind] = Field(default_factory=list, max_length=4, description="Types d'accueil")
    languages: list[Language] = Field(default_factory=list, max_length=20, description="Langues parlées")
    accessibility_url: HttpUrl | None = Field(default=None, description="Accessibilité (fiche Acceslibre)")

    @field_validator("closure_periods")
    @classmethod
    def _never_alone(cls, periods: list[ClosurePeriod]) -> list[ClosurePeriod]:
        if ClosurePeriod.JAMAIS in periods and len(periods) > 1:
            raise ValueError("« jamais » ne se combine pas avec des périodes de fermeture")
        return periods

    @field_validator("age_max")
    @classmethod
    def _not_below_minimum(cls, age_max: Age | None, info: ValidationInfo) -> Age | None:
        age_min = info.data.get("age_min")
        if age_min is not None and age_max is not None and age_min.in_months() > age_max.in_months():
            raise ValueError("l'âge minimum dépasse l'âge maximum")
        return age_max

    def stored(self) -> dict[str, object]:
        """The document as stored and compared: JSON values, Python names, defaults left out."""
        return self.model_dump(mode="json", exclude_defaults=True)


def graphql_name(name: str) -> str:
    """The GraphQL name of a field of the document (``hours_note`` → ``hoursNote``; a GraphQL name stays as it is)."""
    return to_camel(name) if "_" in name else name


FIELD_LABELS: dict[str, str] = {
    graphql_name(name): field.description or name for name, field in OperatingInfoDocument.model_fields.items()
}
"""GraphQL name of each field of the document → its French label (« hoursNote » → « Précisions sur les horaires »)."""

_GRAPHQL_NAMES = {name: graphql_name(name) for name in OperatingInfoDocument.model_fields}


def field_label(field: str) -> str:
    """The French label of a field of the document, named in GraphQL or in Python (``hoursNote``, ``hours_note``)."""
    return FIELD_LABELS.get(_GRAPHQL_NAMES.get(field, field), field)


def graphql_path(root: str, location: Sequence[str | int]) -> str:
    """The GraphQL path of a place in a document (``operatingInfo.openingHours[0].closes``) from pydantic's."""
    return root + "".join(f"[{part}]" if isinstance(part, int) else f".{graphql_name(part)}" for part in location)


@dataclass(frozen=True)
class DocumentProblem:
    """Why a document is refused: where (its GraphQL path), a stable code and a French message."""

    field: str
    code: str
    message: str


_MESSAGES = {
    "missing": "Champ obligatoire.",
    "string_too_long": "Texte trop long.",
    "string_too_short": "Texte trop court.",
    "too_long": "Trop d'éléments.",
    "enum": "Valeur inconnue.",
    "time_parsing": "Heure invalide (HH:MM).",
    "time_type": "Heure invalide (HH:MM).",
    "date_parsing": "Date invalide (AAAA-MM-JJ).",
    "date_from_datetime_parsing": "Date invalide (AAAA-MM-JJ).",
    "greater_than_equal": "Valeur trop petite.",
    "less_than_equal": "Valeur trop grande.",
    "url_parsing": "Adresse web invalide.",
    "url_scheme": "Adresse web invalide (http ou https).",
    "string_pattern_mismatch": "Format invalide.",
    "extra_forbidden": "Champ inconnu.",
}


def check_document(raw: dict[str, Any], root: str) -> tuple[OperatingInfoDocument | None, list[DocumentProblem]]:
    """The document, or every problem found in it at once, each named by its GraphQL path under ``root``."""
    try:
        return OperatingInfoDocument.model_validate(raw), []
    except ValidationError as error:
        return None, [_problem(root, e["loc"], e["type"], str(e["msg"])) for e in error.errors()]


def _problem(root: str, location: Sequence[str | int], kind: str, text: str) -> DocumentProblem:
    message = text.removeprefix("Value error, ") if kind == "value_error" else None
    return DocumentProblem(
        graphql_path(root, location), kind.upper(), message or _MESSAGES.get(kind, "Valeur invalide.")
    )


def in_graphql_names(value: Any) -> Any:
    """A dumped document (or part of one) with its keys as GraphQL names, as a front-end reads them."""
    if isinstance(value, dict):
        return {graphql_name(key): in_graphql_names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [in_graphql_names(item) for item in value]
    return value


def graphql_field_path(path: str) -> str:
    """A path in a document written with Python names (``document.served_communes[0].postal_code``, as stored by
    earlier versions) in GraphQL names (``servedCommunes[0].postalCode``); a GraphQL path is returned as it is."""
    parts = path.removeprefix("document.").split(".")
    return ".".join(graphql_name(part) for part in parts)


def field_label_of_path(path: str) -> str:
    """The French label of the top-level field a path points into (``servedCommunes[0].name`` → « Communes … »)."""
    return field_label(graphql_field_path(path).split(".")[0].split("[")[0])
