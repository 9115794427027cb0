"""What a moderator's decision teaches the art. 2 checks: each flag it confirmed or contradicted, each reason no
flag predicted. Kept as cases (excerpt, rule, decision) for per-rule precision and for the corpus (pure).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from moderation.checks.rules import texts_of

EXCERPT_LIMIT = 1_000
UNPREDICTABLE = frozenset({"AUTRE"})
"""Reasons no check tries to predict: a refusal for them teaches nothing."""


class CaseOutcome(StrEnum):
    CONFIRMED = "CONFIRMED"
    """The item was refused for the flag's category."""
    FALSE_FLAG = "FALSE_FLAG"
    """The item was approved, or refused for other reasons: the flag was wrong."""
    MISSED = "MISSED"
    """The item was refused for a reason no flag predicted."""


@dataclass(frozen=True)
class CheckCase:
    outcome: CaseOutcome
    category: str
    rule: str | None
    """The rule of the flag's evidence (``publicite.remise``); None for a missed reason."""
    field: str | None
    excerpt: str


def cases_of_decision(
    flags: list[dict[str, Any]], document: dict[str, Any], *, approved: bool, reasons: list[str]
) -> list[CheckCase]:
    """The cases of one decision on an item with these stored ``flags`` and ``document``."""
    cases = [case for flag in flags for case in _flag_cases(flag, approved, reasons)]
    if approved:
        return cases
    flagged = {flag["rule"] for flag in flags}
    missed = [reason for reason in reasons if reason not in flagged and reason not in UNPREDICTABLE]
    text = " | ".join(f"{path}: {value}" for path, value in texts_of(document) if value.strip())
    return cases + [CheckCase(CaseOutcome.MISSED, reason, None, None, text[:EXCERPT_LIMIT]) for reason in missed]


def _flag_cases(flag: dict[str, Any], approved: bool, reasons: list[str]) -> list[CheckCase]:
    outcome = CaseOutcome.CONFIRMED if not approved and flag["rule"] in reasons else CaseOutcome.FALSE_FLAG
    rules = [evidence["rule"] for evidence in flag.get("evidence") or []] or [flag["rule"]]
    return [CheckCase(outcome, flag["rule"], rule, flag["field"], flag["excerpt"]) for rule in rules]
