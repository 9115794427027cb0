"""The rules of one art. 2 category, read from its data file (``lexicons/<category>.toml``), and their matching.

A rule fires in a sentence (or the whole text, ``scope = "text"``) when every one of its groups of terms has a
match there and none of its ``unless`` terms does. A term is a word or phrase, matched on the folded words or on
their lemmas (« votez » matches ``voter``); a prefix ending in ``*``; a word as written and not its lemma
(``=votez``: not « voté »); an entity tag (``@mobile``, see ``entities.py``); or a regular expression over the
folded text (``re:``). A negation just before the first group's match (« aucune publicité », « sans porc »)
cancels it when the rule says ``negatable``; a match inside quotation marks counts half.
"""

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from moderation.checks.text import Sentence, deleet, fold, lemma_of

NEGATIONS = frozenset({"ne", "n", "pas", "sans", "aucun", "aucune", "jamais", "ni", "non", "nul", "nulle", "zero"})
_NEGATION_REACH = 3
_GAP = "\x00"


@dataclass(frozen=True, eq=False)
class Group:
    words: re.Pattern[str] | None
    regex: re.Pattern[str] | None
    firsts: frozenset[str]
    """The longest word of each term: a span without any of them cannot match (checked before the regex)."""
    prefixes: tuple[str, ...]

    def may_match(self, span: "Span") -> bool:
        if not self.firsts.isdisjoint(span.vocabulary):
            return True
        if self.regex is not None:
            return span.regex_in_text(self.regex)
        return any(word.startswith(self.prefixes) for word in span.vocabulary) if self.prefixes else False


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per rule of a data file
class Rule:
    id: str
    label: str
    weight: float
    groups: tuple[Group, ...]
    unless: Group | None
    negatable: bool
    scope: str


@dataclass(frozen=True)
class Lexicon:
    category: str
    rules: tuple[Rule, ...]
    index: dict[str, tuple[Rule, ...]]
    """Word → the rules whose first group has a term whose longest word it is."""
    always: tuple[Rule, ...]
    """The rules whose first group has a regular expression or a prefix (tried on every span)."""

    def candidates(self, span: "Span") -> set[Rule]:
        """The rules that may match in ``span`` (the others lack the first word of all their first terms)."""
        found = set(self.always)
        for word in self.index.keys() & span.vocabulary:
            found.update(self.index[word])
        return found


@dataclass(frozen=True)
class Span:
    """A stretch of text the rules look at: its words, lemmas, entity tags and place in the text."""

    words: str
    """`` w1 w2 … @tag … \\x00 l1 l2 … @tag … `` — folded words, then lemmas, each followed by the tags."""
    offsets: tuple[tuple[int, int], ...]
    folded: str
    start: int
    quoted: tuple[tuple[int, int], ...]
    vocabulary: frozenset[str]
    tag_places: dict[str, tuple[int, int]]
    """Where in the text the first entity of each tag of the span is."""
    text_regexes: dict[re.Pattern[str], bool]
    """Whether each regular expression matches the whole text (shared by its spans: most never match)."""
    text_folded: str

    def regex_in_text(self, regex: re.Pattern[str]) -> bool:
        found = self.text_regexes.get(regex)
        if found is None:
            found = self.text_regexes[regex] = regex.search(self.text_folded) is not None
        return found


@dataclass(frozen=True)
class Hit:
    rule: Rule
    words: tuple[str, ...]
    start: int
    end: int
    weight: float


def span_of(
    sentences: tuple[Sentence, ...],
    tags: list[tuple[str, int, int]],
    folded: str,
    quoted: tuple[tuple[int, int], ...],
    text_regexes: dict[re.Pattern[str], bool],
) -> Span:
    tokens = [token for sentence in sentences for token in sentence.tokens]
    start, end = sentences[0].start, sentences[-1].end
    places: dict[str, tuple[int, int]] = {}
    for tag, at, until in tags:
        if start <= at < end:
            places.setdefault(tag, (at, until))
    mine = " ".join(places)
    words = " ".join([t.surface for t in tokens])
    lemmas = " ".join([t.lemma for t in tokens])
    return Span(
        f" {words} {mine} {_GAP} {lemmas} {mine} ", tuple((t.start, t.end) for t in tokens),
        folded[start:end], start, quoted, frozenset(f"{words} {lemmas} {mine}".split()), places, text_regexes,
        folded,
    )  # fmt: skip


def match_rule(rule: Rule, span: Span) -> Hit | None:
    if not all(group.may_match(span) for group in rule.groups):
        return None
    found = []
    for index, group in enumerate(rule.groups):
        match = _first(group, span, negatable=rule.negatable and index == 0)
        if match is None:
            return None
        found.append(match)
    if rule.unless is not None and rule.unless.may_match(span) and _first(rule.unless, span, negatable=False):
        return None
    words = tuple(text for text, _, _ in found)
    start, end = min(at for _, at, _ in found), max(until for _, _, until in found)
    quoted = any(q_start <= start and end <= q_end for q_start, q_end in span.quoted)
    return Hit(rule, words, start, end, rule.weight / 2 if quoted else rule.weight)


def _first(group: Group, span: Span, *, negatable: bool) -> tuple[str, int, int] | None:
    if group.regex is not None:
        match = group.regex.search(span.folded)
        if match:
            return match.group(), span.start + match.start(), span.start + match.end()
    if group.words is None:
        return None
    for match in group.words.finditer(span.words):
        if negatable and _negated(span.words, match.start()):
            continue
        word = match.group().strip()
        if word in span.tag_places:
            start, end = span.tag_places[word]
            return span.text_folded[start:end], start, end
        start, end = _place(span, match.start(), match.end())
        return word, start, end
    return None


def _negated(words: str, at: int) -> bool:
    before = words[:at].rsplit(_GAP, 1)[-1].split()[-_NEGATION_REACH:]
    return any(word in NEGATIONS for word in before)


def _place(span: Span, start: int, end: int) -> tuple[int, int]:
    """Where in the text a match of ``span.words`` lies (a tag or a lemma points to the span's first words)."""
    half = span.words.rfind(_GAP, 0, start)
    base = half + 2 if half >= 0 else 1
    first = span.words.count(" ", base, start)
    last = first + span.words.count(" ", start, end)
    if first >= len(span.offsets):
        return span.offsets[0][0] if span.offsets else span.start, span.offsets[0][1] if span.offsets else span.start
    return span.offsets[first][0], span.offsets[min(last, len(span.offsets) - 1)][1]


def spans(sentences: tuple[Sentence, ...], rule_scope: str) -> Iterator[tuple[Sentence, ...]]:
    if rule_scope == "text":
        yield sentences
    else:
        for sentence in sentences:
            yield (sentence,)


@cache
def load(name: str) -> Lexicon:
    """The rules of a category's data file (``lexicons/<name>.toml``)."""
    raw: dict[str, Any] = tomllib.loads(
        resources.files("moderation.checks").joinpath("lexicons", f"{name}.toml").read_text(encoding="utf-8")
    )
    rules = tuple(_rule(name, item) for item in raw["rule"])
    index: dict[str, list[Rule]] = {}
    for rule in rules:
        for word in rule.groups[0].firsts:
            index.setdefault(word, []).append(rule)
    always = tuple(rule for rule in rules if rule.groups[0].regex is not None or rule.groups[0].prefixes)
    return Lexicon(raw["category"], rules, {word: tuple(found) for word, found in index.items()}, always)


def _rule(name: str, raw: dict[str, Any]) -> Rule:
    groups = raw.get("all") or [raw["terms"]]
    return Rule(
        id=f"{name}.{raw['id']}", label=raw["label"], weight=float(raw["weight"]),
        groups=tuple(compile_group(terms) for terms in groups),
        unless=compile_group(raw["unless"]) if raw.get("unless") else None,
        negatable=bool(raw.get("negatable", False)), scope=raw.get("scope", "sentence"),
    )  # fmt: skip


def compile_group(terms: list[str]) -> Group:
    regexes = [term[3:] for term in terms if term.startswith("re:")]
    forms = [form for term in terms if not term.startswith("re:") for form in _forms(term)]
    alternatives = {" ".join(re.escape(w) for w in words) + (r"[^ \x00]*" if prefix else "") for words, prefix in forms}
    pattern = "|".join(sorted(alternatives, key=len, reverse=True))
    return Group(
        re.compile(f"(?<= )(?:{pattern})(?= )") if pattern else None,
        re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None,
        frozenset(_key(words) for words, prefix in forms if not prefix),
        tuple(words[0] for words, prefix in forms if prefix),
    )


def _key(words: tuple[str, ...]) -> str:
    """The word of a term to look up first: its longest (the rarest, usually)."""
    return max(words, key=len)


def _forms(term: str) -> list[tuple[tuple[str, ...], bool]]:
    """A term as matched: its folded words and its lemmas, and whether it ends with ``*`` (any ending)."""
    if term.startswith("@"):
        return [((term,), False)]
    prefix, exact = term.endswith("*"), term.startswith("=")
    words = re.findall(r"[^\W_]+", term.strip("=*").lower())
    if not words:
        raise ValueError(f"the term « {term} » has no word (write @price for a price, re:… for a pattern)")
    surfaces = tuple(fold(deleet(w)) for w in words)
    if exact:
        return [(surfaces, prefix)]
    lemmas = tuple(lemma_of(deleet(w)).replace(" ", "_") for w in words)
    return [(surfaces, prefix), (lemmas, prefix)]
