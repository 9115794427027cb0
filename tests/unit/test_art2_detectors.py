"""One detector per art. 2 category: what each flags, and the hard negatives — ordinary texts that share words with
a violation — it must leave alone (issue 17). The texts are not those of the corpus (bench/checks/corpus.tsv).
"""

import pytest

from moderation.checks.rules import Severity, check_text
from moderation.checks.text import deleet, fold, read


def _categories(text: str, establishment: str = "") -> set[str]:
    return {flag.rule for flag in check_text(text, "project", establishment)}


def test_text_is_folded_deobfuscated_and_lemmatised() -> None:
    [sentence] = read("P r o m o ÉTÉ : pr0m0 sur les Œufs, votez").sentences

    assert [t.surface for t in sentence.tokens] == ["promo", "ete", "promo", "sur", "les", "oeufs", "votez"]
    assert sentence.tokens[-1].lemma == "voter"
    assert (fold("Crèche Élue"), deleet("c0nnard"), deleet("2026"), deleet("bebe2026")) == (
        "creche elue", "connard", "2026", "bebe2026",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Offre de Noël : -30 % sur l'abonnement annuel, valable jusqu'au 24 décembre.", "PUBLICITE_DEGUISEE"),
        ("Code promo CRECHE5 à saisir lors de la réservation en ligne.", "PUBLICITE_DEGUISEE"),
        ("Infos et réservations au 08 99 70 12 34.", "PUBLICITE_DEGUISEE"),
        (
            "Unique en France : seule crèche du département labellisée par le ministère.",
            "CONTENU_TENDANCIEUX_OU_ERRONE",
        ),
        ("Notre méthode garantit un sommeil parfait dès 3 mois, c'est prouvé.", "CONTENU_TENDANCIEUX_OU_ERRONE"),
        ("Les familles étrangères ne sont pas admises dans notre structure.", "INJURIEUX_DIFFAMATOIRE"),
        ("Le maire est un incompétent notoire.", "INJURIEUX_DIFFAMATOIRE"),
        ("Pas d'enfants handicapés : nous n'avons pas le temps.", "INJURIEUX_DIFFAMATOIRE"),
        ("Aux prochaines municipales, votez pour la liste de notre directrice.", "PROSELYTISME"),
        ("Les enfants récitent une prière avant chaque repas pour remercier Dieu.", "PROSELYTISME"),
        ("Contactez Julie, notre cuisinière, sur son portable : 06 55 44 33 22.", "ATTEINTE_DROITS_TIERS"),
        ("Bravo à Chloé (3 ans) qui a fait ses premiers pas à la crèche !", "ATTEINTE_DROITS_TIERS"),
        ("Écrivez à la directrice : nathalie.bernard75@gmail.com", "ATTEINTE_DROITS_TIERS"),
        ("Photos : https://bit.ly/3abcdef", "VIRUS_OU_CODE_MALVEILLANT"),
        ("Formulaire officiel sur https://www.caf-allocations-aide.net/form", "VIRUS_OU_CODE_MALVEILLANT"),
        ('<iframe src="https://example.org"></iframe>', "VIRUS_OU_CODE_MALVEILLANT"),
        ("Faites tourner ce message à 15 familles, sinon la crèche perdra sa subvention.", "CHAINE_DE_LETTRES"),
        ("Vous avez gagné une année de crèche : envoyez vos coordonnées bancaires.", "CHAINE_DE_LETTRES"),
        ("Les enfants désobéissants reçoivent une fessée devant le groupe.", "NON_CONFORME_MISSION_SERVICE_PUBLIC"),
        (
            "Nos animateurs ne sont pas déclarés, paiement en liquide sans facture.",
            "NON_CONFORME_MISSION_SERVICE_PUBLIC",
        ),
    ],
)
def test_each_detector_flags_its_category(text: str, category: str) -> None:
    assert category in _categories(text)


@pytest.mark.parametrize(
    "text",
    [
        # advertising words in ordinary texts
        "En cas de grève des transports, l'ouverture peut être retardée.",
        "Profitez du jardin et de la cabane à livres avec vos enfants à l'heure du départ.",
        "Une réduction du tarif s'applique au deuxième enfant selon le barème de la Cnaf.",
        "Le goûter est offert par la crèche ; les couches sont fournies.",
        "Nous ne faisons aucune promotion commerciale.",
        # claims stated as facts
        "Repas garanti sans porc sur demande des familles.",
        "Crèche agréée par la PMI pour 30 places et conventionnée avec la Caf.",
        # discrimination vocabulary used to include
        "Nous accueillons tous les enfants, quelle que soit leur origine ou leur religion.",
        "Les enfants en situation de handicap sont les bienvenus ; un PAI est établi avec la famille.",
        # politics and religion as calendar or place
        "Fermeture le jour des élections : la salle devient bureau de vote.",
        "Point de rencontre (meeting point) : parvis de l'église Saint-Pierre.",
        "Prière de refermer le portail derrière vous.",
        # the establishment's own contacts, public links
        "Contact : accueil@creche-les-hirondelles.fr ou 05 61 00 11 22.",
        "Simulez votre tarif sur https://www.monenfant.fr/simulateur.",
        "Informations : https://www.service-public.fr et https://www.caf.fr",
        # sharing and chains
        "Partagez vos photos de vacances avec l'équipe lors du café des parents.",
        "Le respect de la chaîne du froid est assuré pour les repas.",
        # safety done right
        "Aucune punition corporelle : les conflits sont accompagnés avec bienveillance.",
        "Les bébés dorment sur le dos dans une turbulette.",
    ],
)
def test_hard_negatives_raise_nothing(text: str) -> None:
    assert _categories(text) == set()


def test_the_providers_own_site_is_not_an_unrelated_link() -> None:
    text = "Toutes nos informations sur https://www.creche-les-hirondelles.fr/inscriptions"

    assert _categories(text, "Crèche Les Hirondelles") == set()
    assert _categories(text, "Micro-crèche Pomme d'Api") == {"VIRUS_OU_CODE_MALVEILLANT"}


def test_negation_cancels_an_advertising_word_and_quotation_halves_it() -> None:
    assert _categories("Pas de promo ni de soldes : le tarif est celui du barème.") == set()
    assert _categories("Promo sur les inscriptions de septembre.") == {"PUBLICITE_DEGUISEE"}
    assert _categories("Le mot « promo » est à éviter dans vos textes, dit la Caf.") == set()


def test_a_flag_gives_its_evidence_a_confidence_and_a_calibrated_severity() -> None:
    [strong] = check_text("Code promo BEBE10 : -10 % sur l'inscription, dépêchez-vous !", "fees")
    [weak] = check_text("Visitez notre site www.petitspas-conseil.com pour en savoir plus.", "fees")

    assert (strong.rule, strong.severity) == ("PUBLICITE_DEGUISEE", Severity.HIGH)
    assert strong.confidence >= 0.8
    assert {e.rule for e in strong.evidence} >= {"publicite.remise", "publicite.appel"}
    assert {"-10 %", "depechez vous"} <= {word for e in strong.evidence for word in e.words}
    assert (weak.rule, weak.severity, weak.confidence) == ("VIRUS_OU_CODE_MALVEILLANT", Severity.MEDIUM, 0.5)
    assert weak.evidence[0].rule == "liens.hors_liste"


def test_the_excerpt_quotes_the_provider_around_the_evidence() -> None:
    text = "Horaires habituels de la crèche. " * 3 + "Appelez Sophie sur son portable perso au 06 12 34 56 78."

    [flag] = check_text(text, "hoursNote")

    assert flag.excerpt.startswith("…")
    assert "06 12 34 56 78" in flag.excerpt


def test_a_mobile_number_followed_by_a_comma_is_still_a_phone_number() -> None:
    text = "En cas de souci, appelez Émilie chez elle au 06 21 43 65 87, même le dimanche."

    assert _categories(text) == {"ATTEINTE_DROITS_TIERS"}


def test_a_past_vote_of_the_parents_is_no_call_to_vote() -> None:
    assert _categories("Le projet de la crèche a été voté par l'assemblée générale des parents.") == set()
    assert _categories("Votez pour la liste des parents !") == {"PROSELYTISME"}
