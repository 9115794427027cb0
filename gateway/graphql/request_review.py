"""The Caf's view of a habilitation request: everything it decides on before activating (ASVS V4.2.1).

The provider as the request describes it and the register's provider with its SIRET, each establishment with the
provider running it today and what it needs (nothing, the Caf's confirmation, or a refusal), each person with the
rights activation would grant; and the confirmations the Caf gives at activation, item by item.
"""

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.states import Right
from gateway.catalogue.records import HolderRecord
from gateway.graphql.agent import establishment_key
from gateway.graphql.enums import Category, ProviderKind
from gateway.graphql.relay import InvalidArgumentError, to_global_id
from gateway.graphql.statuses import HabilitationRequestStatus, label_of
from gateway.habilitation.ownership import Confirmation, NamedEstablishment, Standing
from gateway.habilitation.processing import request_history
from gateway.habilitation.review import RequestReview, review_requests
from shared.graphql_contract import UserError

MAX_CONFIRMATIONS = 200


strawberry.enum(Right, name="AgentRight", description="Droit d'un agent sur un établissement.")
AgentRight = Right


@strawberry.enum(description="Ce que la Caf doit décider pour un établissement demandé.")
class EstablishmentStanding(Enum):
    OWN = strawberry.enum_value("OWN", description="Géré par le fournisseur de ce SIRET.")
    TO_CONFIRM = strawberry.enum_value(
        "TO_CONFIRM", description="Gestionnaire sans SIRET au registre : à confirmer à l'activation."
    )
    OTHER_PROVIDER = strawberry.enum_value(
        "OTHER_PROVIDER", description="Géré par un autre fournisseur : la demande ne peut pas être activée."
    )
    UNKNOWN = strawberry.enum_value("UNKNOWN", description="Absent du registre.")


@strawberry.type(description="Un gestionnaire tel que le registre le connaît.")
class RegisteredProvider:
    name: str
    siret: str | None


@strawberry.type(description="Le fournisseur tel que la demande le décrit.")
class RequestedProvider:
    name: str
    kind: ProviderKind
    siret: str
    street: str
    postal_code: str
    commune_insee: str
    commune_name: str | None
    email: str
    phone: str | None
    representative_name: str
    representative_title: str
    registered: RegisteredProvider | None = strawberry.field(
        description="Le gestionnaire du registre qui a ce SIRET : ses agents seront les personnes demandées."
    )
    needs_confirmation: bool = strawberry.field(
        description="Vrai si ce SIRET est déjà au registre : l'activation exige confirmProvider."
    )

    @strawberry.field(description="La nature du fournisseur, en français (« Commune »…).")
    def kind_label(self) -> str:
        return self.kind.label


@strawberry.type(description="Un établissement demandé, avec son gestionnaire actuel.")
class RequestedEstablishment:
    id: strawberry.ID
    name: str
    category: Category
    commune_name: str
    current_provider: RegisteredProvider | None
    standing: EstablishmentStanding
    needs_confirmation: bool = strawberry.field(description="À confirmer (confirmEstablishments) à l'activation.")
    refused: bool = strawberry.field(description="Géré par un autre fournisseur ou inconnu : jamais accordé.")
    rights: list[AgentRight]

    @strawberry.field(description="Le type de structure, en français (« Crèche »…).")
    def category_label(self) -> str:
        return self.category.label


@strawberry.type(description="Un droit qu'une personne recevrait à l'activation.")
class RequestedRight:
    establishment_id: strawberry.ID
    establishment_name: str
    right: AgentRight


@strawberry.type(description="Une personne à habiliter.")
class RequestedPerson:
    last_name: str
    first_name: str
    function: str
    email: str
    civility: str | None
    phone: str | None
    rights: list[RequestedRight]


@strawberry.type(description="Une étape de l'instruction d'une demande : ce que la Caf a fait, quand, par qui.")
class RequestEvent:
    action: HabilitationRequestStatus = strawberry.field(description="L'étape atteinte.")
    at: datetime
    agent_number: str | None = strawberry.field(description="L'agent de la Caf qui l'a enregistrée.")
    note: str | None = strawberry.field(description="Précision (date de signature, motif du refus…).")

    @strawberry.field(description="L'étape, en français (« Convention envoyée au fournisseur »…).")
    def action_label(self) -> str:
        return label_of(self.action)


@strawberry.type(description="Une demande d'habilitation, vue par la Caf : tout ce sur quoi elle décide.")
class HabilitationRequestView:
    number: str
    status: HabilitationRequestStatus
    provider_name: str
    provider_siret: str
    submitted_at: datetime
    provider: RequestedProvider
    establishments: list[RequestedEstablishment]
    persons: list[RequestedPerson] = strawberry.field(description="Les personnes à habiliter et leurs droits.")
    history: list[RequestEvent] = strawberry.field(
        description="Les étapes de l'instruction, les plus anciennes d'abord."
    )

    @strawberry.field(description="L'étape de la demande, en français (« Convention envoyée au fournisseur »…).")
    def status_label(self) -> str:
        return label_of(self.status)


@strawberry.input(description="Activer, avec ce que la Caf confirme un à un (voir la demande : needsConfirmation).")
class ActivateHabilitationInput:
    request_number: str
    confirm_provider: bool = strawberry.field(
        default=False, description="Les personnes demandées deviennent agents du gestionnaire du registre de ce SIRET."
    )
    confirm_establishments: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Chaque établissement sans gestionnaire identifié, rattaché au demandeur."
    )


def confirmation_of(given: ActivateHabilitationInput) -> Confirmation | list[UserError]:
    if len(given.confirm_establishments) > MAX_CONFIRMATIONS:
        message = f"Au plus {MAX_CONFIRMATIONS} établissements à confirmer."
        return [UserError(field="confirmEstablishments", message=message, code="TOO_MANY")]
    keys, errors = [], []
    for index, global_id in enumerate(given.confirm_establishments):
        try:
            keys.append(establishment_key(global_id, f"confirmEstablishments[{index}]"))
        except InvalidArgumentError:
            message = "Identifiant d'établissement invalide."
            errors.append(UserError(field=f"confirmEstablishments[{index}]", message=message, code="INVALID_ID"))
    return errors or Confirmation(provider=given.confirm_provider, establishments=tuple(keys))


async def request_views(session: AsyncSession, rows: Sequence[Any]) -> list[HabilitationRequestView]:
    reviews = await review_requests(session, rows)
    history = await request_history(session, [row.id for row in rows])
    return [_view(row, review, history[row.id]) for row, review in zip(rows, reviews, strict=True)]


def _view(row: Any, review: RequestReview, history: list[Any]) -> HabilitationRequestView:
    establishments = [_establishment(item) for item in review.establishments]
    return HabilitationRequestView(
        number=row.number,
        status=HabilitationRequestStatus(row.status),
        provider_name=row.provider["name"],
        provider_siret=row.provider["siret"],
        submitted_at=row.submitted_at,
        provider=_provider(row.provider, review),
        establishments=establishments,
        persons=[_person(person, establishments) for person in row.persons],
        history=[
            RequestEvent(action=HabilitationRequestStatus(e.status), at=e.at, agent_number=e.agent_number, note=e.note)
            for e in history
        ],
    )


def _registered(holder: HolderRecord | None) -> RegisteredProvider | None:
    return RegisteredProvider(name=holder.name, siret=holder.siret) if holder is not None else None


def _provider(snapshot: dict[str, Any], review: RequestReview) -> RequestedProvider:
    return RequestedProvider(
        name=snapshot["name"],
        kind=ProviderKind(snapshot["kind"]),
        siret=snapshot["siret"],
        street=snapshot["street"],
        postal_code=snapshot["postal_code"],
        commune_insee=snapshot["commune_insee"],
        commune_name=review.commune_name,
        email=snapshot["email"],
        phone=snapshot.get("phone"),
        representative_name=snapshot.get("representative_name") or "",
        representative_title=snapshot.get("representative_title") or "",
        registered=_registered(review.registered),
        needs_confirmation=review.registered is not None,
    )


def _establishment(item: NamedEstablishment) -> RequestedEstablishment:
    return RequestedEstablishment(
        id=strawberry.ID(to_global_id("Establishment", item.id)),
        name=item.name,
        category=Category(item.category),
        commune_name=item.commune_name,
        current_provider=_registered(item.holder),
        standing=EstablishmentStanding(item.standing.value),
        needs_confirmation=item.standing is Standing.TO_CONFIRM,
        refused=item.standing in (Standing.OTHER_PROVIDER, Standing.UNKNOWN),
        rights=[AgentRight(right) for right in item.rights],
    )


def _person(person: dict[str, Any], establishments: list[RequestedEstablishment]) -> RequestedPerson:
    rights = [
        RequestedRight(establishment_id=e.id, establishment_name=e.name, right=right)
        for e in establishments
        if not e.refused
        for right in e.rights
    ]
    return RequestedPerson(
        last_name=person["last_name"],
        first_name=person["first_name"],
        function=person["function"],
        email=person["email"],
        civility=person.get("civility"),
        phone=person.get("phone"),
        rights=rights,
    )
