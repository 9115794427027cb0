import json

import jsonschema
import pytest

from shared.errors import EventContractError
from shared.events import EVENT_TYPES, Topic, dead_letter_topic, from_wire, physical_topic, to_wire
from shared.schema_files import SCHEMA_DIR, render_schemas
from tests.factories import make_decided, make_event, make_submitted


def test_an_event_survives_the_round_trip_through_kafka_binary_mode() -> None:
    event = make_event(make_submitted())

    message = to_wire(event)
    parsed = from_wire(message.value, message.headers)

    assert parsed == event
    assert message.topic == Topic.OPERATING_INFO_SUBMITTED
    assert message.key == str(event.data.aggregate_key()).encode()
    assert message.header("ce_type") == "fr.monenfant.structures.operating-info.submitted.v1"
    assert message.header("ce_correlationid") == "corr-test-1"
    assert message.header("content-type") == "application/json"


def test_the_value_is_the_event_data_only() -> None:
    event = make_event(make_decided(decision="APPROVED", reasons=[]))

    value = json.loads(to_wire(event).value)

    assert value["decision"] == "APPROVED"
    assert "ce_id" not in value
    assert "id" not in value


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda v, h: (v, [x for x in h if x[0] != "ce_type"]), r"missing header\(s\) ce_type"),
        (lambda v, h: (v, [(k, b"0.3" if k == "ce_specversion" else x) for k, x in h]), "specversion"),
        (lambda v, h: (v, [(k, b"com.example.other" if k == "ce_type" else x) for k, x in h]), "unknown event type"),
        (lambda v, h: (b"{not json", h), "is not JSON"),
        (lambda v, h: (b"\xff\xfe\xfa", h), "is not JSON"),
        (lambda v, h: (None, h), "has no value"),
        (lambda v, h: (b'{"submission_id": "x"}', h), "submission_id"),
        (lambda v, h: (v, [(k, b"\xff" if k == "ce_id" else x) for k, x in h]), "not valid UTF-8"),
        (lambda v, h: (v, [(k, b"yesterday" if k == "ce_time" else x) for k, x in h]), "invalid CloudEvents attribute"),
    ],
)
def test_a_message_that_is_not_a_valid_event_is_refused_with_the_reason(mutate: object, expected: str) -> None:
    message = to_wire(make_event())
    value, headers = mutate(message.value, list(message.headers))  # type: ignore[operator]

    with pytest.raises(EventContractError, match=expected):
        from_wire(value, headers)


def test_topics_carry_the_namespace_and_dead_letters_have_their_own_topic() -> None:
    assert physical_topic(Topic.MODERATION_DECIDED, "") == "structures.moderation.decided.v1"
    assert physical_topic(Topic.MODERATION_DECIDED, "t42") == "t42.structures.moderation.decided.v1"
    assert dead_letter_topic("structures.accounts.v1") == "structures.accounts.v1.dlq"


def test_the_committed_json_schemas_match_the_models() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in SCHEMA_DIR.glob("*.json")}

    assert committed == render_schemas(), "run `python -m shared.schema_files` and commit the result"


@pytest.mark.parametrize("event", [make_event(make_submitted()), make_event(make_decided())], ids=lambda e: e.type)
def test_serialised_events_validate_against_their_committed_schema(event: object) -> None:
    message = to_wire(event)  # type: ignore[arg-type]
    schema = json.loads((SCHEMA_DIR / f"{message.header('ce_type')}.json").read_text(encoding="utf-8"))

    jsonschema.validate(json.loads(message.value), schema)
    assert set(EVENT_TYPES) == {p.stem for p in SCHEMA_DIR.glob("*.json")}


def test_a_new_event_carries_the_correlation_id_of_the_request_being_handled() -> None:
    from shared.events import new_event
    from shared.logging import correlation_scope

    with correlation_scope("req-7f3a"):
        event = new_event(make_submitted(), source="/gateway")

    assert event.correlationid == "req-7f3a"
    assert new_event(make_submitted(), source="/gateway").correlationid is None
