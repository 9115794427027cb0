"""French text as the art. 2 checks read it: Unicode-normalised, case- and accent-folded, de-obfuscated
(« p r o m o », « pr0m0 »), split into sentences of tokens with their lemmas (simplemma, whose French data ships in
its wheel: nothing is fetched at run time).

A token keeps its place in the submitted text, so that a flag quotes what the provider wrote.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import simplemma

_WORD = re.compile(r"[^\W_]+|[@$](?=\w)")
_SENTENCE_END = re.compile(r"[!?;\n]|\.\s")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_SPACED_RUN = 4  # « p r o m o »: at least this many one-letter tokens in a row are one word
_SPACED_GAP = re.compile(r"^[\s.\-_*/]{1,2}$")


@dataclass(frozen=True)
class Token:
    surface: str
    """Folded: lower case, no accent, leetspeak decoded (« Pr0m0 » → ``promo``)."""
    lemma: str
    """The folded lemma (« votez » → ``voter``; spaces as ``_``)."""
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[Token, ...]
    start: int
    end: int


@dataclass(frozen=True)
class ReadText:
    original: str
    """The submitted text after Unicode NFKC normalisation (offsets of tokens point into it)."""
    folded: str
    """``original`` in lower case without accents, character for character (same offsets)."""
    sentences: tuple[Sentence, ...]


def fold(text: str) -> str:
    """Lower case without accents or ligatures (« Œuvre Élue » → ``oeuvre elue``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class _SameLengthFolding(dict[int, str]):
    """A ``str.translate`` table that folds each character to one character, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = fold(char)
        self[code] = folded if len(folded) == 1 else char.lower() if len(char.lower()) == 1 else char
        return self[code]


_SAME_LENGTH = _SameLengthFolding()


def _fold_same_length(text: str) -> str:
    return text.translate(_SAME_LENGTH)


def deleet(word: str) -> str:
    """Digits standing for letters inside a word (« c0nnards », « V0tez ») as letters; numbers stay numbers."""
    if word.isalpha() or word.isdigit() or not any(char.isalpha() for char in word):
        return word
    chars = list(word)
    inside = [
        i for i, char in enumerate(chars)
        if char in "0134579@$" and 0 < i < len(chars) - 1 and chars[i - 1].isalpha() and chars[i + 1].isalpha()
    ]  # fmt: skip
    if not inside:
        return word
    return word.translate(_LEET)


@lru_cache(maxsize=65_536)
def lemma_of(word: str) -> str:
    """The folded French lemma of a lower-case word."""
    return fold(simplemma.lemmatize(word, lang="fr"))


def read(text: str) -> ReadText:
    """The text split into sentences of folded tokens with their lemmas."""
    original = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    folded = _fold_same_length(original)
    pieces = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(original)]
    pieces = _join_spaced_letters(pieces, original)
    sentences: list[Sentence] = []
    current: list[Token] = []
    sentence_start, previous_end = 0, 0
    breaks = [match.start() for match in _SENTENCE_END.finditer(original)]
    next_break = 0
    for word, start, end in pieces:
        while next_break < len(breaks) and breaks[next_break] < previous_end:
            next_break += 1
        if current and next_break < len(breaks) and breaks[next_break] < start:
            sentences.append(Sentence(tuple(current), sentence_start, start))
            current, sentence_start = [], start
        current.append(_token(word, start, end))
        previous_end = end
    if current:
        sentences.append(Sentence(tuple(current), sentence_start, len(original)))
    return ReadText(original, folded, tuple(sentences))


def _token(word: str, start: int, end: int) -> Token:
    surface, lemma = _forms_of(word)
    return Token(surface, lemma, start, end)


@lru_cache(maxsize=65_536)
def _forms_of(word: str) -> tuple[str, str]:
    lowered = deleet(word.lower())
    return fold(lowered), lemma_of(lowered).replace(" ", "_")


def _join_spaced_letters(pieces: list[tuple[str, int, int]], text: str) -> list[tuple[str, int, int]]:
    joined: list[tuple[str, int, int]] = []
    run: list[tuple[str, int, int]] = []
    for piece in [*pieces, ("", len(text) + 1, len(text) + 1)]:
        word, start, _ = piece
        spaced = len(word) == 1 and word.isalpha()
        if spaced and (not run or _SPACED_GAP.match(text[run[-1][2] : start])):
            run.append(piece)
            continue
        joined += [("".join(w for w, _, _ in run), run[0][1], run[-1][2])] if len(run) >= _SPACED_RUN else run
        run = [piece] if spaced else []
        if not spaced and word:
            joined.append(piece)
    return joined
