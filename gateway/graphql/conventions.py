"""Conventions of a Caf's territory (art. 5): their term, terminations and amendments (agents and rights)."""

from datetime import UTC, date, datetime
from enum import Enum

import strawberry

from gateway.accounts.services import NewPerson
from gateway.graphql.caf import password_issuing
from gateway.graphql.habilitation import PersonInput
from gateway.graphql.permissions import require_caf_agent
from gateway.graphql.relay import InvalidArgumentError, from_global_id
from gateway.graphql.request_review import (
    AgentRight,
)
from gateway.graphql.statuses import ConventionStatus, label_of
from gateway.graphql.types import GraphQLInfo
from gateway.habilitation import conventions
from gateway.habilitation.amendments import Amendment, PersonRight, RightChange, record_amendment
from gateway.habilitation.conventions import AmendmentView, ConventionView
from gateway.habilitation.processing import Actor, ProcessingError, RefusedError
from gateway.user_errors import UserError as Refusal
from shared.graphql_contract import Connection, UserError, connection_of, page_of


def _error(error: ProcessingError) -> UserError:
    return UserError(field=error.field, message=str(error), code=error.code)


@strawberry.enum(description="Qui résilie la convention.")
class TerminatedBy(Enum):
    CAF = "CAF"
    FOURNISSEUR = "FOURNISSEUR"


@strawberry.type(description="Un avenant enregistré : sa date de signature, son objet et ce qu'il a changé.")
class ConventionAmendment:
    signed_on: date
    subject: str
    recorded_at: datetime
    changes: list[str] = strawberry.field(
        description="Ce que l'avenant a changé, en français (ajouts, retraits d'agents et de droits)."
    )


@strawberry.type(description="Une convention d'habilitation : un an, reconduite tacitement (art. 5).")
class Convention:
    id: strawberry.ID
    request_number: str
    provider_name: str
    signed_on: date
    place: str
    signatories: list[str]
    deliberation_reference: str | None
    deliberation_date: date | None
    status: ConventionStatus
    next_renewal: date = strawberry.field(description="Prochaine échéance (ou date d'effet de la résiliation).")
    notice_deadline: date = strawberry.field(
        description="Date limite de réception d'une résiliation pour cette échéance."
    )
    termination_effective_on: date | None
    amendments: list[ConventionAmendment] = strawberry.field(
        description="Ses avenants, dans l'ordre de leur signature."
    )

    @strawberry.field(description="L'état de la convention, en français (« En vigueur »…).")
    def status_label(self) -> str:
        return label_of(self.status)


@strawberry.input
class RecordTerminationInput:
    request_number: str
    by: TerminatedBy
    letter_reference: str = strawberry.field(description="Référence de la lettre recommandée avec avis de réception.")
    received_on: date


@strawberry.type
class RecordTerminationPayload:
    convention: Convention | None
    user_errors: list[UserError]


def _convention(view: ConventionView, amendments: list[AmendmentView]) -> Convention:
    fields = {k: v for k, v in vars(view).items() if k not in ("id", "status")}
    listed = [ConventionAmendment(**vars(amendment)) for amendment in amendments]
    return Convention(id=strawberry.ID(view.id), status=ConventionStatus(view.status), amendments=listed, **fields)


@strawberry.input
class RightChangeInput:
    agent_number: str
    establishment_id: strawberry.ID
    right: AgentRight


@strawberry.input(description="Un droit donné à une personne que le même avenant ajoute.")
class NewPersonRightInput:
    email: str = strawberry.field(description="L'adresse électronique de cette personne dans addPersons.")
    establishment_id: strawberry.ID
    right: AgentRight


@strawberry.input(description="Un avenant à la convention : ajouts et retraits d'agents et de droits, daté.")
class RecordAmendmentInput:
    request_number: str
    signed_on: date
    subject: str
    add_persons: list[PersonInput] = strawberry.field(default_factory=list)
    remove_agents: list[str] = strawberry.field(default_factory=list, description="Numéros d'agents à désactiver.")
    grant: list[RightChangeInput] = strawberry.field(default_factory=list)
    revoke: list[RightChangeInput] = strawberry.field(default_factory=list)
    add_person_rights: list[NewPersonRightInput] = strawberry.field(
        default_factory=list, description="Les droits des personnes ajoutées, par établissement."
    )


@strawberry.type
class RecordAmendmentPayload:
    accounts: list[str] = strawberry.field(description="Identifiants des comptes créés.")
    user_errors: list[UserError]


def _establishment_key(establishment_id: strawberry.ID, path: str, errors: list[Refusal]) -> str:
    try:
        type_name, key = from_global_id(str(establishment_id))
    except InvalidArgumentError:
        type_name, key = "", ""
    if type_name != "Establishment":
        errors.append(Refusal(f"{path}.establishmentId", "INVALID_ID", "Identifiant d'établissement invalide."))
    return key


def _right_changes(changes: list[RightChangeInput], path: str) -> tuple[list[RightChange], list[Refusal]]:
    found: list[RightChange] = []
    errors: list[Refusal] = []
    for index, change in enumerate(changes):
        key = _establishment_key(change.establishment_id, f"{path}[{index}]", errors)
        found.append(RightChange(change.agent_number, key, change.right.value))
    return found, errors


def _person_rights(given: list[NewPersonRightInput]) -> tuple[list[PersonRight], list[Refusal]]:
    found: list[PersonRight] = []
    errors: list[Refusal] = []
    for index, right in enumerate(given):
        key = _establishment_key(right.establishment_id, f"addPersonRights[{index}]", errors)
        found.append(PersonRight(right.email, key, right.right.value))
    return found, errors


@strawberry.type
class ConventionQueries:
    @strawberry.field(description="Les conventions de votre Caf, avec leur échéance et leur date limite de préavis.")
    async def conventions(
        self, info: GraphQLInfo, first: int = 100, after: str | None = None
    ) -> Connection[Convention]:
        claims = await require_caf_agent(info.context)
        page, caf_code = page_of(first, after), claims.caf_code or ""
        async with info.context.sessions() as session:
            rows = await conventions.list_conventions(session, caf_code, offset=page.offset, limit=page.limit)
            total = await conventions.count_conventions(session, caf_code)
            amended = await conventions.amendments_of(session, [row.id for row in rows])
        today = info.context.today
        return connection_of([_convention(conventions.view(row, today), amended[row.id]) for row in rows], page, total)


@strawberry.type
class ConventionMutations:
    @strawberry.mutation(description="Enregistrer une résiliation (LRAR) : effet à l'échéance qu'elle a pu préavertir.")
    async def record_convention_termination(
        self,
        info: GraphQLInfo,
        input: RecordTerminationInput,
    ) -> RecordTerminationPayload:
        claims = await require_caf_agent(info.context)
        try:
            async with info.context.sessions() as session, session.begin():
                row = await conventions.record_termination(
                    session, input.request_number, claims.caf_code or "", by=input.by.value,
                    letter_reference=input.letter_reference, received_on=input.received_on, signal=info.context.signal,
                )  # fmt: skip
                amended = await conventions.amendments_of(session, [row.id])
        except ProcessingError as error:
            return RecordTerminationPayload(convention=None, user_errors=[_error(error)])
        return RecordTerminationPayload(
            convention=_convention(conventions.view(row, info.context.today), amended[row.id]), user_errors=[]
        )

    @strawberry.mutation(description="Enregistrer un avenant (ajout ou retrait d'agents, de droits).")
    async def record_amendment(
        self,
        info: GraphQLInfo,
        input: RecordAmendmentInput,
    ) -> RecordAmendmentPayload:
        claims = await require_caf_agent(info.context)
        actor = Actor(caf_code=claims.caf_code or "", agent_number=claims.agent_number)
        grants, grant_errors = _right_changes(input.grant, "grant")
        revokes, revoke_errors = _right_changes(input.revoke, "revoke")
        person_rights, person_right_errors = _person_rights(input.add_person_rights)
        unreadable = grant_errors + revoke_errors + person_right_errors
        amendment = Amendment(
            signed_on=input.signed_on, subject=input.subject,
            add_persons=[NewPerson(p.last_name, p.first_name, p.function, p.email) for p in input.add_persons],
            remove_agents=input.remove_agents, grants=grants, revokes=revokes, person_rights=person_rights,
        )  # fmt: skip
        try:
            async with info.context.sessions() as session, session.begin():
                created = await record_amendment(
                    session, input.request_number, amendment, actor, issuing=password_issuing(info),
                    now=datetime.now(UTC), signal=info.context.signal, unreadable=unreadable,
                )  # fmt: skip
        except RefusedError as refusal:
            errors = [UserError(field=e.field, message=e.message, code=e.code) for e in refusal.errors]
            return RecordAmendmentPayload(accounts=[], user_errors=errors)
        except ProcessingError as error:
            return RecordAmendmentPayload(accounts=[], user_errors=[_error(error)])
        return RecordAmendmentPayload(accounts=[a.identifier for a in created], user_errors=[])
