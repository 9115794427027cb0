"""Validation of the habilitation request: each refusal names its field, in French, with a stable code."""

from dataclasses import replace

from gateway.catalogue.records import HolderRecord
from gateway.catalogue.vocabulary import Category, ProviderKind
from gateway.habilitation.forms import HabilitationForm, Known, PersonForm, ProviderForm, validate

MULTI_ACCUEIL, ALSH, LILLE_CRECHE = "e-multi", "e-alsh", "e-lille"
KNOWN = Known(
    caf_departements=["59"],
    commune_postal_codes=["59278"],
    establishments={
        MULTI_ACCUEIL: (Category.EAJE, "59"),
        ALSH: (Category.ALSH, "59"),
        "e-aisne": (Category.EAJE, "02"),
    },
)
ESCAUTPONT = ProviderForm(
    name="Mairie d'Escautpont",
    kind=ProviderKind.COMMUNE,
    siret="215 902 073 00018",
    street="rue Henri Durre",
    postal_code="59278",
    commune_insee="59207",
    email="mairie@escautpont.example",
    representative_name="Raphaël KRUSZYNSKI",
    representative_title="Maire",
)
PERSONS = [
    PersonForm("Dupont", "Marie", "Directrice multi-accueil", "m.dupont@escautpont.example"),
    PersonForm("Lefebvre", "Karine", "Coordinatrice enfance-jeunesse", "k.lefebvre@escautpont.example"),
]
FORM = HabilitationForm("CAF59", ESCAUTPONT, PERSONS, [MULTI_ACCUEIL, ALSH], [MULTI_ACCUEIL])


def _codes(form: HabilitationForm, known: Known = KNOWN) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in validate(form, known)]


def test_the_escautpont_request_is_valid() -> None:
    assert validate(FORM, KNOWN) == []


def test_an_invalid_siret_and_a_postal_code_from_another_commune_are_named() -> None:
    provider = replace(ESCAUTPONT, siret="21590207300012", postal_code="59320")

    errors = validate(replace(FORM, provider=provider), KNOWN)

    assert [(e.field, e.code) for e in errors] == [
        ("provider.siret", "INVALID_SIRET"),
        ("provider.postalCode", "POSTAL_CODE_MISMATCH"),
    ]
    assert errors[1].message == "Le code postal 59320 n'est pas celui de cette commune (59278)."


def test_availabilities_are_for_creches_of_the_caf_only() -> None:
    form = replace(FORM, availability_establishments=[ALSH, "e-aisne", "e-unknown"])

    assert _codes(form) == [
        ("availabilityEstablishments[0]", "NOT_EAJE"),
        ("availabilityEstablishments[1]", "OTHER_CAF"),
        ("availabilityEstablishments[2]", "UNKNOWN_ESTABLISHMENT"),
    ]


def test_people_need_their_own_address_and_their_names() -> None:
    persons = [PERSONS[0], replace(PERSONS[1], email="M.Dupont@escautpont.example", first_name=" ")]

    assert _codes(replace(FORM, persons=persons)) == [
        ("persons[1].firstName", "REQUIRED"),
        ("persons[1].email", "DUPLICATE_EMAIL"),
    ]
    assert _codes(replace(FORM, persons=[])) == [("persons", "REQUIRED")]


def test_an_unknown_caf_and_an_empty_request() -> None:
    form = replace(FORM, operating_info_establishments=[], availability_establishments=[])

    assert _codes(form, replace(KNOWN, caf_departements=[])) == [
        ("caf", "UNKNOWN_CAF"),
        ("operatingInfoEstablishments", "REQUIRED"),
    ]


def test_an_establishment_of_a_provider_with_another_siret_is_refused_by_name() -> None:
    register = HolderRecord("p-escautpont", "Mairie d'Escautpont", "21590207300018")
    unclaimed = HolderRecord("p-jardin", "Le Jardin de l'Escaut SAS", None)
    known = replace(
        KNOWN,
        holders={MULTI_ACCUEIL: register, ALSH: unclaimed},
        names={MULTI_ACCUEIL: "Multi-accueil Les P'tits Mineurs", ALSH: "Accueil de loisirs"},
    )
    intruder = replace(FORM, provider=replace(ESCAUTPONT, siret="73282932000074"))

    own = validate(FORM, known)
    refused = validate(intruder, known)

    assert own == [], "the same SIRET, written with spaces, is the register's"
    assert [(e.field, e.code) for e in refused] == [
        ("operatingInfoEstablishments[0]", "ESTABLISHMENT_OF_ANOTHER_PROVIDER"),
        ("availabilityEstablishments[0]", "ESTABLISHMENT_OF_ANOTHER_PROVIDER"),
    ]
    assert "« Multi-accueil Les P'tits Mineurs »" in refused[0].message
