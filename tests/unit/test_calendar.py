from datetime import date, time

import pytest

from gateway.catalogue.calendar import closed_on, easter, public_holidays
from gateway.catalogue.documents import DatedClosure, OpeningSlot, OperatingInfoDocument
from gateway.catalogue.vocabulary import ClosurePeriod, Weekday

WEEK = [Weekday.LUNDI, Weekday.MARDI, Weekday.MERCREDI, Weekday.JEUDI, Weekday.VENDREDI]
MULTI_ACCUEIL = OperatingInfoDocument(
    opening_hours=[OpeningSlot(day=d, opens=time(7, 30), closes=time(18, 30)) for d in WEEK],
    closure_periods=[ClosurePeriod.AOUT, ClosurePeriod.NOEL_NOUVEL_AN],
    dated_closures=[DatedClosure(start=date(2024, 5, 10), end=date(2024, 5, 10), label="pont de l'Ascension")],
)


def test_easter_and_the_moving_holidays_of_the_domain_brief() -> None:
    holidays = public_holidays(2024, "59")

    assert easter(2024) == date(2024, 3, 31)
    assert date(2024, 5, 9) in holidays, "Ascension"
    assert date(2024, 5, 20) in holidays, "Lundi de Pentecôte"
    assert date(2024, 12, 26) not in holidays
    assert date(2024, 12, 26) in public_holidays(2024, "67"), "Saint-Étienne in Alsace"
    assert date(2024, 3, 29) in public_holidays(2024, "57"), "Vendredi saint in Moselle"


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2024, 5, 16), None),
        (date(2024, 5, 18), "fermé le samedi"),
        (date(2024, 5, 20), "jour férié"),
        (date(2024, 5, 10), "fermeture : pont de l'Ascension"),
        (date(2024, 8, 12), "fermeture annuelle en août"),
        (date(2024, 12, 30), "fermeture de Noël et du Nouvel an"),
    ],
)
def test_the_escautpont_multi_accueil_is_closed_on(day: date, reason: str | None) -> None:
    assert closed_on(MULTI_ACCUEIL, day, "59") == reason
