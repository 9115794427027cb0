"""Generated passwords (convention art. 3-2) and the policy for chosen ones (architecture §4, quality S13)."""

import re

import pytest

from gateway.accounts.password_strength import ANALYSED_LENGTH
from gateway.accounts.passwords import PasswordPolicy, PolicyViolation, common_passwords, generate_password

POLICY = PasswordPolicy()
STRUCTURE = ["Commune d'Escautpont", "Escautpont", "Multi-accueil Les P'tits Mineurs", "CAF59", "Caf du Nord"]


def _marie(password: str, context: list[str] | None = None) -> list[PolicyViolation]:
    return POLICY.violations(
        password, identifier="m.dupont.escautpont", names=["Marie", "Dupont"], context=context or []
    )


def test_generated_passwords_are_8_letters_and_digits_mixing_cases() -> None:
    passwords = {generate_password() for _ in range(500)}

    assert len(passwords) == 500, "no repeats in 500 draws"
    for password in passwords:
        assert re.fullmatch(r"[A-Za-z2-9]{8}", password)
        assert re.search(r"[a-z]", password)
        assert re.search(r"[A-Z]", password)
        assert re.search(r"\d", password)
        assert not set(password) & set("0O1lI")


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("court", ["TOO_SHORT"]),
        ("x" * 129, ["TOO_LONG"]),
        ("motdepasse", ["TOO_SHORT", "TOO_COMMON"]),
        ("azertyuiop123", ["TOO_COMMON"]),
        ("!!Soleil2024!!", ["TOO_COMMON"]),
        ("m.dupont.escautpont-2024", ["CONTAINS_IDENTIFIER", "CONTAINS_NAME"]),
        ("escautpont est ma commune", []),
        ("je-suis-MARIE-au-multi-accueil", ["CONTAINS_NAME"]),
        ("Dupónt et la crèche des mineurs", ["CONTAINS_NAME"]),
    ],
)
def test_weak_common_and_personal_passwords_are_refused_with_a_reason(password: str, codes: list[str]) -> None:
    found = POLICY.violations(password, identifier="m.dupont.escautpont", names=["Marie", "Dupont"])

    assert [v.code for v in found] == codes
    assert all(v.message.endswith(".") for v in found)


@pytest.mark.parametrize(
    "password",
    [
        "cheval agrafe batterie correcte",
        "Le canal de l'Escaut en mai !",
        "ŝtrange-ünicode-pass-phrase",
        "escautpont est ma commune",
        "Correct-Cheval-Agrafe9",
        "le beffroi de Lille au printemps",
        "la Scarpe gèle en hiver, mais pas le café",
        "Gx7#pQ2!vL9@" * 5,
    ],
)
def test_long_uncommon_passwords_of_any_characters_are_accepted(password: str) -> None:
    assert _marie(password, STRUCTURE) == []


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("123456789012", "il suit une suite de lettres ou de chiffres"),
        ("aaaaaaaaaaaa", "il répète un caractère ou un motif"),
        ("000000000000", "il répète un caractère ou un motif"),
        ("passwordpassword", "il répète un caractère ou un motif"),
        ("azertyuiopqs", "il suit une rangée du clavier"),
        ("mlkjhgfdsqaz", "il suit une rangée du clavier"),
        ("poiuytreza123", "il suit une rangée du clavier"),
        ("x" * 64, "il répète un caractère ou un motif"),
        ("x" * 128, "il répète un caractère ou un motif"),
        ("Monenfant-Escautpont", "il reprend des mots liés à votre compte ou à votre structure"),
        ("crèche escautpont 2024", "il reprend des mots liés à votre compte ou à votre structure"),
        ("Caf du Nord 59 !", "il reprend des mots liés à votre compte ou à votre structure"),
    ],
)
def test_easy_to_guess_passwords_are_refused_saying_why_and_what_would_do(password: str, reason: str) -> None:
    [violation] = _marie(password, STRUCTURE)

    assert violation.code == "TOO_GUESSABLE"
    assert violation.message.startswith("Ce mot de passe est trop facile à deviner : ")
    assert reason in violation.message
    assert "Préférez une phrase de plusieurs mots inhabituels" in violation.message


def test_the_structure_words_are_context_a_guess_starts_from() -> None:
    password = "Multi-accueil Les P'tits Mineurs"

    assert _marie(password) == []
    [violation] = _marie(password, STRUCTURE)
    assert "liés à votre compte ou à votre structure" in violation.message


def test_only_a_bounded_prefix_is_analysed_and_a_strong_prefix_stays_strong() -> None:
    strong = "Gx7#pQ2!vL9@" * 6
    assert len(strong) > ANALYSED_LENGTH
    assert _marie(strong + "a" * (128 - len(strong))) == []
    assert _marie("a" * ANALYSED_LENGTH + strong[: 128 - ANALYSED_LENGTH])[0].code == "TOO_GUESSABLE"


async def test_from_a_coroutine_the_check_gives_the_same_answer() -> None:
    found = await POLICY.check("azertyuiopqs", identifier="m.dupont.escautpont", names=["Marie"], context=STRUCTURE)

    assert found == _marie("azertyuiopqs", STRUCTURE)


def test_the_message_for_a_short_password_says_the_minimum() -> None:
    [violation] = PasswordPolicy(min_length=14).violations("treize-caract", identifier="k.lefebvre")

    assert violation.message == "Le mot de passe doit comporter au moins 14 caractères."
    [too_long] = POLICY.violations("y" * 200, identifier="k.lefebvre")
    assert too_long.message == "Le mot de passe doit comporter au plus 128 caractères."


def test_the_policy_never_goes_below_the_convention() -> None:
    with pytest.raises(ValueError, match="below the convention's 8"):
        PasswordPolicy(min_length=6)


def test_the_common_list_is_shipped_and_large() -> None:
    common = common_passwords()

    assert len(common) > 30_000
    assert {"123456", "azerty", "motdepasse", "soleil"} <= common
