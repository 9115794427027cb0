"""How long an answer being computed stays true by the clock alone (a week-old availability turns « périmée »).

The cache opens a :class:`Freshness` around each answer it may store; whatever renders a clock-dependent value —
a resolver, or a compiled statement's caller — calls :func:`valid_until` with the instant the value changes. Outside
a cached request it does nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

_CURRENT: ContextVar["Freshness | None"] = ContextVar("response_freshness", default=None)


@dataclass
class Freshness:
    until: datetime | None = None

    def note(self, moment: datetime) -> None:
        if self.until is None or moment < self.until:
            self.until = moment


def valid_until(moment: datetime) -> None:
    """The answer being computed may change at ``moment`` (an aware datetime)."""
    freshness = _CURRENT.get()
    if freshness is not None:
        freshness.note(moment)


@contextmanager
def measuring_freshness() -> Iterator[Freshness]:
    freshness = Freshness()
    token = _CURRENT.set(freshness)
    try:
        yield freshness
    finally:
        _CURRENT.reset(token)
