"""Links in a text, parsed with the Public Suffix List (the snapshot shipped in the ``publicsuffixlist`` wheel; no
network) and judged against ``lexicons/links.toml``: public sites and the provider's own are fine; raw IP addresses,
programs, shorteners, look-alikes of public bodies and unwanted sites are not; any other site is worth a look.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from moderation.checks.text import deleet, fold

_URL = re.compile(
    r"(?<![@\w.\-])(?:(?:https?|ftp)://[^\s<>\"'«»)\]]+|(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}"
    r"(?:/[^\s<>\"'«»)\]]*)?)"
)
_IP_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_GENERIC_NAME_WORDS = frozenset(
    re.findall(
        r"\w+",
        "creche creches micro multi accueil halte garderie les des du de la le et mam maison assistantes maternelles "
        "centre loisirs relais petite enfance association asso",
    )
)


@dataclass(frozen=True)
class LinkFinding:
    rule: str
    label: str
    weight: float
    url: str
    start: int
    end: int


@dataclass(frozen=True)
class _Policy:
    allowed: frozenset[str]
    allowed_suffixes: tuple[str, ...]
    public_patterns: tuple[re.Pattern[str], ...]
    protected: tuple[str, ...]
    shorteners: frozenset[str]
    unwanted: tuple[str, ...]
    risky: frozenset[str]
    executables: frozenset[str]
    personal_hosts: frozenset[str]


@cache
def _policy() -> _Policy:
    raw: dict[str, Any] = tomllib.loads(
        resources.files("moderation.checks").joinpath("lexicons", "links.toml").read_text(encoding="utf-8")
    )
    return _Policy(
        frozenset(raw["allowed_domains"]), tuple(raw["allowed_suffixes"]),
        tuple(re.compile(p) for p in raw["public_name_patterns"]), tuple(raw["protected_names"]),
        frozenset(raw["shorteners"]), tuple(raw["unwanted_words"]), frozenset(raw["risky_suffixes"]),
        frozenset(raw["executable_extensions"]), frozenset(raw["personal_hosts"]),
    )  # fmt: skip


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def find_links(folded: str, establishment_name: str = "") -> list[LinkFinding]:
    """Every suspect link of a folded text (see ``text.fold``), with why it is suspect."""
    own_words = {w for w in re.findall(r"[a-z0-9]+", fold(establishment_name)) if len(w) >= 4} - _GENERIC_NAME_WORDS
    findings = []
    for match in _URL.finditer(folded):
        url = match.group().rstrip(".,;:!?")
        judged = judge_link(url, own_words)
        if judged is not None:
            rule, label, weight = judged
            findings.append(LinkFinding(rule, label, weight, url, match.start(), match.start() + len(url)))
    return findings


def judge_link(url: str, own_words: set[str] | frozenset[str] = frozenset()) -> tuple[str, str, float] | None:
    """Why a link is suspect (rule, French label, weight), or None for a public site or the provider's own."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").rstrip(".")
    if _IP_HOST.match(host):
        return "lien.adresse_ip", "Lien vers une adresse IP au lieu d'un site nommé", 0.9
    registrable = _suffixes().privatesuffix(host, accept_unknown=False)
    if registrable is None:
        return None  # not a web address (« 3.5 », « etc.ok »)
    policy = _policy()
    extension = parts.path.rsplit(".", 1)[-1] if "." in parts.path.rsplit("/", 1)[-1] else ""
    if extension in policy.executables:
        return "lien.programme", f"Lien vers un programme (.{extension})", 0.95
    if registrable in policy.shorteners:
        return "lien.raccourci", "Lien raccourci qui cache sa destination", 0.85
    return _judge_site(host, registrable, own_words, policy)


def _judge_site(
    host: str, registrable: str, own_words: set[str] | frozenset[str], policy: _Policy
) -> tuple[str, str, float] | None:
    if _is_public(host, registrable, policy):
        return None
    name = registrable.split(".", 1)[0]
    if _imitates(host, name, policy):
        return "lien.imitation", "Adresse qui imite celle d'un organisme public", 0.92
    if any(word in host for word in policy.unwanted):
        return "lien.site_indesirable", "Site sans rapport avec un service public (jeux, rencontres, bons plans…)", 0.85
    if any(word in name for word in own_words):
        return None
    if registrable.split(".", 1)[1] in policy.personal_hosts or registrable in policy.personal_hosts:
        return "lien.page_personnelle", "Page personnelle sur un hébergeur de blogs", 0.7
    if registrable.rsplit(".", 1)[-1] in policy.risky:
        return "lien.extension_risquee", "Site sous une extension surtout utilisée par des sites malveillants", 0.75
    return "lien.hors_liste", "Site hors de la liste des sites publics et de celui du gestionnaire", 0.5


def _is_public(host: str, registrable: str, policy: _Policy) -> bool:
    if registrable in policy.allowed or any(host.endswith("." + s) or host == s for s in policy.allowed_suffixes):
        return True
    name = registrable.split(".", 1)[0]
    return registrable.endswith(".fr") and any(p.search(name) for p in policy.public_patterns)


def _imitates(host: str, name: str, policy: _Policy) -> bool:
    words = [*re.split(r"[\-0-9]+", deleet(name)), deleet(name)]
    if any(p in words or p in deleet(name).split("-") for p in policy.protected):
        return True
    if any(f"{allowed}." in host for allowed in policy.allowed):
        return True  # « caf.fr.secure-login.info »
    names = {allowed.split(".", 1)[0] for allowed in policy.allowed}
    plain = deleet(name)
    return any(len(n) >= 6 and abs(len(n) - len(plain)) <= 2 and _distance(plain, n) <= 2 for n in names)


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
