"""What Caf agents do in the gateway: process habilitation requests, deactivate agents, read the connection log.

Every operation is limited to the agent's own Caf (``permissions.require_caf_agent``); another Caf's data is
answered as « not found ».
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import strawberry

from gateway.accounts import connection_log as log_lines
from gateway.accounts import services as accounts
from gateway.accounts.connection_log import LogFilter
from gateway.accounts.scope import find_provider_agent
from gateway.accounts.services import PasswordIssuing
from gateway.graphql.agent import establishment_key
from gateway.graphql.permissions import require_caf_agent
from gateway.graphql.relay import InvalidArgumentError
from gateway.graphql.request_review import (
    ActivateHabilitationInput,
    HabilitationRequestView,
    confirmation_of,
    request_views,
)
from gateway.graphql.scope import provider_key
from gateway.graphql.statuses import ConnectionEvent, HabilitationRequestStatus, label_of
from gateway.graphql.types import GraphQLInfo
from gateway.habilitation import processing
from gateway.habilitation.ownership import Confirmation
from gateway.habilitation.processing import Actor, ProcessingError, RefusedError, SignedConvention
from gateway.submissions.withdrawal import Withdrawal, withdraw_operating_info
from shared.errors import ConfigurationError
from shared.graphql_contract import Connection, UserError, connection_of, page_of
from shared.refusal_reasons import REFUSAL_REASONS

MAX_DAYS = 366
PARIS = ZoneInfo("Europe/Paris")
"""The connection log's days are the Caf's: Paris days."""


@strawberry.type
class ProcessingPayload:
    request: HabilitationRequestView | None
    accounts: list[str] = strawberry.field(description="Identifiants des comptes créés (activation).")
    user_errors: list[UserError]


@strawberry.input
class SignedConventionInput:
    request_number: str
    signed_on: date
    place: str
    signatories: list[str]
    deliberation_reference: str | None = None
    deliberation_date: date | None = None


@strawberry.input
class RequestActionInput:
    request_number: str


@strawberry.input
class RejectRequestInput:
    request_number: str
    reason: str


@strawberry.input
class DeactivateAgentInput:
    agent_number: str
    reason: str


@strawberry.type
class DeactivateAgentPayload:
    agent_number: str | None
    user_errors: list[UserError]


@strawberry.input(description="Retirer des informations publiées contraires à l'article 2 de la convention.")
class WithdrawOperatingInfoInput:
    establishment_id: strawberry.ID
    reasons: list[str] = strawberry.field(description="Motifs de l'article 2 : " + ", ".join(REFUSAL_REASONS) + ".")
    comment: str | None = strawberry.field(default=None, description="Explication adressée au fournisseur.")


@strawberry.type
class WithdrawOperatingInfoPayload:
    withdrawn_version: int | None
    user_errors: list[UserError]


@strawberry.type(description="Une ligne du journal des connexions (contrôle des connexions par la Caf).")
class ConnectionLogEntry:
    at: datetime
    identifier: str
    agent_number: str | None
    event: ConnectionEvent
    address: str | None
    user_agent: str | None

    @strawberry.field(description="Ce qui s'est passé, en français (« Connexion », « Saisie de disponibilités »…).")
    def event_label(self) -> str:
        return label_of(self.event)

    @staticmethod
    def from_row(row: Any) -> "ConnectionLogEntry":
        return ConnectionLogEntry(
            at=row.at, identifier=row.identifier, agent_number=row.agent_number, event=ConnectionEvent(row.event),
            address=row.address, user_agent=row.user_agent,
        )  # fmt: skip


async def _process(info: GraphQLInfo, number: str, action: str, **arguments: object) -> ProcessingPayload:
    claims = await require_caf_agent(info.context)
    actor = Actor(caf_code=claims.caf_code or "", agent_number=claims.agent_number)
    now = datetime.now(UTC)
    created: list[str] = []
    try:
        async with info.context.sessions() as session, session.begin():
            if action == "sent":
                await processing.mark_convention_sent(session, number, actor, now)
            elif action == "signed":
                await processing.record_signed_convention(session, number, arguments["convention"], actor, now)  # type: ignore[arg-type]
            elif action == "reject":
                await processing.reject_request(session, number, str(arguments["reason"]), actor, now)
            else:
                confirmation: Confirmation = arguments["confirmation"]  # type: ignore[assignment]
                made = await processing.activate(
                    session,
                    number,
                    actor,
                    confirmation,
                    issuing=password_issuing(info),
                    now=now,
                    signal=info.context.signal,
                )
                created = [account.identifier for account in made]
            [view] = await request_views(session, [await processing.get_request(session, number, actor)])
    except RefusedError as refusal:
        errors = [UserError(field=e.field, message=e.message, code=e.code) for e in refusal.errors]
        return ProcessingPayload(request=None, accounts=[], user_errors=errors)
    except ProcessingError as error:
        return ProcessingPayload(request=None, accounts=[], user_errors=[_error(error)])
    return ProcessingPayload(request=view, accounts=created, user_errors=[])


def password_issuing(info: GraphQLInfo) -> PasswordIssuing:
    if info.context.issuing is None:
        raise ConfigurationError("GATEWAY_NOTIFIER_PUBLIC_KEY is not configured: passwords cannot be issued")
    return info.context.issuing


def _error(error: ProcessingError) -> UserError:
    return UserError(field=error.field, message=str(error), code=error.code)


@strawberry.type
class CafQueries:
    @strawberry.field(description="Les demandes d'habilitation adressées à votre Caf, les plus anciennes d'abord.")
    async def habilitation_requests(
        self,
        info: GraphQLInfo,
        status: HabilitationRequestStatus | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[HabilitationRequestView]:
        claims = await require_caf_agent(info.context)
        page, caf_code = page_of(first, after), claims.caf_code or ""
        async with info.context.sessions() as session:
            rows = await processing.list_requests(session, caf_code, status, offset=page.offset, limit=page.limit)
            total = await processing.count_requests(session, caf_code, status)
            return connection_of(await request_views(session, rows), page, total)

    @strawberry.field(description="Une demande d'habilitation adressée à votre Caf, par son numéro ; null sinon.")
    async def habilitation_request(self, info: GraphQLInfo, number: str) -> HabilitationRequestView | None:
        claims = await require_caf_agent(info.context)
        async with info.context.sessions() as session:
            row = await processing.find_request(session, claims.caf_code or "", number)
            return (await request_views(session, [row]))[0] if row is not None else None

    @strawberry.field(
        description="Le journal des connexions des agents des fournisseurs de votre territoire, le plus récent d'abord."
    )
    async def connection_log(
        self,
        info: GraphQLInfo,
        agent_number: str | None = None,
        days: int = 30,
        first: int = 100,
        after: str | None = None,
        provider_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Les agents d'un fournisseur de votre territoire.")
        ] = None,
        from_: Annotated[
            date | None,
            strawberry.argument(name="from", description="Depuis ce jour (heure de Paris), inclus ; remplace days."),
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Jusqu'à ce jour (heure de Paris), inclus.")] = None,
        events: Annotated[
            list[ConnectionEvent] | None, strawberry.argument(description="Ces types d'entrée seulement.")
        ] = None,
    ) -> Connection[ConnectionLogEntry]:
        claims = await require_caf_agent(info.context)
        page = page_of(first, after)
        if not 1 <= days <= MAX_DAYS:
            raise InvalidArgumentError(f"days : doit être compris entre 1 et {MAX_DAYS} (reçu {days}).")
        since, until = log_period(datetime.now(UTC), days, from_, to)
        given = LogFilter(
            claims.caf_code or "", since, agent_number or None, until=until,
            provider_id=provider_key(provider_id) if provider_id is not None else None,
            events=tuple(event.value for event in events or ()),
        )  # fmt: skip
        async with info.context.sessions() as session:
            rows = await log_lines.list_lines(session, given, offset=page.offset, limit=page.limit)
            total = await log_lines.count_lines(session, given)
        return connection_of([ConnectionLogEntry.from_row(row) for row in rows], page, total)


def log_period(
    now: datetime, days: int, first_day: date | None, last_day: date | None
) -> tuple[datetime, datetime | None]:
    """The instants the log is read between: from the start of ``first_day`` in Paris (else ``days`` back from
    ``now``) to the end of ``last_day`` in Paris, excluded (else no end)."""
    if first_day is not None and last_day is not None and last_day < first_day:
        raise InvalidArgumentError(f"to : doit suivre from (reçu du {first_day} au {last_day}).")
    since = _paris_midnight(first_day) if first_day is not None else now - timedelta(days=days)
    return since, _paris_midnight(last_day + timedelta(days=1)) if last_day is not None else None


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=PARIS).astimezone(UTC)  # stored in UTC, SQLite compares text


@strawberry.type
class CafMutations:
    @strawberry.mutation(description="La convention a été envoyée par voie postale au fournisseur.")
    async def mark_convention_sent(self, info: GraphQLInfo, input: RequestActionInput) -> ProcessingPayload:
        return await _process(info, input.request_number, "sent")

    @strawberry.mutation(description="La convention signée est revenue : date, lieu, signataires, délibération.")
    async def record_signed_convention(self, info: GraphQLInfo, input: SignedConventionInput) -> ProcessingPayload:
        convention = SignedConvention(
            signed_on=input.signed_on, place=input.place, signatories=input.signatories,
            deliberation_reference=input.deliberation_reference, deliberation_date=input.deliberation_date,
        )  # fmt: skip
        return await _process(info, input.request_number, "signed", convention=convention)

    @strawberry.mutation(description="Refuser la demande, avec son motif.")
    async def reject_habilitation_request(self, info: GraphQLInfo, input: RejectRequestInput) -> ProcessingPayload:
        return await _process(info, input.request_number, "reject", reason=input.reason)

    @strawberry.mutation(
        description="Activer : un compte par personne, un mot de passe envoyé à chacune ; rien sans les confirmations."
    )
    async def activate_habilitation(self, info: GraphQLInfo, input: ActivateHabilitationInput) -> ProcessingPayload:
        confirmation = confirmation_of(input)
        if isinstance(confirmation, list):
            return ProcessingPayload(request=None, accounts=[], user_errors=confirmation)
        return await _process(info, input.request_number, "activate", confirmation=confirmation)

    @strawberry.mutation(description="Désactiver un agent d'un fournisseur de votre territoire (fin de mission…).")
    async def deactivate_agent(self, info: GraphQLInfo, input: DeactivateAgentInput) -> DeactivateAgentPayload:
        claims = await require_caf_agent(info.context)
        if not input.reason.strip():
            error = UserError(field="reason", message="Indiquez le motif.", code="REQUIRED")
            return DeactivateAgentPayload(agent_number=None, user_errors=[error])
        async with info.context.sessions() as session, session.begin():
            account_id = await find_provider_agent(session, input.agent_number, claims.caf_code or "")
            if account_id is None:
                error = UserError(field="agentNumber", message="Agent introuvable pour votre Caf.", code="NOT_FOUND")
                return DeactivateAgentPayload(agent_number=None, user_errors=[error])
            await accounts.deactivate_agent(
                session, account_id, reason=input.reason, by_agent=claims.agent_number, now=datetime.now(UTC),
                signal=info.context.signal,
            )  # fmt: skip
        return DeactivateAgentPayload(agent_number=input.agent_number, user_errors=[])

    @strawberry.mutation(description="Retirer les informations publiées d'un établissement (article 2), avec motifs.")
    async def withdraw_operating_info(
        self, info: GraphQLInfo, input: WithdrawOperatingInfoInput
    ) -> WithdrawOperatingInfoPayload:
        claims = await require_caf_agent(info.context)
        withdrawal = Withdrawal(
            establishment_id=establishment_key(input.establishment_id), caf_code=claims.caf_code or "",
            agent_number=claims.agent_number, reasons=input.reasons, comment=input.comment,
        )  # fmt: skip
        async with info.context.sessions() as session, session.begin():
            result = await withdraw_operating_info(
                session, withdrawal, now=datetime.now(UTC), signal=info.context.signal
            )
        if isinstance(result, list):
            errors = [UserError(field=e.field, message=e.message, code=e.code) for e in result]
            return WithdrawOperatingInfoPayload(withdrawn_version=None, user_errors=errors)
        return WithdrawOperatingInfoPayload(withdrawn_version=result, user_errors=[])
