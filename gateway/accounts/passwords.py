"""Passwords: the generated ones the convention prescribes, and the policy for the ones people choose.

* Generated (convention art. 3-2): 8 letters and digits, case-sensitive, from the operating system's CSPRNG,
  e-mailed, single use and short-lived; never ambiguous characters (0/O, 1/l/I) since people retype them.
* Chosen: at least 12 characters by default (never fewer than the convention's 8), at most 128, any characters,
  no composition rule; refused when common (``common_passwords.txt.gz``, see ``tools/build_common_passwords.py``)
  or when it contains the identifier or the person's name; then refused when zxcvbn finds it easy to guess with
  the person's and the structure's words as context (``password_strength``). Messages are in French for people,
  codes stable for programs.
"""

import asyncio
import gzip
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gateway.accounts.password_strength import ADVICE, weakness

GENERATED_LENGTH = 8
CONVENTION_MINIMUM = 8
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_ALPHABET = _LOWER + _UPPER + _DIGITS


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password of letters and digits with at least one lowercase, one uppercase and one digit."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(any(ch in group for ch in candidate) for group in (_LOWER, _UPPER, _DIGITS)):
            return candidate


@cache
def common_passwords() -> frozenset[str]:
    raw = gzip.decompress((Path(__file__).parent / "common_passwords.txt.gz").read_bytes())
    return frozenset(raw.decode("utf-8").split())


MESSAGES = {
    "TOO_SHORT": "Le mot de passe doit comporter {}.",
    "TOO_LONG": "Le mot de passe doit comporter {}.",
    "TOO_COMMON": "Ce mot de passe est trop courant : choisissez-en un autre.",
    "CONTAINS_IDENTIFIER": "Le mot de passe ne doit pas contenir votre identifiant.",
    "CONTAINS_NAME": "Le mot de passe ne doit pas contenir votre nom ou prénom.",
    "TOO_GUESSABLE": "Ce mot de passe est trop facile à deviner : {}. " + ADVICE,
}


@dataclass(frozen=True)
class PolicyViolation:
    code: str
    message: str


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    max_length: int = 128

    def __post_init__(self) -> None:
        if self.min_length < CONVENTION_MINIMUM:
            raise ValueError(f"the minimum length may not be below the convention's {CONVENTION_MINIMUM}")
        if self.max_length < 64:
            raise ValueError("the maximum length must allow at least 64 characters")

    def violations(
        self, password: str, *, identifier: str, names: Iterable[str] = (), context: Iterable[str] = ()
    ) -> list[PolicyViolation]:
        """Every reason to refuse ``password``; an empty list means it is acceptable.

        ``context``: words of the person's structure (provider, commune, Caf) a guesser would try. The estimator
        runs only when the plain rules pass: its message would repeat theirs. It costs milliseconds of CPU: from a
        coroutine, call ``check``.
        """
        folded = _fold(password)
        names = list(names)
        checks = [
            ("TOO_SHORT", len(password) < self.min_length, f"au moins {self.min_length} caractères"),
            ("TOO_LONG", len(password) > self.max_length, f"au plus {self.max_length} caractères"),
            ("TOO_COMMON", _is_common(password), ""),
            ("CONTAINS_IDENTIFIER", len(identifier) >= 3 and _fold(identifier) in folded, ""),
            ("CONTAINS_NAME", any(len(n) >= 3 and _fold(n) in folded for n in names), ""),
        ]
        found = [PolicyViolation(code, MESSAGES[code].format(detail)) for code, failed, detail in checks if failed]
        if found:
            return found
        reasons = weakness(password, [identifier, *names, *context])
        if reasons is None:
            return []
        return [PolicyViolation("TOO_GUESSABLE", MESSAGES["TOO_GUESSABLE"].format(" ; ".join(reasons)))]

    async def check(
        self, password: str, *, identifier: str, names: Iterable[str] = (), context: Iterable[str] = ()
    ) -> list[PolicyViolation]:
        """``violations`` off the event loop (the strength estimate is CPU work)."""
        return await asyncio.to_thread(
            self.violations, password, identifier=identifier, names=list(names), context=list(context)
        )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_DECORATION = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


def _is_common(password: str) -> bool:
    """Common as it is, or once stripped of the digits and symbols people add around a common word."""
    common = common_passwords()
    folded = _fold(password)
    core = _DECORATION.sub(r"\1", folded)
    return folded in common or (len(core) >= 4 and core in common)
