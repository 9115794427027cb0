"""The moderators' GraphQL API (the review queue is this service's data and nobody else's).

Caf agents only, authenticated with the gateway's access tokens (verified with ``MODERATION_TOKEN_PUBLIC_KEY``),
and only on items of their Caf's territory.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from moderation import __version__
from moderation.checks.rules import Severity
from moderation.queue import repositories, services
from moderation.queue.services import Moderator, QueueError
from shared.db import SessionFactory
from shared.errors import PermanentError
from shared.graphql_protection import BoundedSchema, Limits, schema_extensions
from shared.metrics import ServiceMetrics, operation_metrics
from shared.operating_info import field_label, field_label_of_path, graphql_field_path
from shared.outbox import OutboxSignal
from shared.refusal_reasons import REFUSAL_REASONS
from shared.tokens import Claims


class NotAllowedError(PermanentError):
    code = "FORBIDDEN"


@dataclass(frozen=True)
class Context:
    sessions: SessionFactory
    claims: Claims | None = None
    signal: OutboxSignal | None = None


ModerationInfo = Info[Context, None]


@strawberry.enum(description="Motifs de refus ou de retrait (convention, article 2).")
class RefusalReason(Enum):
    PUBLICITE_DEGUISEE = "PUBLICITE_DEGUISEE"
    CONTENU_TENDANCIEUX_OU_ERRONE = "CONTENU_TENDANCIEUX_OU_ERRONE"
    INJURIEUX_DIFFAMATOIRE = "INJURIEUX_DIFFAMATOIRE"
    PROSELYTISME = "PROSELYTISME"
    VIRUS_OU_CODE_MALVEILLANT = "VIRUS_OU_CODE_MALVEILLANT"
    CHAINE_DE_LETTRES = "CHAINE_DE_LETTRES"
    ATTEINTE_DROITS_TIERS = "ATTEINTE_DROITS_TIERS"
    NON_CONFORME_MISSION_SERVICE_PUBLIC = "NON_CONFORME_MISSION_SERVICE_PUBLIC"
    AUTRE = "AUTRE"


for _reason in RefusalReason.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _reason.description = REFUSAL_REASONS[_reason.value]


def _moderator(info: ModerationInfo) -> Moderator:
    claims = info.context.claims
    if claims is None or claims.kind != "CAF_AGENT" or not claims.caf_code or claims.temporary:
        raise NotAllowedError("Réservé aux modérateurs de la Caf, avec un jeton d'accès valide.")
    return Moderator(claims.caf_code, claims.agent_number)


@strawberry.type(description="What answers at this endpoint.")
class ServiceInfo:
    name: str = strawberry.field(description="Name of the service.")
    version: str = strawberry.field(description="Version of the running code.")


@strawberry.type(description="The state of the review queue.")
class QueueStats:
    pending: int = strawberry.field(description="Submissions waiting for a moderator's decision.")


@strawberry.type(description="La file de votre Caf : profondeur et âge.")
class QueueDepthView:
    pending: int
    flagged: int
    oldest_submitted_at: datetime | None
    oldest_age_hours: float | None = strawberry.field(description="Âge de la plus ancienne saisie en attente.")


@strawberry.input(description="Filtres de la file.")
class QueueFilterInput:
    flagged: bool | None = None
    establishment_id: str | None = None
    provider_id: str | None = None
    submitted_before: datetime | None = None


@strawberry.type
class BulkApprovePayload:
    approved: list[strawberry.ID]
    skipped: list[strawberry.ID] = strawberry.field(description="Signalés, déjà décidés ou pris par un autre.")


FlagSeverity = strawberry.enum(Severity, name="FlagSeverity", description="Gravité d'un signalement automatique.")
for _severity in FlagSeverity.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _severity.description = Severity(_severity.value).label


@strawberry.type(description="Un signalement automatique (article 2) : le motif, le champ, l'extrait, la gravité.")
class ContentFlag:
    category: RefusalReason = strawberry.field(description="Le motif de l'article 2 que le texte semble enfreindre.")
    category_label: str = strawberry.field(description="Ce motif en français (« Caractère publicitaire déguisé »).")
    field: str = strawberry.field(description="Le chemin GraphQL du texte dans la saisie (datedClosures[0].label).")
    field_label: str = strawberry.field(description="Le champ en français (« Modalités tarifaires »).")
    excerpt: str
    severity: FlagSeverity  # type: ignore[valid-type]
    severity_label: str = strawberry.field(description="La gravité en français (« Manquement très probable »).")
    rule: str = strawberry.field(deprecation_reason="Utilisez category.")
    label: str = strawberry.field(deprecation_reason="Utilisez categoryLabel.")

    @staticmethod
    def from_stored(flag: dict[str, Any]) -> "ContentFlag":
        severity, path = Severity(flag["severity"]), graphql_field_path(flag["field"])
        reason = RefusalReason(flag["rule"])
        return ContentFlag(
            category=reason, category_label=REFUSAL_REASONS[reason.value], field=path,
            field_label=field_label_of_path(path), excerpt=flag["excerpt"], severity=severity,
            severity_label=severity.label, rule=reason.value, label=REFUSAL_REASONS[reason.value],
        )  # fmt: skip


@strawberry.type(
    description="Un champ modifié par la proposition (avec la version de départ si elle est plus ancienne)."
)
class FieldChange:
    field: str = strawberry.field(description="Le nom GraphQL du champ des modalités (hoursNote).")
    label: str = strawberry.field(description="Le champ en français (« Précisions sur les horaires »).")
    published: JSON | None
    proposed: JSON | None
    base: JSON | None
    conflict: bool

    @staticmethod
    def from_stored(change: dict[str, Any]) -> "FieldChange":
        field = graphql_field_path(change["field"])
        return FieldChange(
            field=field, label=field_label(field), published=change["published"], proposed=change["proposed"],
            base=change["base"], conflict=change["conflict"],
        )  # fmt: skip


@strawberry.type(description="Une étape de la vie de l'élément.")
class HistoryEntry:
    action: str
    agent_number: str | None
    at: datetime
    note: str | None


@strawberry.type(description="Une saisie de modalités de fonctionnement à valider.")
class ReviewItem:
    id: strawberry.ID
    establishment_name: str
    version: int
    submitted_at: datetime
    submitted_by: str = strawberry.field(description="Numéro d'identification de l'agent.")
    status: str
    row_version: int = strawberry.field(description="À renvoyer avec chaque décision (version optimiste).")
    claimed_by: str | None
    claim_expires_at: datetime | None
    flags: list[ContentFlag]
    changes: list[FieldChange]
    proposed: JSON

    @strawberry.field(description="L'historique : créé, pris en charge, relâché, décidé, par qui.")
    async def history(self, info: ModerationInfo) -> list[HistoryEntry]:
        async with info.context.sessions() as session:
            rows = await services.history(session, str(self.id))
        return [HistoryEntry(action=r.action, agent_number=r.agent_number, at=r.at, note=r.note) for r in rows]


def _item(row: Any) -> ReviewItem:
    return ReviewItem(
        id=strawberry.ID(row.id), establishment_name=row.establishment_name, version=row.version,
        submitted_at=row.submitted_at, submitted_by=row.submitted_by["agent_number"], status=row.status,
        row_version=row.row_version, claimed_by=row.claimed_by, claim_expires_at=row.claim_expires_at,
        flags=[ContentFlag.from_stored(f) for f in row.flags], changes=[FieldChange.from_stored(c) for c in row.diff],
        proposed=row.document,
    )  # fmt: skip


@strawberry.type
class DecisionPayload:
    item: ReviewItem | None
    user_errors: list[str] = strawberry.field(description="Codes des refus (STALE, NOT_CLAIMED, CLAIMED…).")


@strawberry.type
class Query:
    @strawberry.field(description="The service answering this API and its version.")
    def service(self) -> ServiceInfo:
        return ServiceInfo(name="structures-moderation", version=__version__)

    @strawberry.field(description="How many submissions wait in the review queue.")
    async def queue_stats(self, info: ModerationInfo) -> QueueStats:
        async with info.context.sessions() as session:
            return QueueStats(pending=await repositories.count_pending(session))

    @strawberry.field(description="La file de votre Caf : les plus anciennes d'abord, ou les signalées d'abord.")
    async def review_queue(
        self,
        info: ModerationInfo,
        flagged_first: bool = False,
        first: int = 50,
        filter: QueueFilterInput | None = None,
    ) -> list[ReviewItem]:
        moderator = _moderator(info)
        if not 1 <= first <= 200:
            raise NotAllowedError("first: must be between 1 and 200")
        where = services.QueueFilter(**vars(filter)) if filter else None
        async with info.context.sessions() as session:
            rows = await services.list_queue(
                session, moderator.caf_code, flagged_first=flagged_first, first=first, where=where
            )
        return [_item(row) for row in rows]

    @strawberry.field(description="Profondeur de la file de votre Caf et âge de la plus ancienne saisie.")
    async def queue_depth(self, info: ModerationInfo) -> QueueDepthView:
        moderator = _moderator(info)
        async with info.context.sessions() as session:
            depth = await services.depth(session, moderator.caf_code)
        oldest = depth.oldest_submitted_at
        age = round((datetime.now(UTC) - oldest).total_seconds() / 3600, 2) if oldest else None
        return QueueDepthView(
            pending=depth.pending, flagged=depth.flagged, oldest_submitted_at=oldest, oldest_age_hours=age
        )


async def _act(info: ModerationInfo, item_id: strawberry.ID, action: Any) -> DecisionPayload:
    moderator = _moderator(info)
    try:
        async with info.context.sessions() as session, session.begin():
            await action(session, str(item_id), moderator, datetime.now(UTC))
    except QueueError as error:
        return DecisionPayload(item=None, user_errors=[error.code])
    async with info.context.sessions() as session:
        row = await repositories.get_item(session, str(item_id))
    return DecisionPayload(item=_item(row), user_errors=[])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Prendre en charge (bail de 15 minutes).")
    async def claim_review_item(self, info: ModerationInfo, id: strawberry.ID, row_version: int) -> DecisionPayload:
        return await _act(info, id, lambda s, i, m, now: services.claim(s, i, row_version, m, now))

    @strawberry.mutation(description="Relâcher un élément pris en charge.")
    async def release_review_item(self, info: ModerationInfo, id: strawberry.ID, row_version: int) -> DecisionPayload:
        return await _act(info, id, lambda s, i, m, now: services.release(s, i, row_version, m, now))

    @strawberry.mutation(description="Valider : la version sera publiée.")
    async def approve_review_item(self, info: ModerationInfo, id: strawberry.ID, row_version: int) -> DecisionPayload:
        signal = info.context.signal
        return await _act(
            info, id, lambda s, i, m, now: services.decide(
                s, i, row_version, m, "APPROVED", reasons=[], comment=None, now=now, signal=signal
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Refuser, avec un ou plusieurs motifs de l'article 2 et un commentaire pour l'agent."
    )
    async def reject_review_item(
        self,
        info: ModerationInfo,
        id: strawberry.ID,
        row_version: int,
        reasons: list[RefusalReason],
        comment: str | None = None,
    ) -> DecisionPayload:
        codes = [reason.value for reason in reasons]
        signal = info.context.signal
        return await _act(
            info, id, lambda s, i, m, now: services.decide(
                s, i, row_version, m, "REJECTED", reasons=codes, comment=comment, now=now, signal=signal
            ),
        )  # fmt: skip


@strawberry.type
class BulkMutation:
    @strawberry.mutation(description="Valider en lot les saisies sans aucun signalement.")
    async def bulk_approve_unflagged(self, info: ModerationInfo, ids: list[strawberry.ID]) -> BulkApprovePayload:
        moderator = _moderator(info)
        if len(ids) > 100:
            raise NotAllowedError("ids: at most 100 at a time")
        async with info.context.sessions() as session, session.begin():
            approved, skipped = await services.approve_unflagged(
                session, moderator, [str(i) for i in ids], datetime.now(UTC), info.context.signal
            )
        return BulkApprovePayload(
            approved=[strawberry.ID(i) for i in approved], skipped=[strawberry.ID(i) for i in skipped]
        )


@strawberry.type
class Mutations(Mutation, BulkMutation):
    pass


SENSITIVE_ROOT_FIELDS = frozenset({"bulkApproveUnflagged"})
"""Run at most once per request: aliases would otherwise multiply its bound of 100 items per call."""


def build_schema(metrics: ServiceMetrics | None = None, limits: Limits | None = None) -> strawberry.Schema:
    timing = [operation_metrics(metrics)] if metrics is not None else []
    limits = limits or Limits()
    return BoundedSchema(
        query=Query,
        mutation=Mutations,
        extensions=[*timing, *schema_extensions(limits, SENSITIVE_ROOT_FIELDS)],
        timeout_seconds=limits.timeout_seconds,
    )
