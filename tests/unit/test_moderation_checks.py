"""Art. 2's content rules flag what a moderator must look at, with the field and the excerpt; the diff."""

import pytest

from moderation.checks.diff import diff_documents
from moderation.checks.rules import check_document


def test_the_promotional_sentence_of_the_domain_brief_is_flagged_as_disguised_advertising() -> None:
    document = {"fees": "Inscrivez-vous vite, -20 % sur les couches de notre partenaire Bébé+ !", "capacity": 20}

    [flag] = check_document(document)

    assert (flag.rule, flag.field, flag.severity) == ("PUBLICITE_DEGUISEE", "document.fees", "HIGH")
    assert flag.label == "Caractère publicitaire déguisé"
    assert "-20 %" in flag.excerpt


def test_the_accepted_sentence_of_the_domain_brief_raises_nothing() -> None:
    fees = "Le multi-accueil applique le barème national des participations familiales de la Cnaf."

    assert check_document({"fees": fees, "project": "Un accueil attentif au rythme de chaque enfant."}) == []


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
    flags = check_document({"project": text})

    assert rule in {f.rule for f in flags}
    assert all(f.field == "document.project" for f in flags)


def test_nested_texts_are_checked_with_their_path() -> None:
    document = {"dated_closures": [{"start": "2026-05-14", "end": "2026-05-15", "label": "Grève, soutenez-nous"}]}

    [flag] = check_document(document)

    assert flag.field == "document.dated_closures[0].label"


def test_the_diff_lists_changed_fields_and_marks_three_way_conflicts() -> None:
    base = {"capacity": 20, "fees": "A", "project": "P"}
    published = {"capacity": 24, "fees": "A", "project": "P"}
    proposed = {"capacity": 22, "fees": "B", "project": "P", "team": "Équipe"}

    two_way = diff_documents(published, proposed)
    three_way = diff_documents(published, proposed, base)

    assert [(c.field, c.published, c.proposed) for c in two_way] == [
        ("capacity", 24, 22), ("fees", "A", "B"), ("team", None, "Équipe"),
    ]  # fmt: skip
    assert [(c.field, c.conflict) for c in three_way] == [("capacity", True), ("fees", False), ("team", False)]
