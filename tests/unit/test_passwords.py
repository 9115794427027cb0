"""Generated passwords (convention art. 3-2) and the policy for chosen ones (architecture §4, quality S13)."""

import re

import pytest

from gateway.accounts.passwords import PasswordPolicy, common_passwords, generate_password

POLICY = PasswordPolicy()


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
    ["cheval agrafe batterie correcte", "Le canal de l'Escaut en mai !", "ŝtrange-ünicode-pass-phrase", "x" * 64],
)
def test_long_uncommon_passwords_of_any_characters_are_accepted(password: str) -> None:
    assert POLICY.violations(password, identifier="m.dupont.escautpont", names=["Marie", "Dupont"]) == []


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
