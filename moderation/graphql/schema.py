"""The moderators' GraphQL API (the review queue is this service's data and nobody else's).

Caf agents only, authenticated with the gateway's access tokens (verified with ``MODERATION_TOKEN_PUBLIC_KEY``),
and only on items of their Caf's territory. No token, or an expired or revoked one: ``UNAUTHENTICATED``; a valid
token of someone who is not a Caf's moderator: ``FORBIDDEN``. A refused action is a ``userErrors`` entry.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import __version__
from moderation.graphql.context import Context, ModerationInfo, moderator_of
from moderation.graphql.types import (
    BulkApprovePayload,
    CategoryCode,
    DecisionPayload,
    LabelledReason,
    RefusalReason,
    ReviewItem,
    review_item_of,
)
from moderation.queue import repositories, services
from moderation.queue.services import Moderator, QueueError
from moderation.queue.states import ClaimState, Decision
from shared.graphql_contract import Connection, UserError, connection_of, page_of
from shared.graphql_protection import BoundedSchema, Limits, schema_extensions
from shared.metrics import ServiceMetrics, operation_metrics
from shared.refusal_reasons import REFUSAL_REASONS
from shared.relay import InvalidArgumentError, key_of, to_global_id

__all__ = ["Context", "build_schema"]

MAX_BULK = 100
ARGUMENTS = {"item_id": "id", "row_version": "rowVersion", "reasons": "reasons"}
"""A use case's parameter → the GraphQL argument the caller wrote."""


@strawberry.type(description="What answers at this endpoint.")
class ServiceInfo:
    name: str = strawberry.field(description="Name of the service.")
    version: str = strawberry.field(description="Version of the running code.")


@strawberry.type(description="The state of the review queue.")
class QueueStats:
    pending: int = strawberry.field(description="Submissions waiting for a moderator's decision.")


@strawberry.type(description="Ce que les décisions de votre Caf disent d'une règle des contrôles automatiques.")
class RulePrecision:
    rule: str = strawberry.field(description="La règle, par son identifiant (publicite.remise).")
    category: RefusalReason
    confirmed: int = strawberry.field(description="Signalements suivis d'un refus pour ce motif.")
    false_flags: int = strawberry.field(description="Signalements d'éléments validés ou refusés pour un autre motif.")
    precision: float | None = strawberry.field(description="Part des signalements confirmés (aucune décision : nul).")


@strawberry.type(description="Refus pour un motif qu'aucun signalement n'annonçait, par motif.")
class MissedReason:
    category: RefusalReason
    count: int


@strawberry.type(description="La file de votre Caf : profondeur et âge.")
class QueueDepthView:
    pending: int
    flagged: int
    oldest_submitted_at: datetime | None
    oldest_age_hours: float | None = strawberry.field(description="Âge de la plus ancienne saisie en attente.")
    rule_precision: list[RulePrecision] = strawberry.field(
        default_factory=list, description="Précision de chaque règle des contrôles automatiques selon vos décisions."
    )
    missed: list[MissedReason] = strawberry.field(
        default_factory=list, description="Refus qu'aucun signalement n'annonçait, par motif de l'article 2."
    )


@strawberry.input(description="Filtres de la file.")
class QueueFilterInput:
    flagged: bool | None = None
    establishment_id: strawberry.ID | None = strawberry.field(
        default=None, description="L'identifiant global de l'établissement, celui de la passerelle."
    )
    provider_id: strawberry.ID | None = strawberry.field(
        default=None, description="L'identifiant global du gestionnaire, celui de la passerelle."
    )
    submitted_before: datetime | None = None
    departement: str | None = strawberry.field(default=None, description="Le département (59, 2A…).")
    categories: list[CategoryCode] | None = strawberry.field(
        default=None,
        description="Les types de structure retenus (l'un d'eux) ; une saisie de type inconnu n'y répond jamais.",
    )
    claim: ClaimState | None = strawberry.field(
        default=None, description="Prises en charge par vous (MINE), par un autre (OTHERS), libres (FREE)."
    )


def _filter_of(given: QueueFilterInput | None, moderator: Moderator) -> repositories.QueueFilter:
    if given is None:
        return repositories.QueueFilter()
    establishment, provider = given.establishment_id, given.provider_id
    return repositories.QueueFilter(
        departement=given.departement,
        categories=tuple(category.value for category in given.categories or ()),
        claim=given.claim,
        moderator=moderator.agent_number,
        now=datetime.now(UTC),
        flagged=given.flagged,
        establishment_id=key_of(establishment, "Establishment", argument="filter.establishmentId")
        if establishment is not None
        else None,
        provider_id=key_of(provider, "Provider", argument="filter.providerId") if provider is not None else None,
        submitted_before=given.submitted_before,
    )


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
        filter: QueueFilterInput | None = None,
        flagged_first: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[ReviewItem]:
        moderator = moderator_of(info)
        page, where = page_of(first, after), _filter_of(filter, moderator)
        async with info.context.sessions() as session:
            rows, total = await repositories.list_queue(
                session, moderator.caf_code, where, flagged_first=flagged_first, offset=page.offset, limit=page.limit
            )
        return connection_of([review_item_of(row) for row in rows], page, total)

    @strawberry.field(description="Les motifs de refus ou de retrait de la convention (article 2), dans son ordre.")
    def refusal_reasons(self) -> list[LabelledReason]:
        return [LabelledReason(code=RefusalReason(code), label=label) for code, label in REFUSAL_REASONS.items()]

    @strawberry.field(description="Un élément de la file de votre Caf, décidé ou non ; null s'il n'y est pas.")
    async def review_item(self, info: ModerationInfo, id: strawberry.ID) -> ReviewItem | None:
        moderator = moderator_of(info)
        key = key_of(str(id), "ReviewItem")
        async with info.context.sessions() as session:
            row = await repositories.get_caf_item(session, key, moderator.caf_code)
        return review_item_of(row) if row is not None else None

    @strawberry.field(description="Profondeur de la file de votre Caf et âge de la plus ancienne saisie.")
    async def queue_depth(self, info: ModerationInfo) -> QueueDepthView:
        moderator = moderator_of(info)
        async with info.context.sessions() as session:
            depth = await services.depth(session, moderator.caf_code)
            records = await repositories.list_rule_records(session, moderator.caf_code)
            missed = await repositories.count_missed_by_category(session, moderator.caf_code)
        oldest = depth.oldest_submitted_at
        age = round((datetime.now(UTC) - oldest).total_seconds() / 3600, 2) if oldest else None
        return QueueDepthView(
            pending=depth.pending, flagged=depth.flagged, oldest_submitted_at=oldest, oldest_age_hours=age,
            rule_precision=[_rule_precision(record) for record in records],
            missed=[MissedReason(category=RefusalReason(c), count=n) for c, n in sorted(missed.items())],
        )  # fmt: skip


def _rule_precision(record: repositories.RuleRecord) -> RulePrecision:
    decided = record.confirmed + record.false_flags
    return RulePrecision(
        rule=record.rule, category=RefusalReason(record.category), confirmed=record.confirmed,
        false_flags=record.false_flags, precision=round(record.confirmed / decided, 3) if decided else None,
    )  # fmt: skip


Action = Callable[[AsyncSession, str, Moderator, datetime], Awaitable[None]]


async def _act(info: ModerationInfo, item_id: strawberry.ID, action: Action) -> DecisionPayload:
    moderator = moderator_of(info)
    key = key_of(str(item_id), "ReviewItem")
    try:
        async with info.context.sessions() as session, session.begin():
            await action(session, key, moderator, datetime.now(UTC))
    except QueueError as error:
        refusals = [
            UserError(field=ARGUMENTS.get(r.parameter or ""), code=r.code, message=r.message) for r in error.refusals
        ]
        return DecisionPayload(item=None, user_errors=refusals)
    async with info.context.sessions() as session:
        row = await repositories.get_item(session, key)
    return DecisionPayload(item=review_item_of(row), user_errors=[])


@strawberry.type
class DecisionMutation:
    @strawberry.mutation(description="Prendre en charge (bail de 15 minutes ; son échéance : claimExpiresAt).")
    async def claim_review_item(self, info: ModerationInfo, id: strawberry.ID, row_version: int) -> DecisionPayload:
        lease = info.context.lease
        return await _act(info, id, lambda s, i, m, now: services.claim(s, i, row_version, m, now, lease))

    @strawberry.mutation(description="Relâcher un élément pris en charge.")
    async def release_review_item(self, info: ModerationInfo, id: strawberry.ID, row_version: int) -> DecisionPayload:
        return await _act(info, id, lambda s, i, m, now: services.release(s, i, row_version, m, now))

    @strawberry.mutation(description="Valider : la version sera publiée.")
    async def approve_review_item(self, info: ModerationInfo, id: strawberry.ID, row_version: int) -> DecisionPayload:
        signal = info.context.signal

        async def approve(session: AsyncSession, key: str, moderator: Moderator, now: datetime) -> None:
            await services.decide(
                session,
                key,
                row_version,
                moderator,
                Decision.APPROVED,
                reasons=[],
                comment=None,
                now=now,
                signal=signal,
            )

        return await _act(info, id, approve)

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
        codes, signal = [reason.value for reason in reasons], info.context.signal

        async def reject(session: AsyncSession, key: str, moderator: Moderator, now: datetime) -> None:
            await services.decide(
                session,
                key,
                row_version,
                moderator,
                Decision.REJECTED,
                reasons=codes,
                comment=comment,
                now=now,
                signal=signal,
            )

        return await _act(info, id, reject)


def _bulk_keys(ids: list[strawberry.ID]) -> tuple[list[str], list[UserError]]:
    """The review items' keys, and an error for each ID that names none (nothing is approved then)."""
    keys, errors = [], []
    for index, global_id in enumerate(ids):
        argument = f"ids[{index}]"
        try:
            keys.append(key_of(str(global_id), "ReviewItem", argument=argument))
        except InvalidArgumentError as error:
            errors.append(UserError(field=argument, code="INVALID_ID", message=str(error)))
    return keys, errors


@strawberry.type
class BulkMutation:
    @strawberry.mutation(description="Valider en lot (au plus 100) les saisies sans aucun signalement.")
    async def bulk_approve_unflagged(self, info: ModerationInfo, ids: list[strawberry.ID]) -> BulkApprovePayload:
        moderator = moderator_of(info)
        if len(ids) > MAX_BULK:
            raise InvalidArgumentError(f"ids : au plus {MAX_BULK} éléments à la fois (reçu {len(ids)}).")
        keys, errors = _bulk_keys(ids)
        if errors:
            return BulkApprovePayload(approved=[], skipped=[], user_errors=errors)
        async with info.context.sessions() as session, session.begin():
            approved, skipped = await services.approve_unflagged(
                session, moderator, keys, datetime.now(UTC), info.context.signal
            )
        return BulkApprovePayload(
            approved=[strawberry.ID(to_global_id("ReviewItem", key)) for key in approved],
            skipped=[strawberry.ID(to_global_id("ReviewItem", key)) for key in skipped],
            user_errors=[],
        )


@strawberry.type
class Mutation(DecisionMutation, BulkMutation):
    pass


SENSITIVE_ROOT_FIELDS = frozenset({"bulkApproveUnflagged"})
"""Run at most once per request: aliases would otherwise multiply its bound of 100 items per call."""


def build_schema(metrics: ServiceMetrics | None = None, limits: Limits | None = None) -> strawberry.Schema:
    timing = [operation_metrics(metrics)] if metrics is not None else []
    limits = limits or Limits()
    return BoundedSchema(
        query=Query,
        mutation=Mutation,
        extensions=[*timing, *schema_extensions(limits, SENSITIVE_ROOT_FIELDS)],
        timeout_seconds=limits.timeout_seconds,
    )
