"""The AsyncAPI 3 document of every topic and message, generated from the event models.

    python -m shared.asyncapi        # writes docs/asyncapi.yaml

A test fails while the committed document and the models disagree, and validates the document against the
AsyncAPI 3.0.0 JSON Schema.
"""

from pathlib import Path
from typing import Any

import yaml

from shared.events import EVENT_TYPES, SCHEMA_BASE, EventData, Topic, dead_letter_topic

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.yaml"
VERSION = "1.0.0"

_CHANNELS: dict[Topic, tuple[str, str]] = {
    Topic.OPERATING_INFO_SUBMITTED: ("submissions", "Operating-information submissions, gateway → moderation."),
    Topic.MODERATION_DECIDED: (
        "decisions",
        "Moderators' decisions (moderation → gateway, notifier) and withdrawal notices (gateway → notifier).",
    ),
    Topic.ACCOUNTS: (
        "accounts",
        "Habilitation receipts, sealed generated passwords, deactivations, convention notices: gateway → notifier; "
        "deactivations and revoked sessions: gateway → moderation, notifier (they refuse those tokens).",
    ),
    Topic.PUBLICATIONS: (
        "publications",
        "Public data only, for integrators: what was published or withdrawn, "
        "keyed by establishment, with the publication cursor (`ce_sequence`). This topic has no dead-letter "
        "topic: the gateway reads it without a consumer group (every process reads all of it, so each would "
        "dead-letter the same message) and its publication log, not the topic, is the truth. A message the gateway "
        "cannot read is logged (`publication event skipped`) and counted "
        "(`structures_publications_skipped_total{reason}`), and the live feed fills the gap from the log. "
        "Integrators reading with their own consumer group decide what to do with what they cannot read.",
    ),
}
_DEAD_LETTERED = (Topic.OPERATING_INFO_SUBMITTED, Topic.MODERATION_DECIDED, Topic.ACCOUNTS)
"""The topics the services consume with a consumer group, whose processors dead-letter to ``<topic>.dlq``."""
_SENDER = {
    "fr.monenfant.structures.moderation.decided.v1": "moderation",
}
_RECEIVERS = {
    Topic.OPERATING_INFO_SUBMITTED: ("moderation",),
    Topic.MODERATION_DECIDED: ("gateway", "notifier"),
    Topic.ACCOUNTS: ("moderation", "notifier"),
    Topic.PUBLICATIONS: ("gateway", "integrators"),
}
_KEY_MEANINGS = {
    "establishment_id": "the establishment's id: one establishment's events stay in order",
    "request_id": "the habilitation request's id",
    "account_id": "the account's id: one person's events stay in order",
    "convention_id": "the convention's id",
}
"""What each message's key is, by the field it is taken from (``EventData.key_field``, what the code sends)."""


def key_description(model: type[EventData]) -> str:
    """The Kafka key binding of ``model``: the field whose value is the key, and what it identifies."""
    return f"The message's `{model.key_field}`, {_KEY_MEANINGS[model.key_field]}."


def _name(model: type[EventData]) -> str:
    return model.__name__


def _headers(model: type[EventData]) -> dict[str, Any]:
    """CloudEvents 1.0 in Kafka binary mode: the context attributes as ``ce_*`` headers."""
    properties: dict[str, Any] = {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique per event; consumers de-duplicate on it."},
        "ce_source": {"type": "string", "description": "The producing service, e.g. /structures/gateway."},
        "ce_type": {"type": "string", "const": model.event_type},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The aggregate the event is about (the message key)."},
        "ce_dataschema": {"type": "string", "const": f"{SCHEMA_BASE}{model.event_type}.json"},
        "ce_correlationid": {"type": "string", "description": "Follows one change across services."},
        "content-type": {"type": "string", "const": "application/json"},
    }
    required = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"]
    if model.topic is Topic.PUBLICATIONS:
        properties["ce_sequence"] = {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "The publication cursor: gapless, in commit order; pass it as `after` to resume.",
        }
        required.append("ce_sequence")
    return {"type": "object", "properties": properties, "required": required}


def _message(model: type[EventData], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[_name(model)] = schema
    summary = (model.__doc__ or "").strip().splitlines()[0]
    return {
        "name": model.event_type,
        "title": _name(model),
        "summary": summary,
        "contentType": "application/json",
        "headers": _headers(model),
        "payload": {"$ref": f"#/components/schemas/{_name(model)}"},
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": key_description(model)}, "bindingVersion": "0.5.0"}
        },
    }


def _dead_letters(topic: Topic) -> dict[str, Any]:
    receivers = ", ".join(_RECEIVERS[topic])
    return {
        "address": dead_letter_topic(topic.value),
        "description": f"Messages of `{topic.value}` a consumer ({receivers}) could not apply, unchanged, with the "
        "reason in `dlq_*` headers. Each consumer group dead-letters on its own: a message none can apply is here "
        "once per group, told apart by `dlq_consumer`.",
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
    }


def render() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document, as a mapping."""
    schemas: dict[str, Any] = {}
    messages = {_name(model): _message(model, schemas) for _, model in sorted(EVENT_TYPES.items())}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic, (channel, description) in _CHANNELS.items():
        models = [m for m in EVENT_TYPES.values() if m.topic is topic]
        refs = {_name(m): {"$ref": f"#/components/messages/{_name(m)}"} for m in sorted(models, key=_name)}
        channels[channel] = {"address": topic.value, "description": description, "messages": refs}
        if topic in _DEAD_LETTERED:
            channels[f"{channel}DeadLetters"] = _dead_letters(topic)
        for model in sorted(models, key=_name):
            sender = _SENDER.get(model.event_type, "gateway")
            operations[f"{sender}Sends{_name(model)}"] = {
                "action": "send",
                "title": f"{sender} sends {_name(model)}",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{_name(model)}"}],
            }
        for receiver in _RECEIVERS[topic]:
            operations[f"{receiver}Receives{channel.title()}"] = {
                "action": "receive",
                "title": f"{receiver} receives {channel}",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in refs],
            }
    messages["DeadLetter"] = {
        "name": "dead-letter",
        "title": "DeadLetter",
        "summary": "A poison message: the original key, value and headers, plus why it was set aside.",
        "headers": {
            "type": "object",
            "properties": {
                "dlq_reason": {"type": "string"},
                "dlq_source_topic": {"type": "string"},
                "dlq_source_partition": {"type": "string"},
                "dlq_source_offset": {"type": "string"},
                "dlq_at": {"type": "string", "format": "date-time"},
                "dlq_consumer": {
                    "type": "string",
                    "description": "The consumer group that could not apply it (structures-gateway, "
                    "structures-moderation, structures-notifier).",
                },
            },
            "required": ["dlq_reason", "dlq_source_topic", "dlq_consumer"],
        },
        "payload": {"description": "The original value, unchanged (possibly not JSON)."},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "STRUCTURES — monenfant.fr partner space events",
            "version": VERSION,
            "description": "Every Kafka topic and message of the gateway, moderation and notifier services. "
            "Messages are CloudEvents 1.0 in Kafka binary mode: JSON value, `ce_*` headers. Topic names may carry "
            "a deployment prefix (`<namespace>.`). Integrators read `structures.publications.v1` only.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The local real stack (`structures stack up`); its port is in .stack/stack.env.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render_yaml() -> str:
    header = "# Generated by `python -m shared.asyncapi` from the event models; do not edit by hand.\n"
    body: str = yaml.safe_dump(render(), sort_keys=False, allow_unicode=True, width=110)
    return header + body


if __name__ == "__main__":
    DOCUMENT.write_text(render_yaml(), encoding="utf-8")
    print(DOCUMENT)  # noqa: T201
