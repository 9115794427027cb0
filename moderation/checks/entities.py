"""Things in a text that words alone do not name: phone numbers (private mobile, premium-rate), e-mail addresses
(functional or a person's), postal addresses, prices, percentages, first names, a child's age, social-security
numbers. Each is a tag (``@mobile``) that the lexicons' rules can require, like a word.
"""

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_PHONE = re.compile(r"(?<![\d.,])(?:\+33\s?\(?0?\)?\s?|0\s?)([1-9])(?:[\s.\-]?\d){8}(?!\d|,\d)")
_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+\-]*@([a-z0-9\-]+(?:\.[a-z0-9\-]+)+)")
_ADDRESS = re.compile(
    r"\b\d{1,4}\s?(?:bis|ter)?,?\s(?:rue|avenue|av\.|allee|impasse|boulevard|bd|chemin|place|route|square|cours|"
    r"quai|residence|lotissement)\b"
)
_PRICE = re.compile(r"\d+(?:[.,]\d{1,2})?\s?(?:€|euros?\b|eur\b)")
_PERCENT = re.compile(r"\d{1,3}(?:[.,]\d+)?\s?%")
_CHILD_AGE = re.compile(r"\(\s?\d{1,2}\s?(?:ans?|mois)\s?\)|,\s?\d{1,2}\s?(?:ans|mois)\b")
_NIR = re.compile(r"\b[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?(?:\d{2}|2a|2b)\s?\d{3}\s?\d{3}\s?\d{2}\b")
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?\b")
_FUNCTIONAL_MAILBOX = re.compile(
    r"contact|info|accueil|creche|crech|mam\b|mam[.\-_]|micro|rpe|relais|alsh|centre|asso|direction|secretariat|"
    r"inscription|enfance|mairie|multiaccueil|halte|ludo|laep|admin|bureau|service|famille[s]?\b"
)


@dataclass(frozen=True)
class Entity:
    tag: str
    start: int
    end: int


@cache
def _word_list(name: str) -> frozenset[str]:
    text = resources.files("moderation.checks").joinpath("lexicons", name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def first_names() -> frozenset[str]:
    """Common first names in France, folded (data file ``lexicons/first-names.txt``)."""
    return _word_list("first-names.txt")


def webmail_domains() -> frozenset[str]:
    """Consumer mail services: an address there is a person's unless its mailbox names a service."""
    return _word_list("webmail-domains.txt")


def find_entities(original: str, folded: str) -> list[Entity]:
    """Every entity of the text, by its place in it (``folded`` is ``original`` folded character for character)."""
    found = [*_phones(folded), *_emails(folded), *_first_names(original, folded)]
    for tag, pattern in _SIMPLE:
        found += [Entity(tag, m.start(), m.end()) for m in pattern.finditer(folded)]
    return found


_SIMPLE = (("@address", _ADDRESS), ("@price", _PRICE), ("@percent", _PERCENT), ("@age", _CHILD_AGE), ("@nir", _NIR))


def _phones(folded: str) -> list[Entity]:
    found = []
    for match in _PHONE.finditer(folded):
        digits = re.sub(r"\D", "", match.group())
        national = "0" + digits[-9:]
        tag = "@mobile" if national[1] in "67" else "@premium" if national.startswith(("089", "08 9")) else "@phone"
        found.append(Entity(tag, match.start(), match.end()))
        found.append(Entity("@anyphone", match.start(), match.end()))
    return found


def _emails(folded: str) -> list[Entity]:
    found = []
    for match in _EMAIL.finditer(folded):
        mailbox, domain = match.group().split("@", 1)
        personal = domain in webmail_domains() and ("perso" in mailbox or not _FUNCTIONAL_MAILBOX.search(mailbox))
        found.append(Entity("@personal_email" if personal else "@email", match.start(), match.end()))
    return found


def _first_names(original: str, folded: str) -> list[Entity]:
    names = first_names()
    return [
        Entity("@firstname", m.start(), m.end())
        for m in _CAPITALISED.finditer(original)
        if folded[m.start() : m.end()] in names
    ]
