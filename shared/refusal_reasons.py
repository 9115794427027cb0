"""The reasons a Caf may refuse or withdraw operating information (convention art. 2), with their French labels."""

REFUSAL_REASONS: dict[str, str] = {
    "PUBLICITE_DEGUISEE": "Caractère publicitaire déguisé",
    "CONTENU_TENDANCIEUX_OU_ERRONE": "Caractère tendancieux ou erroné",
    "INJURIEUX_DIFFAMATOIRE": (
        "Contenu injurieux, diffamatoire, calomnieux, raciste, xénophobe, révisionniste "
        "ou portant atteinte à l'honneur ou à la réputation d'autrui"
    ),
    "PROSELYTISME": "Diffusion philosophique, politique, syndicale ou confessionnelle",
    "VIRUS_OU_CODE_MALVEILLANT": "Virus ou toute autre application de nature à perturber le service",
    "CHAINE_DE_LETTRES": "Chaîne de lettres",
    "ATTEINTE_DROITS_TIERS": "Atteinte aux droits des tiers ou aux dispositions légales",
    "NON_CONFORME_MISSION_SERVICE_PUBLIC": "Non conforme à la mission de service public",
    "AUTRE": "Autre motif",
}


def reason_label(code: str) -> str:
    return REFUSAL_REASONS.get(code, code)
