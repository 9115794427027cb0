"""Pure catalogue rules: OSM hours, size classes, availability states, and reading stored documents back."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from strawberry.utils.str_converters import to_camel_case

from gateway.catalogue.documents import Age, DatedClosure, OpeningSlot, OperatingInfoDocument, ServedCommune
from gateway.catalogue.domain import (
    availability_state,
    osm_opening_hours,
    search_key,
    size_class,
    stale_after,
    transmission_deadline,
)
from gateway.catalogue.records import OperatingInfoRecord
from gateway.catalogue.vocabulary import (
    AgeUnit,
    AvailabilityState,
    CareKind,
    ClosurePeriod,
    EajeType,
    Funding,
    SizeClass,
    Weekday,
)
from gateway.catalogue.writes import version_row
from gateway.graphql.operating_info import OperatingInfo, document_keys, operating_info

WEEK = (Weekday.LUNDI, Weekday.MARDI, Weekday.MERCREDI, Weekday.JEUDI, Weekday.VENDREDI)


def _slots(days: tuple[Weekday, ...], *hours: tuple[int, int, int, int]) -> list[OpeningSlot]:
    return [OpeningSlot(day=d, opens=time(a, b), closes=time(c, e)) for d in days for a, b, c, e in hours]


def test_the_escautpont_multi_accueil_hours_in_openstreetmap_syntax() -> None:
    document = OperatingInfoDocument(
        opening_hours=_slots(WEEK, (7, 30, 18, 30)),
        closure_periods=[ClosurePeriod.NOEL_NOUVEL_AN, ClosurePeriod.AOUT],
    )

    assert osm_opening_hours(document) == "Mo-Fr 07:30-18:30; PH off; Aug closed; Dec 25-Jan 1 closed"


def test_split_days_and_several_slots_are_grouped_like_the_alsh_of_the_brief() -> None:
    document = OperatingInfoDocument(
        opening_hours=[
            *_slots((Weekday.LUNDI, Weekday.MARDI, Weekday.JEUDI, Weekday.VENDREDI), (7, 30, 8, 30), (16, 30, 18, 30)),
            *_slots((Weekday.MERCREDI,), (7, 30, 18, 30)),
        ],
        dated_closures=[DatedClosure(start=date(2024, 5, 9), end=date(2024, 5, 10), label="pont de l'Ascension")],
    )

    assert osm_opening_hours(document) == (
        "Mo,Tu 07:30-08:30,16:30-18:30; We 07:30-18:30; Th,Fr 07:30-08:30,16:30-18:30; PH off; "
        "2024 May 09-2024 May 10 closed"
    )


def test_by_appointment_is_said_in_the_rule() -> None:
    document = OperatingInfoDocument(opening_hours=_slots((Weekday.MARDI,), (9, 0, 12, 0)), by_appointment=True)

    assert osm_opening_hours(document) == 'Tu 09:00-12:00 "sur rendez-vous"; PH off'


@pytest.mark.parametrize(
    ("eaje_type", "capacity", "expected"),
    [
        (EajeType.MICRO_CRECHE, 12, SizeClass.MICRO_CRECHE),
        (EajeType.MULTI_ACCUEIL, 20, SizeClass.PETITE_CRECHE),
        (EajeType.CRECHE_COLLECTIVE, 25, SizeClass.CRECHE),
        (EajeType.CRECHE_COLLECTIVE, 59, SizeClass.GRANDE_CRECHE),
        (EajeType.HALTE_GARDERIE, 60, SizeClass.TRES_GRANDE_CRECHE),
        (EajeType.CRECHE_FAMILIALE, 29, SizeClass.PETITE_CRECHE_FAMILIALE),
        (EajeType.CRECHE_FAMILIALE, 60, SizeClass.GRANDE_CRECHE_FAMILIALE),
        (EajeType.CRECHE_FAMILIALE, 90, SizeClass.TRES_GRANDE_CRECHE_FAMILIALE),
        (None, 20, None),
    ],
)
def test_size_classes_follow_the_public_health_code(
    eaje_type: EajeType | None, capacity: int, expected: SizeClass | None
) -> None:
    assert size_class(eaje_type, capacity) == expected


def test_availability_states() -> None:
    now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    today = now.date()

    assert availability_state([], None, now).state is AvailabilityState.NON_RENSEIGNEES
    assert availability_state([(today, 0)], now - timedelta(days=1), now).state is AvailabilityState.COMPLET
    fresh = availability_state([(today + timedelta(days=2), 3)], now - timedelta(days=2), now)
    assert (fresh.state, fresh.free_places, fresh.next_date) == (AvailabilityState.DISPONIBLE, 3, date(2026, 11, 29))
    assert availability_state([(today, 2)], now - timedelta(days=8), now).state is AvailabilityState.PERIMEES


PARIS = ZoneInfo("Europe/Paris")


def _paris(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=PARIS)


def test_the_automated_channel_is_fresh_while_three_distinct_days_of_the_last_seven_had_a_transmission() -> None:
    now = _paris(10, 9)  # Thursday 10 December, Paris
    three_days = [_paris(4, 23), _paris(7, 8), _paris(7, 20), now]  # 4, 7 and 10 December
    assert transmission_deadline(three_days, now) == _paris(11, 0)  # the 4th leaves the window on the 11th
    assert transmission_deadline([_paris(9, 8), _paris(9, 9), now], now) == now  # two days: « périmées » at once
    assert transmission_deadline([_paris(3, 23), _paris(7, 8), now], now) == now  # the 3rd is out of the window
    daily = [now - timedelta(days=n) for n in range(7)]
    assert transmission_deadline(daily, now) == _paris(15, 0)
    late = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)  # the 9th in Paris: two days there, three in UTC
    assert transmission_deadline([late, _paris(9, 8), now], now) == now


def test_a_deadline_replaces_the_weekly_rule_of_manual_entry() -> None:
    now = datetime(2026, 12, 10, 9, tzinfo=UTC)
    updated = now - timedelta(hours=1)
    assert stale_after(updated, None) == updated + timedelta(days=7)
    automated = availability_state([(now.date(), 2)], updated, now, deadline=now - timedelta(seconds=1))
    assert automated.state is AvailabilityState.PERIMEES
    assert availability_state([(now.date(), 2)], updated, now).state is AvailabilityState.DISPONIBLE


def test_an_impossible_document_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"lundi : la fermeture \(07:00\) doit suivre l'ouverture \(08:00\)"):
        OperatingInfoDocument(opening_hours=[OpeningSlot(day=Weekday.LUNDI, opens=time(8), closes=time(7))])
    with pytest.raises(ValueError, match="l'âge minimum dépasse l'âge maximum"):
        OperatingInfoDocument(age_min=Age(value=4, unit=AgeUnit.AN), age_max=Age(value=10, unit=AgeUnit.MOIS))


def test_commune_names_match_without_accents_case_or_punctuation() -> None:
    assert search_key("Condé-sur-l'Escaut") == "conde sur l escaut"


def test_a_stored_document_reads_back_field_for_field() -> None:
    document = OperatingInfoDocument(
        opening_hours=_slots(WEEK, (7, 30, 18, 30)),
        hours_note="Fermé le 1er mai",
        closure_periods=[ClosurePeriod.AOUT],
        dated_closures=[DatedClosure(start=date(2026, 5, 14), end=date(2026, 5, 15), label="pont")],
        closed_on_public_holidays=False,
        age_min=Age(value=10, unit=AgeUnit.SEMAINE),
        age_max=Age(value=4, unit=AgeUnit.AN),
        capacity=20,
        meals_provided=True,
        nappies_provided=False,
        disability_welcome="Oui",
        project="Projet",
        provider_presentation="Mairie",
        team="Équipe",
        national_fee_scale=True,
        fees="Barème Cnaf",
        funding=[Funding.PSU, Funding.CONSEIL_DEPARTEMENTAL],
        admission_conditions="Résider à Escautpont",
        registration="En mairie",
        eligible_work_communes=["59207"],
        eligible_home_communes=["59207", "59606"],
        served_communes=[ServedCommune(name="Escautpont", postal_code="59278")],
        care_kinds=[CareKind.REGULIER],
        languages=["fr", "nl"],
        accessibility_url="https://acceslibre.beta.gouv.fr/app/59-escautpont/a/creche/erp/ptits-mineurs/",
    )
    row = version_row("e1", 3, document, datetime(2026, 1, 1, tzinfo=UTC), "59-ESC-0001")

    # Its fields are generated from the model, which mypy does not see.
    info: Any = operating_info(OperatingInfoRecord(3, row["document"], row["opening_hours"], row["published_at"]))

    assert [(s.day, s.opens, s.closes) for s in info.weekly_hours] == [
        (s.day, s.opens, s.closes) for s in document.opening_hours
    ]
    assert (info.age_min.months, info.age_max.months) == (2, 48)
    assert [(c.start, c.end, c.label) for c in info.dated_closures] == [(date(2026, 5, 14), date(2026, 5, 15), "pont")]
    assert info.closed_on_public_holidays is False
    assert info.funding == [Funding.PSU, Funding.CONSEIL_DEPARTEMENTAL]
    assert [(c.name, c.postal_code) for c in info.served_communes] == [("Escautpont", "59278")]
    assert info.accessibility_url == str(document.accessibility_url)
    scalar_fields = ("hours_note", "capacity", "meals_provided", "nappies_provided", "fees", "registration", "team")
    assert all(getattr(info, f) == getattr(document, f) for f in scalar_fields)
    assert info.opening_hours == "Mo-Fr 07:30-18:30; Aug closed; 2026 May 14-2026 May 15 closed"

    # A request validates again only the keys its selected fields show: each field alone is as the whole gives it.
    record = OperatingInfoRecord(3, row["document"], row["opening_hours"], row["published_at"])
    for field in OperatingInfo.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        name = field.graphql_name or to_camel_case(field.python_name)
        alone: Any = operating_info(record, document_keys([name, "__typename"]))
        assert getattr(alone, field.python_name) == getattr(info, field.python_name), name
    q2 = ["openingHours", "capacity", "ageMin", "ageMax"]  # the benchmarks' Q2, several fields together
    together: Any = operating_info(record, document_keys(q2))
    assert (together.opening_hours, together.capacity) == (info.opening_hours, info.capacity)
    assert (together.age_min.months, together.age_max.months) == (2, 48)
    assert document_keys(["capacity", "ageMin"]) == frozenset({"capacity", "age_min"})
    assert document_keys(["capacity", "notAField"]) is None  # unknown: the whole document
