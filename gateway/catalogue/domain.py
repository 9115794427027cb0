"""Pure catalogue rules: size classes, OpenStreetMap opening hours, availability state, codes, distances."""

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.catalogue.documents import OpeningSlot, OperatingInfoDocument
from gateway.catalogue.vocabulary import AvailabilityState, ClosurePeriod, EajeType, SizeClass, Weekday

INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
POSTAL_CODE = re.compile(r"^\d{5}$")
DEPARTEMENT_CODE = re.compile(r"^(?:\d{2}|2[AB]|97[1-6])$")
STALE_AFTER = timedelta(days=7)
RULE_OF_THREE_WINDOW = timedelta(days=7)
"""The seven days (Europe/Paris, today included) in which an automated channel must update three times."""
PARIS = ZoneInfo("Europe/Paris")
EARTH_KM_PER_DEGREE = 111.195


def size_class(eaje_type: EajeType | None, capacity: int | None) -> SizeClass | None:
    """R. 2324-46 (collective) and R. 2324-48 (familial) size categories, from the number of places."""
    if eaje_type is None or capacity is None:
        return None
    if eaje_type is EajeType.CRECHE_FAMILIALE:
        bounds = [(30, SizeClass.PETITE_CRECHE_FAMILIALE), (60, SizeClass.CRECHE_FAMILIALE)]
        bounds.append((90, SizeClass.GRANDE_CRECHE_FAMILIALE))
        return next((cls for limit, cls in bounds if capacity < limit), SizeClass.TRES_GRANDE_CRECHE_FAMILIALE)
    collective = [(13, SizeClass.MICRO_CRECHE), (25, SizeClass.PETITE_CRECHE), (40, SizeClass.CRECHE)]
    collective.append((60, SizeClass.GRANDE_CRECHE))
    return next((cls for limit, cls in collective if capacity < limit), SizeClass.TRES_GRANDE_CRECHE)


_OSM_DAYS = {
    Weekday.LUNDI: "Mo",
    Weekday.MARDI: "Tu",
    Weekday.MERCREDI: "We",
    Weekday.JEUDI: "Th",
    Weekday.VENDREDI: "Fr",
    Weekday.SAMEDI: "Sa",
    Weekday.DIMANCHE: "Su",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PERIOD_RULES = {
    ClosurePeriod.JUILLET: "Jul closed",
    ClosurePeriod.AOUT: "Aug closed",
    ClosurePeriod.NOEL_NOUVEL_AN: "Dec 25-Jan 1 closed",
}


def osm_opening_hours(document: OperatingInfoDocument) -> str:
    """The OpenStreetMap ``opening_hours`` value of a document, e.g. ``Mo-Fr 07:30-18:30; PH off; Aug closed``."""
    rules = _weekly_rules(document.opening_hours)
    if document.by_appointment and rules:
        rules = [f'{rule} "sur rendez-vous"' for rule in rules]
    if document.closed_on_public_holidays and rules:
        rules.append("PH off")
    rules.extend(_PERIOD_RULES[p] for p in sorted(set(document.closure_periods)) if p in _PERIOD_RULES)
    rules.extend(f"{_osm_date(c.start)}-{_osm_date(c.end)} closed" for c in document.dated_closures)
    return "; ".join(rules)


def _weekly_rules(slots: Iterable[OpeningSlot]) -> list[str]:
    by_day: dict[Weekday, list[str]] = {}
    for slot in sorted(slots, key=lambda s: (list(Weekday).index(s.day), s.opens)):
        by_day.setdefault(slot.day, []).append(f"{slot.opens:%H:%M}-{slot.closes:%H:%M}")
    groups: list[tuple[list[Weekday], str]] = []
    for day in Weekday:
        hours = ",".join(by_day.get(day, []))
        if not hours:
            continue
        previous = groups[-1] if groups else None
        if previous and previous[1] == hours and _follows(previous[0][-1], day):
            previous[0].append(day)
        else:
            groups.append(([day], hours))
    return [f"{_day_range(days)} {hours}" for days, hours in groups]


def _follows(before: Weekday, day: Weekday) -> bool:
    order = list(Weekday)
    return order.index(day) == order.index(before) + 1


def _day_range(days: Sequence[Weekday]) -> str:
    first, last = _OSM_DAYS[days[0]], _OSM_DAYS[days[-1]]
    if len(days) == 1:
        return first
    return f"{first},{last}" if len(days) == 2 else f"{first}-{last}"


def _osm_date(day: date) -> str:
    return f"{day.year} {_MONTHS[day.month - 1]} {day.day:02d}"


@dataclass(frozen=True)
class AvailabilitySummary:
    state: AvailabilityState
    free_places: int
    next_date: date | None


def stale_after(last_update: datetime, deadline: datetime | None) -> datetime:
    """After this instant the availabilities are « périmées »: a week after the last update (manual entry, arrêté
    of 31 August 2021: « au moins une fois par semaine »), or the automated channel's ``deadline`` when set."""
    return deadline if deadline is not None else last_update + STALE_AFTER


def transmission_deadline(transmission_times: Iterable[datetime], now: datetime) -> datetime:
    """``stale_after`` of an establishment whose last update came by computerised transmission.

    The arrêté of 31 August 2021 asks automated transmissions to update « au moins trois fois par semaine »: three
    transmissions on three distinct days (Europe/Paris) of the last seven, today included — three calls within a
    minute are one update. Fresh until the third most recent of those days leaves the seven-day window (and never
    longer than the weekly rule); with fewer than three, « périmées » at once.
    """
    days = sorted({moment.astimezone(PARIS).date() for moment in transmission_times}, reverse=True)
    if len(days) < 3 or days[2] <= now.astimezone(PARIS).date() - RULE_OF_THREE_WINDOW:
        return now
    leaves = datetime.combine(days[2] + RULE_OF_THREE_WINDOW, time(0), PARIS)
    return min(leaves, now + STALE_AFTER)


def availability_state(
    upcoming: Iterable[tuple[date, int]],
    last_update: datetime | None,
    now: datetime,
    today: date | None = None,
    *,
    deadline: datetime | None = None,
) -> AvailabilitySummary:
    """« Disponibilités non renseignées » without any, « périmées » after :func:`stale_after`.

    ``today`` is the local date (Europe/Paris for the gateway); it defaults to ``now``'s date.
    """
    if last_update is None:
        return AvailabilitySummary(AvailabilityState.NON_RENSEIGNEES, 0, None)
    first_day = today or now.date()
    free = [(day, places) for day, places in upcoming if places > 0 and day >= first_day]
    total = sum(places for _, places in free)
    next_date = min((day for day, _ in free), default=None)
    if now > stale_after(last_update, deadline):
        return AvailabilitySummary(AvailabilityState.PERIMEES, total, next_date)
    state = AvailabilityState.DISPONIBLE if total else AvailabilityState.COMPLET
    return AvailabilitySummary(state, total, next_date)


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Area:
    """Points (home, work…) and a radius: what « near me » means. Distances use a local flat projection,
    accurate to well under 1 % within the 30 km a search may cover."""

    points: tuple[GeoPoint, ...]
    radius_km: float

    def bounding_boxes(self) -> list[tuple[float, float, float, float]]:
        """(min latitude, max latitude, min longitude, max longitude) around each point."""
        boxes = []
        for point in self.points:
            dlat = self.radius_km / EARTH_KM_PER_DEGREE
            dlon = dlat / max(math.cos(math.radians(point.latitude)), 0.01)
            boxes.append((point.latitude - dlat, point.latitude + dlat, point.longitude - dlon, point.longitude + dlon))
        return boxes


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def search_key(name: str) -> str:
    """How commune names are matched while typing: no accents, no case, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return " ".join(words)
