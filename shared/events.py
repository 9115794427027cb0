"""Event contracts and the CloudEvents 1.0 envelope, carried over Kafka in binary content mode.

A Kafka message holds the event's ``data`` as its JSON value and the envelope attributes as ``ce_*`` headers
(CloudEvents Kafka protocol binding, binary mode). The message key is the aggregate id (establishment id for
catalogue events) so that the events of one aggregate stay in order within a partition.

Every event type is a frozen pydantic model subclassing :class:`EventData`; :data:`EVENT_TYPES` maps the
CloudEvents ``type`` to its model. The JSON Schema of each type is committed under ``shared/schemas/`` and a test
checks it against the models.
"""

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import EventContractError
from shared.establishment_categories import Category
from shared.logging import current_correlation_id
from shared.operating_info import OperatingInfoDocument
from shared.text import unstorable_text

SPECVERSION = "1.0"
SCHEMA_BASE = "https://schemas.structures.monenfant.example/events/"
DecisionCode = Literal["APPROVED", "REJECTED"]
"""A moderator's decision (``ModerationDecided.decision``); moderation's ``Decision`` enum holds the same values."""
RevocationCode = Literal["LOGOUT", "PASSWORD_CHANGED", "PASSWORD_RESET", "DEACTIVATED", "REFRESH_REPLAYED"]
"""Why sessions ended (``SessionsRevoked.reason``); the gateway's ``RevocationReason`` enum holds the same values."""
MAX_EVENT_BYTES = 900 * 1024
"""The largest ``data`` an event may carry. Below Kafka's default 1 MiB message limit, so that a dead letter (the
message plus its ``dlq_*`` headers) always fits; far above what the gateway writes (its request bodies are capped at
256 KiB and a submission carries at most three documents)."""


class Topic(StrEnum):
    """Logical topic names; the physical name may carry a namespace prefix (see :func:`physical_topic`)."""

    OPERATING_INFO_SUBMITTED = "structures.operating-info.submitted.v1"
    MODERATION_DECIDED = "structures.moderation.decided.v1"
    ACCOUNTS = "structures.accounts.v1"
    PUBLICATIONS = "structures.publications.v1"


def physical_topic(topic: str, namespace: str = "") -> str:
    """The Kafka topic name of a logical topic within a namespace (``""`` means no prefix)."""
    return f"{namespace}.{topic}" if namespace else topic


def dead_letter_topic(physical: str) -> str:
    """Where poison messages of ``physical`` go, with the error in their headers."""
    return f"{physical}.dlq"


class EventData(BaseModel):
    """Base class of every event's ``data``: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    topic: ClassVar[Topic]
    key_field: ClassVar[str]
    """The field whose value is the Kafka message key (what the AsyncAPI key binding documents)."""

    def aggregate_key(self) -> str:
        """The Kafka message key: events with the same key are delivered in order."""
        return str(getattr(self, self.key_field))


class AgentRef(BaseModel):
    """Who did something, as far as the receiving service needs to know (internal topics only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent_number: str = Field(description="Numéro d'identification de l'agent (convention art. 3-4).")
    email: str
    display_name: str


class OperatingInfoSubmitted(EventData):
    """An agent submitted a new version of an establishment's operating information for Caf validation."""

    event_type: ClassVar[str] = "fr.monenfant.structures.operating-info.submitted.v1"
    topic: ClassVar[Topic] = Topic.OPERATING_INFO_SUBMITTED
    key_field: ClassVar[str] = "establishment_id"

    submission_id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_name: str
    provider_id: uuid.UUID
    caf_code: str
    departement: str
    category: Category | None = Field(
        default=None,
        description="The establishment's category; absent from the events written before it was added.",
    )
    version: int = Field(ge=1, description="Version number the submission would get once published.")
    based_on_version: int | None = Field(default=None, ge=1)
    submitted_by: AgentRef
    submitted_at: datetime
    document: OperatingInfoDocument = Field(description="The full proposed operating information (cancel and replace).")
    published_version: int | None = Field(default=None, description="The version published when submitted.")
    published_document: OperatingInfoDocument | None = Field(default=None, description="That version, for the diff.")
    base_document: OperatingInfoDocument | None = Field(
        default=None,
        description="The version the agent started from, when older than the published one (three-way diff).",
    )


class ModerationDecided(EventData):
    """A Caf moderator approved or rejected a submission."""

    event_type: ClassVar[str] = "fr.monenfant.structures.moderation.decided.v1"
    topic: ClassVar[Topic] = Topic.MODERATION_DECIDED
    key_field: ClassVar[str] = "establishment_id"

    submission_id: uuid.UUID
    establishment_id: uuid.UUID
    establishment_name: str
    version: int = Field(ge=1)
    decision: DecisionCode
    reasons: list[str] = Field(default_factory=list)
    comment: str | None = None
    moderator_number: str
    decided_at: datetime
    submitted_by: AgentRef
    caf_code: str | None = Field(
        default=None,
        description="The Caf whose territory the establishment belongs to: its agents see the decision e-mail "
        "among their deliveries. Absent only from decisions written before it was carried.",
    )


class PersonRef(BaseModel):
    """A person named in a habilitation request (internal topics only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    display_name: str
    function: str
    email: str


class HabilitationRequested(EventData):
    """A provider submitted a habilitation request to its Caf (convention art. 3-1): the receipt is e-mailed."""

    event_type: ClassVar[str] = "fr.monenfant.structures.habilitation.requested.v1"
    topic: ClassVar[Topic] = Topic.ACCOUNTS
    key_field: ClassVar[str] = "request_id"

    request_id: uuid.UUID
    number: str = Field(description="The request number shown in the receipt.")
    caf_code: str
    caf_label: str
    provider_name: str
    provider_email: str
    representative_name: str
    persons: list[PersonRef]
    establishments: list[str] = Field(description="Names of the establishments the request covers.")
    submitted_at: datetime


class PasswordIssued(EventData):
    """A generated password was issued to a person (activation, reset, first Caf agent): e-mail it.

    The password travels sealed for the notifier (libsodium sealed box); it is never in clear in the event.
    """

    event_type: ClassVar[str] = "fr.monenfant.structures.password.issued.v1"
    topic: ClassVar[Topic] = Topic.ACCOUNTS
    key_field: ClassVar[str] = "account_id"

    account_id: uuid.UUID
    identifier: str
    agent_number: str
    display_name: str
    email: str
    reason: Literal["ACTIVATION", "RESET", "BOOTSTRAP"]
    sealed_password: str = Field(description="The generated password, sealed with the notifier's public key.")
    expires_at: datetime
    caf_code: str | None = Field(default=None, description="The Caf whose territory the account belongs to.")


class AgentDeactivated(EventData):
    """A Caf deactivated an agent (end of mission, convention ended): sessions are over; the person is told."""

    event_type: ClassVar[str] = "fr.monenfant.structures.agent.deactivated.v1"
    topic: ClassVar[Topic] = Topic.ACCOUNTS
    key_field: ClassVar[str] = "account_id"

    account_id: uuid.UUID
    agent_number: str
    display_name: str
    email: str
    reason: str
    deactivated_by: str = Field(description="Agent number of the Caf agent, or SYSTEME for a convention's end.")
    deactivated_at: datetime
    caf_code: str | None = None


class SessionsRevoked(EventData):
    """Sessions of an account ended before their tokens expire (logout, password change or reset, stolen refresh
    token): the services that verify access tokens refuse those sessions' tokens from now on."""

    event_type: ClassVar[str] = "fr.monenfant.structures.sessions.revoked.v1"
    topic: ClassVar[Topic] = Topic.ACCOUNTS
    key_field: ClassVar[str] = "account_id"

    account_id: uuid.UUID
    session_id: str | None = Field(
        description="The session (the token's `sid`) that ended; null: every session of the account."
    )
    reason: RevocationCode
    revoked_at: datetime


class ConventionNotice(EventData):
    """Something the provider must know about its convention: a renewal coming, or a termination recorded."""

    event_type: ClassVar[str] = "fr.monenfant.structures.convention.notice.v1"
    topic: ClassVar[Topic] = Topic.ACCOUNTS
    key_field: ClassVar[str] = "convention_id"

    convention_id: uuid.UUID
    kind: Literal["RENEWAL_REMINDER", "TERMINATION_RECORDED"]
    provider_name: str
    provider_email: str
    caf_label: str
    signed_on: date
    renewal_on: date = Field(description="The next échéance (tacit renewal), or the day a termination takes effect.")
    notice_deadline: date = Field(description="The last day a termination can be received for ``renewal_on``.")
    terminated_by: Literal["CAF", "FOURNISSEUR"] | None = None
    letter_reference: str | None = None
    caf_code: str | None = None

    @model_validator(mode="after")
    def _termination_is_described(self) -> Self:
        if self.kind == "TERMINATION_RECORDED" and (self.terminated_by is None or not self.letter_reference):
            raise ValueError("a recorded termination names who terminated (terminated_by) and the letter_reference")
        return self


class PublicPlace(BaseModel):
    """Where a published establishment is and what it is: what integrators filter publications on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    departement: str = Field(description="Code du département (« 59 », « 2A », « 974 »).")
    commune_insee: str = Field(description="Code INSEE de la commune.")
    category: str = Field(description="Catégorie : EAJE, ALSH, RAM, LAEP, ASSISTANT_MATERNEL…")


class PublishedAvailability(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    slot: str
    places: int
    age_group: str | None = None
    care_kind: str


class AvailabilitiesPublished(EventData):
    """An EAJE's availabilities were published (cancel and replace for the dates covered). Public data only."""

    event_type: ClassVar[str] = "fr.monenfant.structures.availabilities.published.v1"
    topic: ClassVar[Topic] = Topic.PUBLICATIONS
    key_field: ClassVar[str] = "establishment_id"

    establishment_id: uuid.UUID
    place: PublicPlace
    dates: list[date] = Field(description="The dates this publication replaces.")
    availabilities: list[PublishedAvailability]
    published_at: datetime


class OperatingInfoPublished(EventData):
    """A new version of an establishment's operating information is public. Public data only."""

    event_type: ClassVar[str] = "fr.monenfant.structures.operating-info.published.v1"
    topic: ClassVar[Topic] = Topic.PUBLICATIONS
    key_field: ClassVar[str] = "establishment_id"

    establishment_id: uuid.UUID
    place: PublicPlace
    version: int
    opening_hours: str = Field(description="OpenStreetMap opening_hours of the published version.")
    published_at: datetime


class OperatingInfoWithdrawn(EventData):
    """A Caf withdrew an establishment's published operating information (convention art. 2). Public data only."""

    event_type: ClassVar[str] = "fr.monenfant.structures.operating-info.withdrawn.v1"
    topic: ClassVar[Topic] = Topic.PUBLICATIONS
    key_field: ClassVar[str] = "establishment_id"

    establishment_id: uuid.UUID
    place: PublicPlace
    version: int = Field(ge=1, description="The version no longer public.")
    withdrawn_at: datetime


class EstablishmentChanged(EventData):
    """An establishment was created, updated or closed in its Caf's register. Public data only."""

    event_type: ClassVar[str] = "fr.monenfant.structures.establishment.changed.v1"
    topic: ClassVar[Topic] = Topic.PUBLICATIONS
    key_field: ClassVar[str] = "establishment_id"

    establishment_id: uuid.UUID
    place: PublicPlace
    change: Literal["CREATED", "UPDATED", "CLOSED"]
    name: str
    eaje_type: str | None = None
    postal_code: str
    latitude: float
    longitude: float
    capacity: int | None = None
    closed_on: date | None = Field(default=None, description="From this day on it is no longer listed.")
    changed_at: datetime


class WithdrawalNotice(EventData):
    """Tell the provider's agents that the Caf withdrew their published information, and why (internal)."""

    event_type: ClassVar[str] = "fr.monenfant.structures.moderation.withdrawal-notice.v1"
    topic: ClassVar[Topic] = Topic.MODERATION_DECIDED
    key_field: ClassVar[str] = "establishment_id"

    establishment_id: uuid.UUID
    establishment_name: str
    version: int = Field(ge=1)
    reasons: list[str] = Field(min_length=1)
    comment: str | None = None
    withdrawn_by: str = Field(description="Numéro d'identification de l'agent de la Caf.")
    withdrawn_at: datetime
    caf_code: str
    recipients: list[AgentRef]


EVENT_TYPES: Mapping[str, type[EventData]] = {
    model.event_type: model
    for model in (
        OperatingInfoSubmitted,
        ModerationDecided,
        HabilitationRequested,
        PasswordIssued,
        AgentDeactivated,
        SessionsRevoked,
        ConventionNotice,
        AvailabilitiesPublished,
        OperatingInfoPublished,
        OperatingInfoWithdrawn,
        WithdrawalNotice,
        EstablishmentChanged,
    )
}


class Envelope(BaseModel):
    """A CloudEvents 1.0 event: the context attributes and the typed ``data``."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None = None
    correlationid: str | None = None
    sequence: str | None = None
    """CloudEvents ``sequence`` extension: the publication cursor of a public event (its place in the gateway's
    publication log), the same string integrators resume from."""
    data: EventData

    @property
    def dataschema(self) -> str:
        return f"{SCHEMA_BASE}{self.type}.json"


def new_event(data: EventData, *, source: str, correlation_id: str | None = None) -> Envelope:
    """Wrap ``data`` in a fresh envelope (new id, current time, the current correlation id unless given)."""
    return Envelope(
        id=str(uuid.uuid4()),
        source=source,
        type=data.event_type,
        time=datetime.now(UTC),
        subject=data.aggregate_key(),
        correlationid=correlation_id or current_correlation_id(),
        data=data,
    )


@dataclass(frozen=True)
class WireMessage:
    """One Kafka record as bytes: what the outbox stores and what the bus carries."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        for key, raw in self.headers:
            if key == name:
                return raw.decode("utf-8", errors="replace") if raw is not None else None
        return None


def to_wire(event: Envelope) -> WireMessage:
    """Serialise ``event`` for its logical topic in CloudEvents binary content mode."""
    headers = {
        "ce_specversion": SPECVERSION,
        "ce_id": event.id,
        "ce_source": event.source,
        "ce_type": event.type,
        "ce_time": event.time.isoformat(),
        "ce_dataschema": event.dataschema,
        "content-type": "application/json",
    }
    if event.subject is not None:
        headers["ce_subject"] = event.subject
    if event.correlationid is not None:
        headers["ce_correlationid"] = event.correlationid
    if event.sequence is not None:
        headers["ce_sequence"] = event.sequence
    return WireMessage(
        topic=event.data.topic.value,
        key=event.data.aggregate_key().encode(),
        value=event.data.model_dump_json().encode(),
        headers=tuple((name, value.encode()) for name, value in headers.items()),
    )


_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""Event and correlation ids: they key the services' idempotency tables and travel in e-mail headers."""


def from_wire(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Envelope:
    """Parse a binary-mode message, or raise :class:`EventContractError` saying what is wrong (nothing else)."""
    if value is not None and len(value) > MAX_EVENT_BYTES:
        raise EventContractError(f"the value is {len(value)} bytes, over the {MAX_EVENT_BYTES}-byte limit of an event")
    attrs = _decode_headers(headers)
    missing = [name for name in _REQUIRED if name not in attrs]
    if missing:
        raise EventContractError(f"not a CloudEvent: missing header(s) {', '.join(missing)}")
    if attrs["ce_specversion"] != SPECVERSION:
        raise EventContractError(f"unsupported CloudEvents specversion {attrs['ce_specversion']!r}")
    for name in ("ce_id", "ce_correlationid"):
        if name in attrs and not _SAFE_ID.fullmatch(attrs[name]):
            raise EventContractError(f"{name} {attrs[name][:80]!r} is not 1 to 64 of A-Z a-z 0-9 . _ : -")
    model = EVENT_TYPES.get(attrs["ce_type"])
    if model is None:
        raise EventContractError(f"unknown event type {attrs['ce_type'][:200]!r}")
    data = _parse_data(model, value)
    try:
        return Envelope(
            id=attrs["ce_id"],
            source=attrs["ce_source"],
            type=attrs["ce_type"],
            time=datetime.fromisoformat(attrs["ce_time"]),
            subject=attrs.get("ce_subject"),
            correlationid=attrs.get("ce_correlationid"),
            sequence=attrs.get("ce_sequence"),
            data=data,
        )
    except ValueError as exc:
        raise EventContractError(f"invalid CloudEvents attribute: {exc}") from None


def _decode_headers(headers: Sequence[tuple[str, bytes | None]]) -> dict[str, str]:
    attrs = {}
    for name, raw in headers:
        if not name.startswith("ce_"):
            continue
        if raw is None:
            raise EventContractError(f"the {name} header has no value")
        try:
            attrs[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise EventContractError(f"the {name} header is not valid UTF-8") from None
    return attrs


def _parse_data(model: type[EventData], value: bytes | None) -> EventData:
    if value is None:
        raise EventContractError(f"{model.event_type}: the message has no value")
    try:
        payload = json.loads(value)
        problem = unstorable_text(payload, "data")
        if problem is None:
            return model.model_validate(payload)
    except UnicodeDecodeError as exc:
        raise EventContractError(f"{model.event_type}: the value is not JSON, not valid UTF-8 ({exc})") from None
    except ValidationError as exc:
        raise EventContractError(f"{model.event_type}: {_summarise(exc)}") from None
    except RecursionError:
        raise EventContractError(f"{model.event_type}: the value is nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError, and integers of more than 4,300 digits
        raise EventContractError(f"{model.event_type}: the value is not JSON ({exc})") from None
    raise EventContractError(f"{model.event_type}: {problem}")


def _summarise(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc']) or 'data'}: {err['msg']}" for err in exc.errors()[:5]]
    return "; ".join(parts)


def json_schema(model: type[EventData]) -> dict[str, Any]:
    """The JSON Schema of an event type's ``data``, as committed under ``shared/schemas/``."""
    schema = model.model_json_schema()
    schema["$id"] = f"{SCHEMA_BASE}{model.event_type}.json"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
