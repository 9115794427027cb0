import contextlib
import json
import uuid
from datetime import date

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import EventContractError
from shared.events import (
    EVENT_TYPES,
    ConventionNotice,
    Topic,
    dead_letter_topic,
    from_wire,
    new_event,
    physical_topic,
    to_wire,
)
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
        (lambda v, h: (v, [(k, None if k == "ce_type" else x) for k, x in h]), "the ce_type header has no value"),
        (lambda v, h: (v, [(k, b"a\r\nb" if k == "ce_id" else x) for k, x in h]), "ce_id 'a.r.nb' is not 1 to 64"),
        (lambda v, h: (v, [(k, b"c" * 65 if k == "ce_correlationid" else x) for k, x in h]), "ce_correlationid"),
        (lambda v, h: (b" " * (900 * 1024 + 1), h), "921601 bytes, over the 921600-byte limit"),
        (lambda v, h: (b"[" * 50_000 + b"]" * 50_000, h), "nested too deeply"),
        (lambda v, h: (b"1" * 5_000, h), "is not JSON .Exceeds the limit"),
        (lambda v, h: (v.replace(b'"Multi', b'"\\u0000Multi'), h), "data.establishment_name contains a NUL"),
        (lambda v, h: (v.replace(b'"Multi', b'"\\udc00Multi'), h), "data.establishment_name contains a lone surrogate"),
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


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(max_size=20), children),
    max_leaves=20,
)
_HEADERS = st.lists(
    st.tuples(st.sampled_from(["ce_id", "ce_type", "ce_time", "x"]), st.none() | st.binary(max_size=30))
)


@settings(max_examples=300, deadline=None)
@given(value=st.none() | st.binary(max_size=200) | _JSON.map(lambda data: json.dumps(data).encode()), headers=_HEADERS)
def test_whatever_a_message_holds_reading_it_gives_an_event_or_an_event_contract_error(
    value: bytes | None, headers: list[tuple[str, bytes | None]]
) -> None:
    base = [(k, x) for k, x in to_wire(make_event()).headers if k not in {name for name, _ in headers}]
    with contextlib.suppress(EventContractError):
        from_wire(value, [*base, *headers])  # type: ignore[list-item]


def test_a_recorded_termination_without_its_letter_is_not_a_valid_notice() -> None:
    notice = ConventionNotice(
        convention_id=uuid.uuid4(), kind="TERMINATION_RECORDED", provider_name="Mairie d'Escautpont",
        provider_email="mairie@escautpont.example", caf_label="Caf du Nord", signed_on=date(2023, 12, 15),
        renewal_on=date(2025, 12, 15), notice_deadline=date(2025, 9, 15), terminated_by="FOURNISSEUR",
        letter_reference="1A 234",
    )  # fmt: skip
    message = to_wire(new_event(notice, source="/tests"))
    value = json.dumps(json.loads(message.value) | {"letter_reference": None}).encode()

    with pytest.raises(EventContractError, match=r"names who terminated \(terminated_by\) and the letter_reference"):
        from_wire(value, message.headers)


def test_a_submission_written_before_the_category_was_added_still_parses_without_it() -> None:
    message = to_wire(make_event(make_submitted(category="EAJE")))
    older = json.loads(message.value)
    del older["category"]

    parsed = from_wire(json.dumps(older).encode(), message.headers)

    assert json.loads(message.value)["category"] == "EAJE"
    assert parsed.data.category is None  # type: ignore[attr-defined]
