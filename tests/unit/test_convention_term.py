"""Convention art. 5 on the Escautpont dates: signed « à Lille, le 15/12/2023 »."""

from datetime import date

import pytest

from gateway.accounts.convention import ConventionTerm, add_months

ESCAUTPONT = ConventionTerm(signed_on=date(2023, 12, 15))


def test_the_escautpont_convention_renews_on_15_december_with_notice_by_15_september() -> None:
    renewal = ESCAUTPONT.next_renewal(date(2024, 4, 12))  # the day of the council's deliberation

    assert renewal == date(2024, 12, 15)
    assert ESCAUTPONT.notice_deadline(renewal) == date(2024, 9, 15)


@pytest.mark.parametrize(
    ("today", "renewal"),
    [
        (date(2023, 12, 15), date(2024, 12, 15)),
        (date(2024, 12, 15), date(2024, 12, 15)),
        (date(2024, 12, 16), date(2025, 12, 15)),
        (date(2026, 11, 27), date(2026, 12, 15)),
    ],
)
def test_tacit_renewal_every_year(today: date, renewal: date) -> None:
    assert ESCAUTPONT.next_renewal(today) == renewal


@pytest.mark.parametrize(
    ("received", "effective"),
    [
        (date(2024, 9, 15), date(2024, 12, 15)),
        (date(2024, 9, 16), date(2025, 12, 15)),
        (date(2024, 1, 10), date(2024, 12, 15)),
        (date(2025, 12, 1), date(2026, 12, 15)),
    ],
)
def test_a_termination_takes_effect_at_the_first_renewal_it_gave_three_months_notice_for(
    received: date, effective: date
) -> None:
    assert ESCAUTPONT.termination_effective_on(received) == effective


def test_a_convention_signed_on_29_february_renews_on_28_february() -> None:
    leap = ConventionTerm(signed_on=date(2024, 2, 29))

    assert leap.next_renewal(date(2024, 6, 1)) == date(2025, 2, 28)
    assert leap.next_renewal(date(2027, 6, 1)) == date(2028, 2, 29)
    assert leap.notice_deadline(date(2025, 2, 28)) == date(2024, 11, 28)


def test_months_are_added_with_the_end_of_month_kept() -> None:
    assert add_months(date(2024, 5, 31), -3) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
