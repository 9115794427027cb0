import pytest

from notifier.rendering import SUBJECT_LENGTH, render
from shared.errors import PermanentError


def _values(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "display_name": "Marie Dupont",
        "agent_number": "59-ESC-0001",
        "establishment_name": "Multi-accueil Les P'tits Mineurs",
        "version": 2,
        "decision": "REJECTED",
        "reasons": ["Caractère publicitaire déguisé"],
        "comment": "Merci de retirer la promotion <b>Bébé+</b>.",
        "submission_id": "0b7d",
    }
    return values | overrides


def test_a_rejection_e_mail_gives_the_reasons_and_the_comment_in_french() -> None:
    email = render("moderation_decided", _values())

    assert email.subject == "Vos informations sur « Multi-accueil Les P'tits Mineurs » n'ont pas été validées"
    assert "Caractère publicitaire déguisé" in email.text
    assert "Commentaire du modérateur : Merci de retirer la promotion <b>Bébé+</b>." in email.text
    assert "&lt;b&gt;Bébé+&lt;/b&gt;" in email.html, "HTML must be escaped"


def test_an_approval_e_mail_says_the_information_is_published() -> None:
    email = render("moderation_decided", _values(decision="APPROVED", reasons=[], comment=None))

    assert "sont désormais publiées sur monenfant.fr" in email.text
    assert "Motif" not in email.text


def test_missing_template_data_is_a_permanent_error_naming_it() -> None:
    values = _values()
    del values["establishment_name"]

    with pytest.raises(PermanentError, match="establishment_name"):
        render("moderation_decided", values)


def test_the_renewal_reminder_gives_the_escautpont_dates() -> None:
    values = {
        "kind": "RENEWAL_REMINDER", "provider_name": "Mairie d'Escautpont",
        "caf_label": "Caisse d'allocations familiales du Nord", "signed_on": "15/12/2023", "renewal_on": "15/12/2024",
        "notice_deadline": "15/09/2024", "terminated_by": None, "letter_reference": None,
    }  # fmt: skip

    email = render("convention_notice", values)

    assert email.subject == "Votre convention d'habilitation « STRUCTURES » sera reconduite le 15/12/2024"
    assert "au plus tard le 15/09/2024 (préavis de trois mois)" in email.text


def test_a_recorded_termination_says_when_access_ends() -> None:
    values = {
        "kind": "TERMINATION_RECORDED", "provider_name": "Mairie d'Escautpont",
        "caf_label": "Caisse d'allocations familiales du Nord", "signed_on": "15/12/2023", "renewal_on": "15/12/2025",
        "notice_deadline": "15/09/2025", "terminated_by": "FOURNISSEUR", "letter_reference": "1A 234 567 8901 2",
    }  # fmt: skip

    email = render("convention_notice", values)

    assert "Elle prendra effet le 15/12/2025" in email.text
    assert "à votre initiative, lettre recommandée 1A 234 567 8901 2" in email.text


def test_the_subject_is_one_printable_line_cut_to_its_length() -> None:
    name = "Crèche\r\nBcc: x@evil.example \u202e" + "Les Petits Mineurs " * 20

    subject = render("moderation_decided", _values(establishment_name=name)).subject

    assert subject.startswith("Vos informations sur « Crèche Bcc: x@evil.example Les Petits Mineurs")
    assert len(subject) == SUBJECT_LENGTH
    assert subject.endswith("…")
    assert subject.isprintable()


def test_a_reset_e_mail_says_how_to_report_a_request_the_person_did_not_make() -> None:
    values = {
        "display_name": "Marie Dupont",
        "identifier": "m.dupont.escautpont",
        "agent_number": "59-ESC-0001",
        "password": "Tmp4Pass",
        "expires": "05/12/2026 à 18 h 00",
    }
    reset = render("password_issued", values | {"reason": "RESET"})
    activation = render("password_issued", values | {"reason": "ACTIVATION"})

    warning = "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe actuel reste"
    assert warning in reset.text
    assert warning in reset.html
    assert "Signalez-le à votre Caf" in reset.text
    assert warning not in activation.text
