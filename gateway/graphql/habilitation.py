"""Public mutations of the habilitation request (no account needed): the image challenge and the request."""

from datetime import UTC, datetime

import strawberry

from gateway.graphql.enums import ProviderKind
from gateway.graphql.relay import InvalidArgumentError, from_global_id
from gateway.graphql.statuses import HabilitationRequestStatus, label_of
from gateway.graphql.types import GraphQLInfo
from gateway.habilitation import services
from gateway.habilitation.challenges import IssuedChallenge, issue_challenge
from gateway.habilitation.forms import HabilitationForm, PersonForm, ProviderForm
from gateway.habilitation.states import ChallengePurpose
from gateway.user_errors import UserError as Refusal
from shared.graphql_contract import UserError

strawberry.enum(ChallengePurpose, description="Ce que protège une image à recopier.")


@strawberry.type(
    description="Un texte à recopier, présenté en image et, pour qui ne peut pas la voir, épelé en audio ; à usage "
    "unique, valable 10 minutes."
)
class Challenge:
    id: strawberry.ID
    image: str = strawberry.field(
        description="L'image, en URL `data:image/png;base64,…` : les 6 caractères à recopier sont ceux de couleur "
        "terne, tissée des deux couleurs vives des caractères leurres qui les séparent."
    )
    expires_at: datetime
    issued: strawberry.Private[IssuedChallenge]

    @strawberry.field(
        description="Le même texte épelé en français, pour qui ne peut pas lire l'image (RGAA, critère 1.1.1 du "
        "WCAG) : URL `data:audio/wav;base64,…` d'environ 25 secondes, trois bips puis chaque caractère (« B comme "
        "Berthe », « chiffre deux ») sur un fond de voix brouillées. La réponse est la même que pour l'image. "
        "Produit seulement si ce champ est demandé ; `null` si l'audio n'est pas disponible."
    )
    async def audio_data_url(self) -> str | None:
        return await self.issued.audio_data_url()


@strawberry.type
class CreateChallengePayload:
    challenge: Challenge


@strawberry.input
class CreateChallengeInput:
    purpose: ChallengePurpose


@strawberry.input
class ChallengeAnswerInput:
    id: strawberry.ID
    answer: str


@strawberry.input(description="Coordonnées du fournisseur de données (le gestionnaire).")
class ProviderInput:
    name: str
    kind: ProviderKind
    siret: str
    street: str
    postal_code: str
    commune_insee: str
    email: str
    representative_name: str
    representative_title: str = ""
    phone: str | None = None


@strawberry.input(description="Une personne à habiliter : ses codes d'accès lui seront personnels.")
class PersonInput:
    last_name: str
    first_name: str
    function: str
    email: str
    civility: str | None = None
    phone: str | None = None


@strawberry.input
class RequestHabilitationInput:
    caf: str = strawberry.field(description="Code de la Caf départementale destinatrice (CAF59).")
    provider: ProviderInput
    persons: list[PersonInput]
    operating_info_establishments: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Établissements dont le fournisseur saisira les modalités de fonctionnement."
    )
    availability_establishments: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Crèches (EAJE) dont il saisira les disponibilités."
    )
    challenge: ChallengeAnswerInput


@strawberry.type(description="La demande transmise à la Caf ; un accusé de réception est envoyé par courriel.")
class HabilitationRequestReceipt:
    number: str
    status: HabilitationRequestStatus
    caf_label: str
    submitted_at: datetime

    @strawberry.field(description="L'étape de la demande, en français.")
    def status_label(self) -> str:
        return label_of(self.status)


@strawberry.type
class RequestHabilitationPayload:
    request: HabilitationRequestReceipt | None
    user_errors: list[UserError]


@strawberry.type
class HabilitationMutations:
    @strawberry.mutation(description="Une image à recopier, avant une demande d'habilitation.")
    async def create_challenge(self, info: GraphQLInfo, input: CreateChallengeInput) -> CreateChallengePayload:
        async with info.context.sessions() as session, session.begin():
            issued = await issue_challenge(session, purpose=input.purpose.value, now=datetime.now(UTC))
        challenge = Challenge(
            id=strawberry.ID(issued.id), image=issued.data_url, expires_at=issued.expires_at, issued=issued
        )
        return CreateChallengePayload(challenge=challenge)

    @strawberry.mutation(description="Demande d'habilitation informatique « STRUCTURES » (convention, art. 3-1).")
    async def request_habilitation(
        self,
        info: GraphQLInfo,
        input: RequestHabilitationInput,
    ) -> RequestHabilitationPayload:
        form, unreadable = _form(input)
        async with info.context.sessions() as session, session.begin():
            result = await services.submit_habilitation_request(
                session,
                form,
                challenge_id=str(input.challenge.id),
                challenge_answer=input.challenge.answer,
                now=datetime.now(UTC),
                signal=info.context.signal,
                unreadable=unreadable,
            )
        if isinstance(result, list):
            return RequestHabilitationPayload(request=None, user_errors=[_error(e) for e in result])
        receipt = HabilitationRequestReceipt(
            number=result.number,
            status=HabilitationRequestStatus(result.status),
            caf_label=result.caf_label,
            submitted_at=result.submitted_at,
        )
        return RequestHabilitationPayload(request=receipt, user_errors=[])


def _error(error: Refusal) -> UserError:
    return UserError(field=error.field, message=error.message, code=error.code)


def _establishment_ids(ids: list[strawberry.ID], path: str) -> tuple[list[str], list[Refusal]]:
    found, errors = [], []
    for index, global_id in enumerate(ids):
        try:
            type_name, key = from_global_id(str(global_id))
        except InvalidArgumentError:
            type_name, key = "", ""
        if type_name != "Establishment":
            errors.append(Refusal(f"{path}[{index}]", "INVALID_ID", "Identifiant d'établissement invalide."))
        found.append(key)
    return found, errors


def _form(given: RequestHabilitationInput) -> tuple[HabilitationForm, list[Refusal]]:
    operating, errors = _establishment_ids(given.operating_info_establishments, "operatingInfoEstablishments")
    availability, more = _establishment_ids(given.availability_establishments, "availabilityEstablishments")
    p = given.provider
    provider = ProviderForm(
        name=p.name,
        kind=p.kind,
        siret=p.siret,
        street=p.street,
        postal_code=p.postal_code,
        commune_insee=p.commune_insee,
        email=p.email,
        phone=p.phone,
        representative_name=p.representative_name,
        representative_title=p.representative_title,
    )
    persons = [
        PersonForm(
            last_name=x.last_name, first_name=x.first_name, function=x.function, email=x.email,
            civility=x.civility, phone=x.phone,
        )
        for x in given.persons
    ]  # fmt: skip
    form = HabilitationForm(given.caf, provider, persons, operating, availability)
    return form, errors + more
