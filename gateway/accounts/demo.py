"""The embedded default's demo accounts: a Caf du Nord administrator and an agent of the Mairie d'Escautpont.

Both get a generated password by e-mail (in ``.data/mail/`` in the embedded default), like everyone else: no
password is written anywhere. The agent holds the rights a habilitation of the town hall would give: operating
information on each of its establishments, availabilities on its crèches.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.services import (
    NewPerson,
    PasswordIssuing,
    bootstrap_caf_agent,
    create_provider_agent,
    grant_rights,
)
from gateway.accounts.states import Right
from gateway.catalogue.demo import ESTABLISHMENTS, MAIRIE_ESCAUTPONT
from gateway.catalogue.vocabulary import Category
from shared.outbox import OutboxSignal

CAF_AGENT = NewPerson("Mathon", "Audrey", "Agent de la Caf du Nord", "a.mathon@caf59.monenfant.example")
PROVIDER_AGENT = NewPerson("Dupont", "Marie", "Directrice du multi-accueil", "m.dupont@escautpont.monenfant.example")


def town_hall_rights() -> list[tuple[str, Right]]:
    """What the Mairie d'Escautpont's agent may do, establishment by establishment."""
    own = [e for e in ESTABLISHMENTS if e.provider == MAIRIE_ESCAUTPONT]
    return [(e.id, Right.OPERATING_INFO) for e in own] + [
        (e.id, Right.AVAILABILITY) for e in own if e.category is Category.EAJE
    ]


async def create_demo_accounts(
    session: AsyncSession, issuing: PasswordIssuing, *, now: datetime, signal: OutboxSignal | None
) -> None:
    await bootstrap_caf_agent(session, CAF_AGENT, caf_code="CAF59", issuing=issuing, now=now, signal=signal)
    agent = await create_provider_agent(
        session, PROVIDER_AGENT, provider_id=MAIRIE_ESCAUTPONT, commune_name="Escautpont", departement="59",
        issuing=issuing, now=now, signal=signal,
    )  # fmt: skip
    await grant_rights(session, agent.id, town_hall_rights())
