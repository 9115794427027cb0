"""When an establishment is closed: its weekly hours, annual and dated closures, and French public holidays.

Public holidays of metropolitan France (Code du travail L. 3133-1), plus Vendredi saint and Saint-Étienne in
Alsace-Moselle (départements 57, 67, 68). Easter by the anonymous Gregorian algorithm.
"""

from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

from gateway.catalogue.documents import OperatingInfoDocument
from gateway.catalogue.vocabulary import ClosurePeriod, Weekday

ALSACE_MOSELLE = frozenset({"57", "67", "68"})
_WEEKDAYS = list(Weekday)


def easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(year: int, departement: str = "") -> frozenset[date]:
    sunday = easter(year)
    days = {
        date(year, 1, 1), sunday + timedelta(days=1), date(year, 5, 1), date(year, 5, 8), sunday + timedelta(days=39),
        sunday + timedelta(days=50), date(year, 7, 14), date(year, 8, 15), date(year, 11, 1), date(year, 11, 11),
        date(year, 12, 25),
    }  # fmt: skip
    if departement in ALSACE_MOSELLE:
        days |= {sunday - timedelta(days=2), date(year, 12, 26)}
    return frozenset(days)


def closed_on(document: OperatingInfoDocument, day: date, departement: str) -> str | None:
    """Why the establishment is closed on ``day`` according to its published information (in French), or None."""
    return closure_rule(document, departement)(day)


def closure_rule(document: OperatingInfoDocument, departement: str) -> Callable[[date], str | None]:
    """:func:`closed_on` for one establishment, its hours read once: for checking many days."""
    open_days = {slot.day for slot in document.opening_hours}
    periods = set(document.closure_periods)
    dated = list(document.dated_closures)

    def reason(day: date) -> str | None:
        if open_days and _WEEKDAYS[day.weekday()] not in open_days:
            return f"fermé le {_WEEKDAYS[day.weekday()].label}"
        if ClosurePeriod.JUILLET in periods and day.month == 7:
            return "fermeture annuelle en juillet"
        if ClosurePeriod.AOUT in periods and day.month == 8:
            return "fermeture annuelle en août"
        if ClosurePeriod.NOEL_NOUVEL_AN in periods and (
            (day.month, day.day) >= (12, 25) or (day.month, day.day) == (1, 1)
        ):
            return "fermeture de Noël et du Nouvel an"
        for closure in dated:
            if closure.start <= day <= closure.end:
                return f"fermeture : {closure.label or 'période fermée'}"
        if document.closed_on_public_holidays and day in public_holidays(day.year, departement):
            return "jour férié"
        return None

    return reason
