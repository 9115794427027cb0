"""The convention's term (art. 5): effective at signature, one year, tacitly renewed; three months' notice.

Pure date rules. « Échéance » is the anniversary of the signature; a termination sent by registered letter takes
effect at the first échéance that is still at least three months away when the letter is received.
"""

from dataclasses import dataclass
from datetime import date

NOTICE_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, on the same day number or the month's last day (29/02 → 28/02)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


@dataclass(frozen=True)
class ConventionTerm:
    signed_on: date
    """The legally effective signature date chosen by the Caf (the convention takes effect that day)."""

    def anniversary(self, years: int) -> date:
        return add_months(self.signed_on, 12 * years)

    def next_renewal(self, today: date) -> date:
        """The next échéance on or after ``today`` (the day it renews, tacitly)."""
        years = 1
        while self.anniversary(years) < today:
            years += 1
        return self.anniversary(years)

    @staticmethod
    def notice_deadline(renewal: date) -> date:
        """The last day a termination may be received to take effect at ``renewal``."""
        return add_months(renewal, -NOTICE_MONTHS)

    def termination_effective_on(self, received_on: date) -> date:
        """When a termination received on ``received_on`` takes effect: the first échéance it gave notice for."""
        renewal = self.next_renewal(received_on)
        while received_on > self.notice_deadline(renewal):
            renewal = self.next_renewal(add_months(renewal, 1))
        return renewal
