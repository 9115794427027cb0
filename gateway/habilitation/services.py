"""Use case: a provider submits a habilitation request (convention art. 3-1). One transaction; no commit here."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.catalogue import holders
from gateway.catalogue import repositories as catalogue
from gateway.habilitation.challenges import redeem_challenge
from gateway.habilitation.forms import HabilitationForm, Known, UserError, validate
from gateway.habilitation.states import ChallengePurpose, HabilitationRequestStatus
from gateway.habilitation.tables import habilitation_requests
from gateway.tables import outbox
from shared.events import HabilitationRequested, PersonRef, new_event
from shared.outbox import OutboxSignal, add_event

CHALLENGE_PURPOSE = ChallengePurpose.HABILITATION_REQUEST
SOURCE = "/structures/gateway"


@dataclass(frozen=True)
class SubmittedRequest:
    id: str
    number: str
    status: str
    caf_label: str
    submitted_at: datetime


async def submit_habilitation_request(
    session: AsyncSession,
    form: HabilitationForm,
    *,
    challenge_id: str,
    challenge_answer: str,
    now: datetime,
    signal: OutboxSignal | None = None,
    unreadable: Sequence[UserError] = (),
) -> SubmittedRequest | list[UserError]:
    """Store the request and stage its receipt e-mail, or say everything that is wrong at once.

    ``unreadable`` are the errors found before (an ID that is no establishment's): reported with the others, they
    leave nothing stored. The form is checked only once the challenge is solved, which is used up either way.
    """
    if not await redeem_challenge(session, challenge_id, challenge_answer, purpose=CHALLENGE_PURPOSE, now=now):
        message = "Le texte saisi ne correspond pas à l'image, ou l'image a expiré : demandez-en une nouvelle."
        return [*unreadable, UserError("challenge.answer", "CHALLENGE_FAILED", message)]
    known, names = await _known(session, form)
    reported = {error.field for error in unreadable}
    errors = [*unreadable, *(error for error in validate(form, known) if error.field not in reported)]
    if errors:
        return errors
    caf_label = (await catalogue.get_cafs(session, [form.caf_code]))[0].label
    request = SubmittedRequest(
        str(uuid.uuid4()), _number(form.caf_code, now), HabilitationRequestStatus.SOUMISE, caf_label, now
    )
    await session.execute(habilitation_requests.insert().values(**_row(request, form)))
    await add_event(session, outbox, new_event(_event(request, form, names), source=SOURCE), signal)
    return request


def _number(caf_code: str, now: datetime) -> str:
    return f"DH{caf_code.removeprefix('CAF')}-{now:%Y%m%d}-{secrets.token_hex(3).upper()}"


async def _known(session: AsyncSession, form: HabilitationForm) -> tuple[Known, dict[str, str]]:
    departements = (await catalogue.get_caf_departements(session, [form.caf_code])).get(form.caf_code, [])
    communes = await catalogue.get_communes(session, [form.provider.commune_insee])
    held = await holders.get_held_establishments(
        session, [*form.operating_info_establishments, *form.availability_establishments]
    )
    names = {i: e.name for i, e in held.items()}
    known = Known(
        caf_departements=departements,
        commune_postal_codes=list(communes[0].postal_codes) if communes else None,
        establishments={i: (e.category, e.departement) for i, e in held.items()},
        holders={i: e.holder for i, e in held.items()},
        names=names,
    )
    return known, names


def _row(request: SubmittedRequest, form: HabilitationForm) -> dict[str, object]:
    return {
        "id": request.id,
        "number": request.number,
        "status": request.status,
        "caf_code": form.caf_code,
        "provider": asdict(form.provider),
        "operating_info_establishments": list(form.operating_info_establishments),
        "availability_establishments": list(form.availability_establishments),
        "persons": [asdict(person) for person in form.persons],
        "submitted_at": request.submitted_at,
    }


def _event(request: SubmittedRequest, form: HabilitationForm, names: dict[str, str]) -> HabilitationRequested:
    covered: Sequence[str] = list(
        dict.fromkeys([*form.operating_info_establishments, *form.availability_establishments])
    )
    return HabilitationRequested(
        request_id=uuid.UUID(request.id),
        number=request.number,
        caf_code=form.caf_code,
        caf_label=request.caf_label,
        provider_name=form.provider.name,
        provider_email=form.provider.email,
        representative_name=form.provider.representative_name,
        persons=[
            PersonRef(display_name=f"{p.first_name} {p.last_name}", function=p.function, email=p.email)
            for p in form.persons
        ],
        establishments=[names[i] for i in covered],
        submitted_at=request.submitted_at,
    )
