"""Automated checks for the content rules of convention art. 2, run when a submission enters the queue.

They flag, they do not decide: each flag names the rule (the refusal reasons of art. 2), the field, the excerpt
and a severity, and a moderator decides. Pure functions over the submitted document.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.operating_info import OperatingInfoDocument, field_label_of_path, in_graphql_names
from shared.refusal_reasons import REFUSAL_REASONS


class Severity(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self]


SEVERITY_LABELS = {Severity.HIGH: "Manquement très probable", Severity.MEDIUM: "À vérifier"}


@dataclass(frozen=True)
class Flag:
    rule: str
    field: str
    """The GraphQL path of the text in the document (``fees``, ``datedClosures[0].label``)."""
    excerpt: str
    severity: Severity

    @property
    def label(self) -> str:
        return REFUSAL_REASONS[self.rule]

    @property
    def field_label(self) -> str:
        return field_label_of_path(self.field)


def _patterns(*expressions: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{e})" for e in expressions), re.IGNORECASE)


RULES: list[tuple[str, Severity, re.Pattern[str]]] = [
    ("PUBLICITE_DEGUISEE", Severity.HIGH, _patterns(
        r"-\s?\d{1,2}\s?%", r"\d{1,2}\s?%\s+de\s+(?:réduction|remise)", r"\bcode\s+promo", r"\bpromo(?:tion)?s?\b",
        r"\bsoldes\b", r"\boffre\s+(?:spéciale|exceptionnelle|limitée)", r"\binscrivez-vous\s+vite\b", r"\bprofitez\b",
        r"\bnotre\s+partenaire\b",
    )),
    ("CONTENU_TENDANCIEUX_OU_ERRONE", Severity.MEDIUM, _patterns(
        r"\bla\s+meilleure\s+crèche\b", r"\bn°\s?1\b", r"\bnuméro\s+un\b", r"\b100\s?%\s+garanti",
        r"\bgaranti(?:e|s)?\s+sans\b",
        r"\bseule?\s+crèche\s+(?:de|du|en)\b", r"\brecommandée?\s+par\s+(?:tous|les\s+médecins)\b",
    )),
    ("INJURIEUX_DIFFAMATOIRE", Severity.HIGH, _patterns(
        r"\bconnards?\b", r"\bcrétins?\b", r"\babrutis?\b", r"\bdébiles?\b", r"\bescrocs?\b", r"\bvoleurs?\b",
        r"\bincompétents?\b", r"\bminables?\b",
    )),
    ("PROSELYTISME", Severity.MEDIUM, _patterns(
        r"\bvotez\b", r"\bélections?\b", r"\bcandidate?s?\b", r"\bmeeting\b", r"\bsyndiquez-vous\b", r"\bgrève\b",
        r"\bprière\b", r"\bprier\b", r"\bdieu\b", r"\bévangile\b", r"\bconvertissez\b", r"\bla\s+vraie\s+foi\b",
    )),
    ("VIRUS_OU_CODE_MALVEILLANT", Severity.HIGH, _patterns(
        r"<\s*script", r"javascript\s*:", r"\bon(?:error|load|click)\s*=", r"data\s*:\s*text/html",
        r"https?://\S+\.(?:exe|bat|scr|msi|apk|js|vbs)\b", r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|t\.co)/",
        r"https?://\d{1,3}(?:\.\d{1,3}){3}",
    )),
    ("CHAINE_DE_LETTRES", Severity.MEDIUM, _patterns(
        r"\bfaites\s+suivre\b", r"\btransférez\s+ce\s+message\b", r"\benvoyez[- ]le\s+à\s+\d+\s+personnes\b",
        r"\bpartagez\s+à\s+tous\s+vos\s+contacts\b", r"\bsinon\s+vous\s+aurez\s+(?:malheur|malchance)\b",
    )),
]  # fmt: skip


def check_document(document: OperatingInfoDocument) -> list[Flag]:
    """Every flag raised by the text of ``document`` (each rule at most once per field)."""
    flags = []
    for path, text in _texts(in_graphql_names(document.model_dump(mode="json")), ""):
        for rule, severity, pattern in RULES:
            match = pattern.search(text)
            if match:
                flags.append(Flag(rule, path, _excerpt(text, match.start(), match.end()), severity))
    return flags


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
