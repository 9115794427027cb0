"""What a decision teaches the art. 2 checks (issue 17, item 5), as a pure function of the stored flags."""

from moderation.checks.cases import CaseOutcome, cases_of_decision

FLAG = {
    "rule": "PUBLICITE_DEGUISEE", "field": "fees", "excerpt": "Code promo -20 %",
    "evidence": [{"rule": "publicite.remise", "label": "Remise", "words": ["-20 %"], "weight": 0.8},
                 {"rule": "publicite.appel", "label": "Appel", "words": ["commandez"], "weight": 0.55}],
}  # fmt: skip
DOCUMENT = {"fees": "Code promo -20 %", "project": "Un projet."}


def test_a_refusal_for_the_flags_reason_confirms_each_rule_of_its_evidence() -> None:
    cases = cases_of_decision([FLAG], DOCUMENT, approved=False, reasons=["PUBLICITE_DEGUISEE"])

    assert [(c.outcome, c.rule, c.field) for c in cases] == [
        (CaseOutcome.CONFIRMED, "publicite.remise", "fees"), (CaseOutcome.CONFIRMED, "publicite.appel", "fees"),
    ]  # fmt: skip


def test_an_approval_contradicts_the_flags_and_a_flag_stored_before_evidence_counts_for_its_category() -> None:
    old = {"rule": "PROSELYTISME", "field": "project", "excerpt": "grève", "severity": "MEDIUM"}

    cases = cases_of_decision([FLAG, old], DOCUMENT, approved=True, reasons=[])

    assert {(c.outcome, c.rule) for c in cases} == {
        (CaseOutcome.FALSE_FLAG, "publicite.remise"), (CaseOutcome.FALSE_FLAG, "publicite.appel"),
        (CaseOutcome.FALSE_FLAG, "PROSELYTISME"),
    }  # fmt: skip


def test_a_refusal_for_an_unflagged_reason_is_missed_with_the_documents_texts_and_autre_teaches_nothing() -> None:
    cases = cases_of_decision([FLAG], DOCUMENT, approved=False, reasons=["INJURIEUX_DIFFAMATOIRE", "AUTRE"])

    missed = [c for c in cases if c.outcome is CaseOutcome.MISSED]
    assert [(c.category, c.rule, c.field) for c in missed] == [("INJURIEUX_DIFFAMATOIRE", None, None)]
    assert missed[0].excerpt == "fees: Code promo -20 % | project: Un projet."
    assert {c.outcome for c in cases if c.rule} == {CaseOutcome.FALSE_FLAG}
