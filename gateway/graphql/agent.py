"""What provider agents do: publish availabilities (at once) and submit operating information (moderated)."""

from datetime import UTC, date, datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.sessions import log_entry
from gateway.accounts.states import ConnectionEvent, Right
from gateway.catalogue.publishing import publish_availabilities
from gateway.catalogue.vocabulary import Channel
from gateway.catalogue.writes import NewAvailability
from gateway.graphql.enums import AgeGroup, CareKind, Slot
from gateway.graphql.establishment import Establishment
from gateway.graphql.operating_info import OperatingInfoInput
from gateway.graphql.permissions import require_agent, require_right
from gateway.graphql.relay import InvalidArgumentError, from_global_id, to_global_id
from gateway.graphql.statuses import SubmissionStatus, label_of
from gateway.graphql.types import GraphQLInfo
from gateway.submissions import listing
from gateway.submissions.services import submit_operating_info
from shared.graphql_contract import Connection, UserError, connection_of, page_of
from shared.refusal_reasons import reason_label


@strawberry.input(description="Des places libres un jour donné.")
class AvailabilityInput:
    date: date
    slot: Slot = Slot.JOURNEE
    places: int
    age_group: AgeGroup | None = None
    care_kind: CareKind = CareKind.OCCASIONNEL


@strawberry.input(description="Les disponibilités d'une crèche : remplacent celles publiées pour les mêmes dates.")
class PublishAvailabilitiesInput:
    establishment_id: strawberry.ID
    availabilities: list[AvailabilityInput]


@strawberry.type
class PublishAvailabilitiesPayload:
    establishment: Establishment | None
    user_errors: list[UserError]


def establishment_key(global_id: strawberry.ID, argument: str = "establishmentId") -> str:
    type_name, key = from_global_id(str(global_id), argument=argument)
    if type_name != "Establishment":
        raise InvalidArgumentError(f"{argument} : « {global_id} » n'est pas l'identifiant d'un établissement.")
    return key


@strawberry.type
class AgentMutations:
    @strawberry.mutation(
        description="Publier des disponibilités (au moins 3 jours à l'avance ; annulation et remplacement)."
    )
    async def publish_availabilities(
        self,
        info: GraphQLInfo,
        input: PublishAvailabilitiesInput,
    ) -> PublishAvailabilitiesPayload:
        context = info.context
        establishment_id = establishment_key(input.establishment_id)
        claims = await require_right(context, establishment_id, Right.AVAILABILITY)
        batch = [NewAvailability(a.date, a.slot, a.places, a.age_group, a.care_kind) for a in input.availabilities]
        now = datetime.now(UTC)

        async def logged(session: AsyncSession) -> None:
            await log_entry(session, claims, ConnectionEvent.SAISIE_DISPONIBILITES, context.client, now)

        async with context.sessions() as session, session.begin():
            errors = await publish_availabilities(
                session, establishment_id, batch, agent_number=claims.agent_number, channel=Channel.SAISIE_ESPACE_PRO,
                today=context.today, now=now, signal=context.signal, alongside=logged,
            )  # fmt: skip
        if errors:
            found = [UserError(field=e.field, message=e.message, code=e.code) for e in errors]
            return PublishAvailabilitiesPayload(establishment=None, user_errors=found)
        record = await context.loaders.establishments.load(establishment_id)
        return PublishAvailabilitiesPayload(
            establishment=Establishment.from_record(record) if record else None, user_errors=[]
        )


@strawberry.input
class SubmitOperatingInfoInput:
    establishment_id: strawberry.ID
    operating_info: OperatingInfoInput
    based_on_version: int | None = strawberry.field(default=None, description="La version modifiée par l'agent.")
    idempotency_key: str | None = strawberry.field(default=None, description="Rejouer la requête ne crée rien de plus.")


@strawberry.type(description="Un motif de refus (convention art. 2) : son code et son libellé.")
class RefusalReason:
    code: str
    label: str


@strawberry.type(description="Un établissement, nommé.")
class NamedEstablishment:
    id: strawberry.ID
    name: str


@strawberry.type(description="Une saisie de modalités de fonctionnement, en attente ou décidée par la Caf.")
class Submission:
    id: strawberry.ID
    status: SubmissionStatus
    version: int
    submitted_at: datetime
    establishment: NamedEstablishment | None = None
    reasons: list[RefusalReason] | None = strawberry.field(default=None, description="Motifs d'un refus.")
    comment: str | None = None

    @strawberry.field(description="L'état de la saisie, en français (« En attente de validation par la Caf »…).")
    def status_label(self) -> str:
        return label_of(self.status)

    @staticmethod
    def from_row(row: Any) -> "Submission":
        """A row of ``submissions.listing``: the submission and its establishment's name."""
        reasons = [RefusalReason(code=code, label=reason_label(code)) for code in row.reasons or ()]
        return Submission(
            id=strawberry.ID(to_global_id("Submission", row.id)), status=SubmissionStatus(row.status),
            version=row.version,
            submitted_at=row.submitted_at, reasons=reasons if row.reasons is not None else None, comment=row.comment,
            establishment=NamedEstablishment(
                id=strawberry.ID(to_global_id("Establishment", row.establishment_id)), name=row.establishment_name
            ),
        )  # fmt: skip


@strawberry.type
class SubmitOperatingInfoPayload:
    submission: Submission | None
    user_errors: list[UserError]


@strawberry.type
class AgentSubmissionMutations:
    @strawberry.mutation(description="Soumettre les modalités de fonctionnement à la validation de la Caf.")
    async def submit_operating_info(
        self,
        info: GraphQLInfo,
        input: SubmitOperatingInfoInput,
    ) -> SubmitOperatingInfoPayload:
        context = info.context
        establishment_id = establishment_key(input.establishment_id)
        claims = await require_right(context, establishment_id, Right.OPERATING_INFO)
        now = datetime.now(UTC)
        async with context.sessions() as session, session.begin():
            result = await submit_operating_info(
                session, claims.account_id, establishment_id, strawberry.asdict(input.operating_info),
                based_on_version=input.based_on_version, idempotency_key=input.idempotency_key, now=now,
                signal=context.signal,
            )  # fmt: skip
            if not isinstance(result, list):
                await log_entry(session, claims, ConnectionEvent.SAISIE_MODALITES, context.client, now)
        if isinstance(result, list):
            errors = [UserError(field=e.field, message=e.message, code=e.code) for e in result]
            return SubmitOperatingInfoPayload(submission=None, user_errors=errors)
        submission = Submission(
            id=strawberry.ID(to_global_id("Submission", result.id)),
            status=SubmissionStatus(result.status),
            version=result.version,
            submitted_at=result.submitted_at,
            establishment=await _named(info, establishment_id),
        )
        return SubmitOperatingInfoPayload(submission=submission, user_errors=[])


async def _named(info: GraphQLInfo, establishment_id: str) -> NamedEstablishment | None:
    record = await info.context.loaders.establishments.load(establishment_id)
    if record is None:
        return None
    return NamedEstablishment(id=strawberry.ID(to_global_id("Establishment", record.id)), name=record.name)


@strawberry.type
class AgentQueries:
    @strawberry.field(description="Mes saisies de modalités de fonctionnement, les plus récentes d'abord.")
    async def my_submissions(
        self, info: GraphQLInfo, first: int = 20, after: str | None = None
    ) -> Connection[Submission]:
        claims = await require_agent(info.context)
        page = page_of(first, after)
        async with info.context.sessions() as session:
            rows = await listing.list_submissions(session, claims.account_id, offset=page.offset, limit=page.limit)
            total = await listing.count_submissions(session, claims.account_id)
        return connection_of([Submission.from_row(row) for row in rows], page, total)
