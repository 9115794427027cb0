"""The AsyncAPI 3 document: committed as generated, valid AsyncAPI 3.0.0, and true to the event models and to
what actually goes on the wire."""

import gzip
import json
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gateway import app as gateway_app
from moderation import app as moderation_app
from moderation.settings import ModerationSettings
from notifier import app as notifier_app
from notifier.settings import NotifierSettings
from shared.asyncapi import DOCUMENT, render, render_yaml
from shared.events import (
    EVENT_TYPES,
    AvailabilitiesPublished,
    Envelope,
    EventData,
    OperatingInfoPublished,
    PublicPlace,
    PublishedAvailability,
    Topic,
    new_event,
    to_wire,
)
from shared.runtime import ServiceSpec
from tests.factories import make_decided, make_event, make_submitted

SPEC_SCHEMA = Path(__file__).resolve().parents[1] / "asyncapi" / "asyncapi-3.0.0.schema.json.gz"
PLACE = PublicPlace(departement="59", commune_insee="59207", category="EAJE")


def _publication(data: Any, cursor: str) -> Envelope:
    return new_event(data, source="/structures/gateway").model_copy(update={"sequence": cursor})


SAMPLES = [
    make_event(make_submitted()),
    make_event(make_decided()),
    _publication(OperatingInfoPublished(establishment_id=uuid.uuid4(), place=PLACE, version=3,
                                        opening_hours="Mo-Fr 07:30-18:30", published_at=datetime.now(UTC)), "41"),
    _publication(AvailabilitiesPublished(
        establishment_id=uuid.uuid4(), place=PLACE, dates=[date(2026, 12, 7)], published_at=datetime.now(UTC),
        availabilities=[PublishedAvailability(date=date(2026, 12, 7), slot="JOURNEE", places=2, care_kind="REGULIER")],
    ), "42"),
]  # fmt: skip


def test_the_committed_document_is_the_generated_one() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render_yaml(), "run `python -m shared.asyncapi` and commit it"


def test_the_document_is_valid_asyncapi_3() -> None:
    spec = json.loads(gzip.decompress(SPEC_SCHEMA.read_bytes()))
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))

    jsonschema.Draft7Validator(spec).validate(document)
    assert document["asyncapi"] == "3.0.0"


def test_every_topic_and_event_type_is_described_with_the_model_s_schema() -> None:
    document = render()
    messages, schemas = document["components"]["messages"], document["components"]["schemas"]
    addresses = {channel["address"] for channel in document["channels"].values()}

    assert {topic.value for topic in Topic} == {address for address in addresses if not address.endswith(".dlq")}
    for event_type, model in EVENT_TYPES.items():
        message = messages[model.__name__]
        assert message["name"] == event_type
        assert message["headers"]["properties"]["ce_type"]["const"] == event_type
        expected = model.model_json_schema(ref_template="#/components/schemas/{model}")
        expected.pop("$defs", None)
        assert schemas[model.__name__] == expected
        channel = next(c for c in document["channels"].values() if c["address"] == model.topic.value)
        assert model.__name__ in channel["messages"]
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"].split("/")[-1]
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(f"#/channels/{channel}/messages/")
            assert ref["$ref"].split("/")[-1] in document["channels"][channel]["messages"]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_what_goes_on_the_wire_validates_against_the_document(event: Envelope) -> None:
    document = render()
    wire = to_wire(event)
    message = document["components"]["messages"][type(event.data).__name__]
    root = {"components": document["components"]}

    jsonschema.Draft202012Validator(root | message["payload"]).validate(json.loads(wire.value))
    jsonschema.Draft202012Validator(message["headers"]).validate({k: v.decode() for k, v in wire.headers})
    if event.data.topic is Topic.PUBLICATIONS:
        assert "ce_sequence" in message["headers"]["required"]


def _name_of(model: type[EventData]) -> str:
    return model.__name__


MODELS: list[type[EventData]] = sorted(EVENT_TYPES.values(), key=_name_of)


@pytest.mark.parametrize("model", MODELS, ids=_name_of)
def test_every_message_s_documented_key_is_the_key_the_code_sends(model: type[EventData]) -> None:
    committed = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    binding = committed["components"]["messages"][model.__name__]["bindings"]["kafka"]["key"]["description"]
    documented = re.fullmatch(r"The message's `(\w+)`, .+", binding)
    # Every field holds its own name, so the key says which field the code took it from.
    values: dict[str, Any] = {name: f"<{name}>" for name in model.model_fields}
    data = model.model_construct(**values)

    assert documented is not None, binding
    assert data.aggregate_key() == f"<{documented[1]}>"  # what to_wire sends as the message key


def test_a_dead_letter_topic_is_documented_for_each_topic_a_consumer_group_reads_and_no_other() -> None:
    consumed = {topic for spec in _service_specs() for topic in spec.topics}
    addresses = {channel["address"] for channel in render()["channels"].values()}

    assert {address for address in addresses if address.endswith(".dlq")} == {f"{t}.dlq" for t in consumed}
    assert f"{Topic.PUBLICATIONS.value}.dlq" not in addresses  # read without a group: skipped and counted
    assert "dlq_consumer" in render()["components"]["messages"]["DeadLetter"]["headers"]["required"]


def _service_specs() -> list[ServiceSpec]:
    local = {"database_url": "sqlite+aiosqlite:///unused.sqlite3", "bus": "inprocess"}
    return [
        gateway_app.SPEC,
        moderation_app.spec(ModerationSettings.model_validate(local)),
        notifier_app.spec(NotifierSettings.model_validate(local)),
    ]
