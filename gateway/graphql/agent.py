"""What provider agents do: publish availabilities (at once) and submit operating information (moderated)."""

from datetime import UTC, date, datetime

import strawberry

from gateway.accounts.sessions import log_entry
from gateway.catalogue.publishing import AvailabilityEntry, publish_availabilities
from gateway.catalogue.vocabulary import Channel
from gateway.graphql.enums import AgeGroup, CareKind, Slot
from gateway.graphql.establishment import Establishment
from gateway.graphql.habilitation import UserErrorType
from gateway.graphql.permissions import require_right
from gateway.graphql.relay import InvalidArgumentError, from_global_id
from gateway.graphql.types import GraphQLInfo


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
    user_errors: list[UserErrorType]


def establishment_key(global_id: strawberry.ID, argument: str = "establishmentId") -> str:
    type_name, key = from_global_id(str(global_id), argument=argument)
    if type_name != "Establishment":
        raise InvalidArgumentError(f"{argument}: {global_id!r} is not an establishment's ID")
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
        claims = await require_right(context, establishment_id, "AVAILABILITY")
        batch = [AvailabilityEntry(a.date, a.slot, a.places, a.age_group, a.care_kind) for a in input.availabilities]
        now = datetime.now(UTC)
        async with context.sessions() as session, session.begin():
            errors = await publish_availabilities(
                session, establishment_id, batch, agent_number=claims.agent_number, channel=Channel.SAISIE_ESPACE_PRO,
                today=context.today, now=now, signal=context.signal,
            )  # fmt: skip
            if not errors:
                await log_entry(session, claims, "SAISIE_DISPONIBILITES", context.client, now)
        if errors:
            found = [UserErrorType(field=e.field, message=e.message, code=e.code) for e in errors]
            return PublishAvailabilitiesPayload(establishment=None, user_errors=found)
        record = await context.loaders.establishments.load(establishment_id)
        return PublishAvailabilitiesPayload(
            establishment=Establishment.from_record(record) if record else None, user_errors=[]
        )
