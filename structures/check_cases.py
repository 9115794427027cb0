"""``structures moderation-cases``: the cases moderators' decisions taught the art. 2 checks, as candidates for the
labelled corpus (bench/checks/corpus.tsv; its labelling guide says how to add them)."""

import csv
from datetime import datetime
from typing import TextIO

from moderation.checks.cases import CaseOutcome
from moderation.queue.repositories import StoredCase, list_check_cases
from shared.db import create_engine, create_session_factory

COLUMNS = ["outcome", "suggested_label", "category", "rule", "field", "caf", "decided_at", "text"]


async def export_check_cases(database_url: str, since: datetime | None, outcomes: list[str], out: TextIO) -> int:
    """Write the cases decided since ``since`` with these outcomes as TSV rows; how many were written."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session:
            cases = await list_check_cases(session, since, outcomes)
    finally:
        await engine.dispose()
    write_cases(cases, out)
    return len(cases)


def write_cases(cases: list[StoredCase], out: TextIO) -> None:
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    writer.writerow(COLUMNS)
    for stored in cases:
        case = stored.case
        writer.writerow([
            case.outcome, _suggested_label(case.outcome, case.category), case.category, case.rule or "",
            case.field or "", stored.caf_code, stored.decided_at.isoformat(), " ".join(case.excerpt.split()),
        ])  # fmt: skip


def _suggested_label(outcome: CaseOutcome, category: str) -> str:
    """A missed reason is the text's label; a false flag is probably clean (check: it may break another rule)."""
    return "CLEAN" if outcome is CaseOutcome.FALSE_FLAG else category
