"""One operating-information contract (issue 13, item 9): the model in ``shared`` is the document everywhere.

The gateway's GraphQL input and output, the submission event's JSON Schema and the errors of a refused document
all come from it.
"""

import json
from datetime import UTC, date, datetime, time
from typing import Any

import jsonschema
import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType
from pydantic import BaseModel, ValidationError

from gateway.catalogue.records import OperatingInfoRecord
from gateway.graphql import operating_info as published
from gateway.graphql.schema import build_schema
from shared.errors import EventContractError
from shared.events import from_wire, to_wire
from shared.operating_info import (
    FIELD_LABELS,
    Age,
    DatedClosure,
    OpeningSlot,
    OperatingInfoDocument,
    ServedCommune,
    check_document,
    field_label,
    field_label_of_path,
    graphql_field_path,
    graphql_name,
)
from shared.operating_info_vocabulary import AgeUnit, CareKind, ClosurePeriod, Funding, Weekday
from shared.schema_files import SCHEMA_DIR
from tests.factories import make_document, make_event, make_submitted

SUBMITTED_SCHEMA = SCHEMA_DIR / "fr.monenfant.structures.operating-info.submitted.v1.json"
FULL = OperatingInfoDocument(
    opening_hours=[OpeningSlot(day=Weekday.LUNDI, opens=time(7, 30), closes=time(18, 30))],
    hours_note="Fermé le 1er mai",
    by_appointment=True,
    closure_periods=[ClosurePeriod.AOUT],
    dated_closures=[DatedClosure(start=date(2026, 5, 14), end=date(2026, 5, 15), label="pont")],
    closed_on_public_holidays=False,
    age_min=Age(value=10, unit=AgeUnit.SEMAINE),
    age_max=Age(value=4, unit=AgeUnit.AN),
    capacity=20,
    meals_provided=True,
    nappies_provided=False,
    disability_welcome="Oui",
    project="Projet",
    provider_presentation="Mairie d'Escautpont",
    team="Équipe",
    national_fee_scale=True,
    fees="Barème Cnaf",
    funding=[Funding.PSU],
    admission_conditions="Résider à Escautpont",
    registration="En mairie",
    eligible_work_communes=["59207"],
    eligible_home_communes=["59207", "2A004"],
    served_communes=[ServedCommune(name="Escautpont", postal_code="59278")],
    care_kinds=[CareKind.REGULIER],
    languages=["français"],
    accessibility_url="https://acceslibre.beta.gouv.fr/app/59-escautpont/a/creche/erp/ptits-mineurs/",
)


def test_the_model_round_trips_through_json_storage_and_the_event() -> None:
    assert OperatingInfoDocument.model_validate(FULL.model_dump(mode="json")) == FULL
    assert OperatingInfoDocument.model_validate(FULL.stored()) == FULL
    assert OperatingInfoDocument.model_validate_json(FULL.model_dump_json()) == FULL
    wire = to_wire(make_event(make_submitted(document=FULL, published_document=make_document())))
    assert from_wire(wire.value, wire.headers).data.document == FULL  # type: ignore[attr-defined]


def test_the_model_refuses_keys_it_does_not_know() -> None:
    with pytest.raises(ValidationError, match="horaires"):
        OperatingInfoDocument.model_validate({"horaires": [{"jour": "LUNDI", "debut": "07:30", "fin": "18:30"}]})


def _event_value(**document_keys: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(to_wire(make_event(make_submitted())).value)
    value["document"] |= document_keys
    return value


def test_the_submission_event_schema_is_strict_about_the_document() -> None:
    schema = json.loads(SUBMITTED_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(_event_value())

    with pytest.raises(jsonschema.ValidationError, match="horaires"):
        validator.validate(_event_value(horaires=[]))
    nested = _event_value()
    nested["document"]["opening_hours"][0]["tarifs_texte"] = "x"
    with pytest.raises(jsonschema.ValidationError, match="tarifs_texte"):
        validator.validate(nested)
    assert '"additionalProperties": true' not in SUBMITTED_SCHEMA.read_text(encoding="utf-8")


def test_a_consumer_refuses_a_submission_whose_document_has_an_unknown_key() -> None:
    wire = to_wire(make_event(make_submitted()))
    value = json.dumps(_event_value(horaires=[])).encode()

    with pytest.raises(EventContractError, match="horaires"):
        from_wire(value, wire.headers)


def _graphql_type(name: str) -> GraphQLObjectType | GraphQLInputObjectType:
    found = build_schema()._schema.type_map[name]
    assert isinstance(found, GraphQLObjectType | GraphQLInputObjectType)
    return found


def _graphql_fields(model: type[BaseModel]) -> dict[str, str | None]:
    return {graphql_name(name): field.description for name, field in model.model_fields.items()}


@pytest.mark.parametrize(
    ("model", "input_name", "output_name"),
    [
        (OperatingInfoDocument, "OperatingInfoInput", "OperatingInfo"),
        (OpeningSlot, "OpeningSlotInput", "OpeningSlot"),
        (DatedClosure, "DatedClosureInput", "DatedClosure"),
        (Age, "AgeInput", "Age"),
        (ServedCommune, "ServedCommuneInput", "ServedCommune"),
    ],
)
def test_the_gateway_graphql_input_and_output_derive_from_the_model(
    model: type[BaseModel], input_name: str, output_name: str
) -> None:
    expected = _graphql_fields(model)
    given, published = _graphql_type(input_name), _graphql_type(output_name)

    assert {name: field.description for name, field in given.fields.items()} == expected
    added = set(published.fields) - set(expected)
    assert added <= {"version", "publishedAt", "weeklyHours", "months"}
    assert set(expected) <= set(published.fields)


def test_the_published_graphql_objects_are_those_strawberry_derives_from_the_model() -> None:
    published_at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    record = OperatingInfoRecord(3, FULL.model_dump(mode="json"), "Mo 07:30-18:30", published_at)
    extra = {"version": 3, "published_at": published_at, "weekly_hours": []}
    expected = published.OperatingInfo.from_pydantic(FULL, extra=extra)
    expected.opening_hours = "Mo 07:30-18:30"
    expected.weekly_hours = [published.OpeningSlot.from_pydantic(slot) for slot in FULL.opening_hours]
    expected.accessibility_url = str(FULL.accessibility_url)
    expected.age_min.months, expected.age_max.months = 2, 48  # type: ignore[attr-defined]  # 10 weeks, 4 years

    assert published.operating_info(record) == expected


def test_every_field_of_the_document_has_its_french_label() -> None:
    assert set(FIELD_LABELS) == {graphql_name(name) for name in OperatingInfoDocument.model_fields}
    assert all(label and label[0].isupper() for label in FIELD_LABELS.values())
    assert (field_label("hoursNote"), field_label("hours_note")) == ("Précisions sur les horaires",) * 2


def test_a_refused_document_names_every_problem_at_once_by_its_graphql_path_in_french() -> None:
    raw = {
        "opening_hours": [
            {"day": "LUNDI", "opens": "07:30", "closes": "18:00"},
            {"day": "MARDI", "opens": "18:00", "closes": "07:30"},
        ],
        "closure_periods": ["JAMAIS", "AOUT"],
        "age_min": {"value": 4, "unit": "AN"},
        "age_max": {"value": 10, "unit": "MOIS"},
        "capacity": -1,
        "dated_closures": [{"start": "2026-05-15", "end": "2026-05-14", "label": "pont"}],
        "served_communes": [{"name": "Escautpont", "postal_code": "5927"}],
        "eligible_home_communes": ["Escautpont"],
    }

    document, problems = check_document(raw, root="operatingInfo")

    assert document is None
    assert [(p.field, p.code) for p in problems] == [
        ("operatingInfo.openingHours[1].closes", "VALUE_ERROR"),
        ("operatingInfo.closurePeriods", "VALUE_ERROR"),
        ("operatingInfo.datedClosures[0].end", "VALUE_ERROR"),
        ("operatingInfo.ageMax", "VALUE_ERROR"),
        ("operatingInfo.capacity", "GREATER_THAN_EQUAL"),
        ("operatingInfo.eligibleHomeCommunes[0]", "STRING_PATTERN_MISMATCH"),
        ("operatingInfo.servedCommunes[0].postalCode", "STRING_PATTERN_MISMATCH"),
    ]
    assert [p.message for p in problems] == [
        "mardi : la fermeture (07:30) doit suivre l'ouverture (18:00)",
        "« jamais » ne se combine pas avec des périodes de fermeture",
        "la fermeture se termine (14/05/2026) avant de commencer (15/05/2026)",
        "l'âge minimum dépasse l'âge maximum",
        "Valeur trop petite.",
        "Format invalide.",
        "Format invalide.",
    ]


def test_the_factories_build_documents_the_model_accepts() -> None:
    submitted = make_submitted()

    assert OperatingInfoDocument.model_validate(submitted.model_dump(mode="json")["document"]) == submitted.document
    assert submitted.document.opening_hours[0].day is Weekday.LUNDI


def test_paths_stored_with_python_names_read_as_graphql_paths() -> None:
    assert graphql_field_path("document.served_communes[0].postal_code") == "servedCommunes[0].postalCode"
    assert graphql_field_path("datedClosures[0].label") == "datedClosures[0].label"
    assert field_label_of_path("document.hours_note") == "Précisions sur les horaires"
