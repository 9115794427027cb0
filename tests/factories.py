"""Factories for test data (keyword-only overrides)."""

import uuid
from datetime import UTC, datetime, time
from typing import Any

from shared.events import AgentRef, Envelope, ModerationDecided, OperatingInfoSubmitted, new_event
from shared.operating_info import OpeningSlot, OperatingInfoDocument
from shared.operating_info_vocabulary import Weekday

ESCAUTPONT_MULTI_ACCUEIL = uuid.UUID("5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001")
MAIRIE_ESCAUTPONT = uuid.UUID("5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c1001")


def make_agent(**overrides: Any) -> AgentRef:
    values: dict[str, Any] = {
        "agent_number": "59-ESC-0001",
        "email": "m.dupont@escautpont.example",
        "display_name": "Marie Dupont",
    }
    return AgentRef(**(values | overrides))


def make_submitted(**overrides: Any) -> OperatingInfoSubmitted:
    values: dict[str, Any] = {
        "submission_id": uuid.uuid4(),
        "establishment_id": ESCAUTPONT_MULTI_ACCUEIL,
        "establishment_name": "Multi-accueil Les P'tits Mineurs",
        "provider_id": MAIRIE_ESCAUTPONT,
        "caf_code": "CAF59",
        "departement": "59",
        "version": 2,
        "based_on_version": 1,
        "submitted_by": make_agent(),
        "submitted_at": datetime(2024, 5, 13, 9, 30, tzinfo=UTC),
        "document": make_document(),
    }
    return OperatingInfoSubmitted(**(values | overrides))


def make_document(**overrides: Any) -> OperatingInfoDocument:
    """A valid operating-information document (the Escautpont multi-accueil's), through the one model."""
    values: dict[str, Any] = {
        "opening_hours": [
            OpeningSlot(day=day, opens=time(7, 30), closes=time(18, 30))
            for day in (Weekday.LUNDI, Weekday.MARDI, Weekday.MERCREDI, Weekday.JEUDI, Weekday.VENDREDI)
        ],
        "fees": "Le multi-accueil applique le barème national des participations familiales de la Cnaf.",
    }
    return OperatingInfoDocument.model_validate(values | overrides)


def make_decided(**overrides: Any) -> ModerationDecided:
    values: dict[str, Any] = {
        "submission_id": uuid.uuid4(),
        "establishment_id": ESCAUTPONT_MULTI_ACCUEIL,
        "establishment_name": "Multi-accueil Les P'tits Mineurs",
        "version": 2,
        "decision": "REJECTED",
        "reasons": ["Caractère publicitaire déguisé"],
        "comment": "Merci de retirer la promotion du partenaire Bébé+.",
        "moderator_number": "CAF59-MOD-0007",
        "decided_at": datetime(2024, 5, 14, 10, 0, tzinfo=UTC),
        "submitted_by": make_agent(),
    }
    return ModerationDecided(**(values | overrides))


def make_event(data: OperatingInfoSubmitted | ModerationDecided | None = None, **overrides: Any) -> Envelope:
    return new_event(data or make_submitted(**overrides), source="/tests", correlation_id="corr-test-1")
