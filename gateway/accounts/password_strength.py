"""How guessable a chosen password is, by zxcvbn (a maintained estimator), with a French reason and advice.

* Threshold: zxcvbn score 3, i.e. about 10⁸ guesses or more. Online guessing is throttled (S11) and stored hashes
  are argon2, so 10⁸ is out of reach online and costly offline; score 4 (10¹⁰) would refuse many memorable French
  phrases without a gain that matters against those two controls.
* zxcvbn knows English words, names and QWERTY rows only: the context words add what a person here would reuse
  (identifier, names, provider, commune, « crèche », « caf », « monenfant ») and the rows of the AZERTY keyboard.
  A password made of such words with little else (« Monenfant-Escautpont ») is refused even when zxcvbn counts
  enough guesses: whoever targets a crèche starts with its words, so fewer than ``MIN_OWN_CHARACTERS`` characters
  outside them is too little.
* Cost: zxcvbn's work grows quickly with the length, so only the first ``ANALYSED_LENGTH`` characters are analysed
  (a prefix is never stronger than the whole, so this never accepts a weak password); the caller runs it off the
  event loop. zxcvbn keeps the context words in a module-level dictionary, hence one analysis at a time.
"""

import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from zxcvbn import zxcvbn

MIN_SCORE = 3
MIN_OWN_CHARACTERS = 8
ANALYSED_LENGTH = 64
PRODUCT_WORDS = (
    "crèche", "micro-crèche", "multi-accueil", "halte-garderie", "garderie", "caf", "monenfant", "mon enfant",
    "enfant", "enfants", "bébé", "structures", "accueil", "périscolaire", "centre de loisirs",
)  # fmt: skip
_AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")
KEYBOARD_WORDS = tuple(row[i:j] for row in _AZERTY_ROWS for i in range(len(row)) for j in range(i + 4, len(row) + 1))

ADVICE = (
    "Préférez une phrase de plusieurs mots inhabituels, sans rapport entre eux ni avec vous "
    "ou votre structure (par exemple quatre mots choisis au hasard)."
)
REASONS = {
    "repeat": "il répète un caractère ou un motif (comme « aaaa » ou « abcabc »)",
    "sequence": "il suit une suite de lettres ou de chiffres (comme « abcd » ou « 6543 »)",
    "keyboard": "il suit une rangée du clavier (comme « azerty » ou « qsdf »)",
    "date": "il contient une date ou une année",
    "common": "il repose sur un mot ou un mot de passe courant",
    "name": "il repose sur un prénom ou un nom de famille courant",
    "context": "il reprend des mots liés à votre compte ou à votre structure (identifiant, commune, « crèche »…)",
    "short": "il est trop simple pour sa longueur",
}
_NAMES = {"female_names", "male_names", "surnames"}
_KEYBOARD = frozenset(KEYBOARD_WORDS)
_ANALYSIS = threading.Lock()


def weakness(password: str, context: Iterable[str]) -> list[str] | None:
    """The French reasons ``password`` is too easy to guess, or None when it is strong enough."""
    with _ANALYSIS:
        result = zxcvbn(password[:ANALYSED_LENGTH], user_inputs=context_words(context), max_length=ANALYSED_LENGTH)
    kinds = _kinds(result["sequence"])
    mostly_context = "context" in kinds and _own_characters(result["sequence"]) < MIN_OWN_CHARACTERS
    if result["score"] >= MIN_SCORE and not mostly_context:
        return None
    return [REASONS[kind] for kind in kinds] or [REASONS["short"]]


def context_words(context: Iterable[str]) -> list[str]:
    """The words as given, their parts and accent-free forms, then the product's words and the AZERTY rows."""
    words: list[str] = []
    for text in (*context, *PRODUCT_WORDS):
        folded = _fold(text)
        parts = [p for p in "".join(ch if ch.isalnum() else " " for ch in folded).split() if len(p) >= 3]
        words += [text.casefold(), folded, folded.replace(" ", ""), *parts]
    words += KEYBOARD_WORDS
    return list(dict.fromkeys(w for w in words if len(w) >= 3))


def _kinds(sequence: Sequence[dict[str, Any]]) -> list[str]:
    kinds = [_kind(match) for match in sequence]
    return list(dict.fromkeys(kind for kind in kinds if kind is not None))


def _own_characters(sequence: Sequence[dict[str, Any]]) -> int:
    """Characters outside the person's words and the patterns a guesser enumerates (rows, repeats, dates…)."""
    return sum(len(match["token"]) for match in sequence if _kind(match) in (None, "common", "name"))


def _kind(match: dict[str, Any]) -> str | None:
    pattern = match["pattern"]
    if pattern in ("repeat", "sequence", "date"):
        return str(pattern)
    if pattern == "spatial":
        return "keyboard"
    if pattern == "regex":
        return "date"
    if pattern != "dictionary":
        return None
    if match["dictionary_name"] == "user_inputs":
        return "keyboard" if match["matched_word"] in _KEYBOARD else "context"
    return "name" if match["dictionary_name"] in _NAMES else "common"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
