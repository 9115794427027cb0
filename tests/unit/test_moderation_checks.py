"""Art. 2's content rules flag what a moderator must look at, with the field and the excerpt; the diff.

Fields are named as the GraphQL API names them, with the document's French labels (issue 13, items 4 and 9).
"""

from datetime import date
from typing import Any

import pytest

from moderation.checks.diff import diff_documents
from moderation.checks.rules import Severity, check_document
from shared.operating_info import DatedClosure, OperatingInfoDocument, ServedCommune


def _document(**values: Any) -> OperatingInfoDocument:
    return OperatingInfoDocument.model_validate(values)


def test_the_promotional_sentence_of_the_domain_brief_is_flagged_as_disguised_advertising() -> None:
    document = _document(fees="Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !", capacity=20)

    [flag] = check_document(document)

    assert (flag.rule, flag.field, flag.severity) == ("PUBLICITE_DEGUISEE", "fees", Severity.HIGH)
    assert (flag.label, flag.field_label) == ("Caractère publicitaire déguisé", "Modalités tarifaires")
    assert flag.severity.label == "Manquement très probable"
    assert "-20 %" in flag.excerpt


def test_the_accepted_sentence_of_the_domain_brief_raises_nothing() -> None:
    fees = "Le multi-accueil applique le barème national des participations familiales de la Cnaf."

    assert check_document(_document(fees=fees, project="Un accueil attentif au rythme de chaque enfant.")) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Votez pour notre candidat aux élections municipales !", "PROSELYTISME"),
        ("Chaque matin, prière avant le goûter.", "PROSELYTISME"),
        ('Voir <script>alert("x")</script>', "VIRUS_OU_CODE_MALVEILLANT"),
        ("Tarifs sur https://bit.ly/xyz", "VIRUS_OU_CODE_MALVEILLANT"),
        ("La meilleure crèche de France, garantie sans maladie.", "CONTENU_TENDANCIEUX_OU_ERRONE"),
        ("Faites suivre ce message à vos amis.", "CHAINE_DE_LETTRES"),
        ("L'ancienne équipe était incompétente : des escrocs.", "INJURIEUX_DIFFAMATOIRE"),
    ],
)
def test_each_rule_of_article_2(text: str, rule: str) -> None:
    flags = check_document(_document(project=text))

    assert rule in {f.rule for f in flags}
    assert all(f.field == "project" for f in flags)


def test_nested_texts_are_checked_with_their_graphql_path_and_the_label_of_their_field() -> None:
    closure = DatedClosure(start=date(2026, 5, 14), end=date(2026, 5, 15), label="Grève, soutenez-nous")
    communes = [ServedCommune(name="Escautpont", postal_code="59278"), ServedCommune(name="Votez", postal_code="59000")]

    flags = check_document(_document(dated_closures=[closure], served_communes=communes))

    assert [(f.field, f.field_label) for f in flags] == [
        ("datedClosures[0].label", "Fermetures datées"),
        ("servedCommunes[1].name", "Communes desservies"),
    ]


def test_the_diff_lists_changed_fields_and_marks_three_way_conflicts() -> None:
    base = _document(capacity=20, fees="A", project="P")
    published = _document(capacity=24, fees="A", project="P")
    proposed = _document(capacity=22, fees="B", project="P", team="Équipe")

    two_way = diff_documents(published, proposed)
    three_way = diff_documents(published, proposed, base)

    assert [(c.field, c.published, c.proposed) for c in two_way] == [
        ("capacity", 24, 22), ("team", None, "Équipe"), ("fees", "A", "B"),
    ]  # fmt: skip
    assert [(c.field, c.conflict) for c in three_way] == [("capacity", True), ("team", False), ("fees", False)]


def test_the_diff_names_each_field_as_the_graphql_api_does_with_its_french_label() -> None:
    published = _document(hours_note="Fermé le 1er mai", by_appointment=True)
    proposed = _document(
        hours_note="Fermé le 1er et le 8 mai",
        served_communes=[ServedCommune(name="Escautpont", postal_code="59278")],
    )

    changes = diff_documents(published, proposed)

    assert [(c.field, c.label) for c in changes] == [
        ("hoursNote", "Précisions sur les horaires"),
        ("byAppointment", "Accueil sur rendez-vous"),
        ("servedCommunes", "Communes desservies"),
    ]
    assert changes[1].proposed is False  # back to the default: shown, not lost
    assert changes[2].proposed == [{"name": "Escautpont", "postalCode": "59278"}]


def test_nothing_published_compares_as_the_empty_document_and_shows_null() -> None:
    changes = diff_documents(None, _document(capacity=20, by_appointment=False))

    assert [(c.field, c.published, c.proposed) for c in changes] == [("capacity", None, 20)]
