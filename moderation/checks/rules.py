"""Automated checks for the content rules of convention art. 2, run when a submission enters the queue.

They flag, they do not decide: each flag names the category (the refusal reasons of art. 2), the field, the
excerpt, the evidence (which rules, which words), a confidence and a severity, and a moderator decides. One detector
per category, each a data file of rules (``lexicons/*.toml``) read by ``lexicon.py``; links are judged by
``links.py``. Pure functions over the submitted document.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from moderation.checks.entities import find_entities
from moderation.checks.lexicon import Hit, Lexicon, Rule, Span, load, match_rule, span_of
from moderation.checks.links import find_links
from moderation.checks.text import ReadText, read
from shared.operating_info import OperatingInfoDocument, field_label_of_path, in_graphql_names
from shared.refusal_reasons import REFUSAL_REASONS


class Severity(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self]


SEVERITY_LABELS = {Severity.HIGH: "Manquement très probable", Severity.MEDIUM: "À vérifier"}

DETECTORS = ("publicite", "tendancieux", "injurieux", "proselytisme", "droits-tiers", "liens", "chaine", "mission")
"""The data files of the detectors, one per art. 2 category."""
LINKS_CATEGORY = "VIRUS_OU_CODE_MALVEILLANT"
FLAG_FROM = 0.5
"""A category is flagged when the rules that fired in a field reach this confidence together."""
HIGH_FROM = 0.8
"""From this confidence a flag is HIGH: on the labelled corpus, flags this sure are right ≥ 95 % of the time."""
_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”")


@dataclass(frozen=True)
class Evidence:
    rule: str
    """The rule's identifier in its data file (``publicite.remise``)."""
    label: str
    words: tuple[str, ...]
    """What matched, one per group of the rule (folded: « -20 % », « voter »)."""
    weight: float


@dataclass(frozen=True)
class Flag:
    rule: str
    """The art. 2 category, a refusal reason code (``PUBLICITE_DEGUISEE``)."""
    field: str
    """The GraphQL path of the text in the document (``fees``, ``datedClosures[0].label``)."""
    excerpt: str
    severity: Severity
    confidence: float = 1.0
    evidence: tuple[Evidence, ...] = ()

    @property
    def label(self) -> str:
        return REFUSAL_REASONS[self.rule]

    @property
    def field_label(self) -> str:
        return field_label_of_path(self.field)


def check_document(document: OperatingInfoDocument, establishment_name: str = "") -> list[Flag]:
    """Every flag raised by the text of ``document`` (each category at most once per field). Links to the
    establishment's own site (its name in the domain) are not flagged."""
    flags = []
    for path, text in texts_of(document.model_dump(mode="json")):
        flags += check_text(text, path, establishment_name)
    return flags


def check_text(text: str, path: str = "", establishment_name: str = "") -> list[Flag]:
    """The flags of one text of the document."""
    read_text = read(text)
    if not read_text.sentences:
        return []
    hits = _link_hits(read_text, establishment_name)
    entities = [(e.tag, e.start, e.end) for e in find_entities(read_text.original, read_text.folded)]
    entities += [("@link", hit.start, hit.end) for _, hit in hits]
    quoted = tuple((m.start(), m.end()) for m in _QUOTED.finditer(read_text.original))
    regexes: dict[re.Pattern[str], bool] = {}
    sentence_spans = [span_of((s,), entities, read_text.folded, quoted, regexes) for s in read_text.sentences]
    lexicons = _lexicons()
    whole = (
        span_of(read_text.sentences, entities, read_text.folded, quoted, regexes)
        if any(rule.scope == "text" for lexicon in lexicons for rule in lexicon.rules)
        else None
    )
    for lexicon in lexicons:
        hits += [(lexicon.category, hit) for hit in _lexicon_hits(lexicon, sentence_spans, whole)]
    return [flag for category in _categories(hits) if (flag := _flag(category, hits, path, read_text))]


def _lexicons() -> list[Lexicon]:
    return [load(name) for name in DETECTORS]


def _lexicon_hits(lexicon: Lexicon, sentences: list[Span], whole: Span | None) -> Iterator[Hit]:
    """The first hit of each rule of the lexicon: rules of the whole text on it, the others sentence by sentence."""
    done: set[Rule] = set()
    for rule in lexicon.rules:
        if whole is not None and rule.scope == "text" and (hit := match_rule(rule, whole)) is not None:
            done.add(rule)
            yield hit
    for span in sentences:
        for rule in lexicon.candidates(span):
            if rule.scope != "text" and rule not in done and (hit := match_rule(rule, span)) is not None:
                done.add(rule)
                yield hit


def _link_hits(text: ReadText, establishment_name: str) -> list[tuple[str, Hit]]:
    hits = []
    for found in find_links(text.folded, establishment_name):
        rule = Rule(f"liens.{found.rule.removeprefix('lien.')}", found.label, found.weight, (), None, False, "text")
        hits.append((LINKS_CATEGORY, Hit(rule, (found.url,), found.start, found.end, found.weight)))
    return hits


def _categories(hits: list[tuple[str, Hit]]) -> list[str]:
    return list(dict.fromkeys(category for category, _ in hits))


def _flag(category: str, hits: list[tuple[str, Hit]], path: str, text: ReadText) -> Flag | None:
    mine = sorted((hit for c, hit in hits if c == category), key=lambda hit: -hit.weight)
    unique = list({hit.rule.id: hit for hit in reversed(mine)}.values())[::-1]
    confidence = 1.0
    for hit in unique:
        confidence *= 1 - hit.weight
    confidence = round(1 - confidence, 2)
    if confidence < FLAG_FROM:
        return None
    evidence = tuple(Evidence(hit.rule.id, hit.rule.label, hit.words, hit.weight) for hit in unique)
    severity = Severity.HIGH if confidence >= HIGH_FROM else Severity.MEDIUM
    excerpt = _excerpt(text.original, unique[0].start, unique[0].end)
    return Flag(category, path, excerpt, severity, confidence, evidence)


def texts_of(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every text of a dumped document with its GraphQL path (``datedClosures[0].label``)."""
    return _texts(in_graphql_names(document), "")


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


def _excerpt(text: str, start: int, end: int, around: int = 40) -> str:
    left, right = max(0, start - around), min(len(text), end + around)
    return ("…" if left else "") + text[left:right].strip() + ("…" if right < len(text) else "")
