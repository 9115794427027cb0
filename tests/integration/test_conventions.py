"""The convention's term at work (art. 5), on SQLite and PostgreSQL, with the Escautpont dates."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import PasswordIssuing
from gateway.accounts.tables import accounts
from gateway.catalogue.vocabulary import ProviderKind
from gateway.habilitation import conventions, processing, services
from gateway.habilitation.challenges import issue_challenge
from gateway.habilitation.forms import HabilitationForm, PersonForm, ProviderForm
from gateway.habilitation.ownership import Confirmation
from gateway.habilitation.processing import Actor, SignedConvention
from gateway.tables import outbox
from shared.db import SessionFactory, create_session_factory
from shared.sealing import generate_key_pair
from tests.conftest import EngineFactory

NORD = Actor("CAF59", "CAF59-0001")
NOW = datetime(2024, 4, 20, 9, tzinfo=UTC)
MULTI_ACCUEIL = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2001"
CONFIRMED = Confirmation(provider=True)
"""The request's SIRET is the register's Mairie d'Escautpont: the Caf confirms it."""


@pytest.fixture
def sessions(catalogue_url: str, engines: EngineFactory) -> SessionFactory:
    return create_session_factory(engines(catalogue_url))


async def _activated_convention(sessions: SessionFactory, hashing: PasswordHashing, email: str) -> str:
    form = HabilitationForm(
        "CAF59",
        ProviderForm("Mairie d'Escautpont", ProviderKind.COMMUNE, "21590207300018", "rue Henri Durre", "59278", "59207",
                     email, representative_name="Raphaël KRUSZYNSKI"),
        [PersonForm("Dupont", "Marie", "Directrice", f"m.{email}"),
         PersonForm("Lefebvre", "Karine", "Coordinatrice", f"k.{email}")],
        [MULTI_ACCUEIL], [MULTI_ACCUEIL],
    )  # fmt: skip
    _, public = generate_key_pair()
    async with sessions() as session, session.begin():
        challenge = await issue_challenge(session, purpose=services.CHALLENGE_PURPOSE, now=NOW, text="ABCDEF")
        request = await services.submit_habilitation_request(
            session, form, challenge_id=challenge.id, challenge_answer="ABCDEF", now=NOW
        )
        assert not isinstance(request, list), request
        signed = SignedConvention(
            date(2023, 12, 15), "Lille", ["Raphaël KRUSZYNSKI, Maire"], "36-2024-DF-RK", date(2024, 4, 12)
        )
        await processing.record_signed_convention(session, request.number, signed, NORD, NOW)
        await processing.activate(
            session, request.number, NORD, CONFIRMED, issuing=PasswordIssuing(hashing, public), now=NOW, signal=None
        )
    return request.number


async def _events(sessions: SessionFactory, kind: str) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(select(outbox.c.payload).where(outbox.c.event_type.endswith(kind)))
        return [bytes(r[0]).decode() for r in rows]


async def test_a_termination_takes_effect_at_the_renewal_and_ends_the_agents_access(sessions: SessionFactory) -> None:
    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    number = await _activated_convention(sessions, hashing, "mairie@escautpont.example")
    async with sessions() as session, session.begin():
        row = await conventions.record_termination(
            session, number, "CAF59", by="FOURNISSEUR", letter_reference="1A 234 567 8901 2",
            received_on=date(2024, 9, 15), signal=None,
        )  # fmt: skip
    view = conventions.view(row, date(2024, 9, 16))
    assert (view.status, view.termination_effective_on, view.notice_deadline) == (
        "RESILIATION_NOTIFIEE", date(2024, 12, 15), date(2024, 9, 15),
    )  # fmt: skip
    [notice] = await _events(sessions, "convention.notice.v1")
    assert '"kind":"TERMINATION_RECORDED"' in notice

    async with sessions() as session, session.begin():
        assert await conventions.apply_due(session, date(2024, 12, 14), NOW, None) == 0
        assert await conventions.apply_due(session, date(2024, 12, 15), NOW, None) == 1
    async with sessions() as session:
        statuses = (
            await session.execute(select(accounts.c.status).where(accounts.c.kind == "PROVIDER_AGENT"))
        ).scalars()
        assert sorted(statuses) == ["DESACTIVE", "DESACTIVE"]
    assert len(await _events(sessions, "agent.deactivated.v1")) == 2
    hashing.close()


async def test_the_renewal_reminder_goes_once_before_the_notice_deadline(sessions: SessionFactory) -> None:
    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    await _activated_convention(sessions, hashing, "mairie@escautpont.example")

    async with sessions() as session, session.begin():
        too_early = await conventions.apply_due(session, date(2024, 8, 15), NOW, None)
        due = await conventions.apply_due(session, date(2024, 8, 16), NOW, None)
        again = await conventions.apply_due(session, date(2024, 9, 1), NOW, None)

    assert (too_early, due, again) == (0, 1, 0)
    [reminder] = await _events(sessions, "convention.notice.v1")
    assert '"renewal_on":"2024-12-15"' in reminder
    assert '"notice_deadline":"2024-09-15"' in reminder
    hashing.close()


async def test_only_the_conventions_caf_records_its_termination(sessions: SessionFactory) -> None:
    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    number = await _activated_convention(sessions, hashing, "mairie@escautpont.example")

    with pytest.raises(processing.ProcessingError, match="Aucune convention"):
        async with sessions() as session, session.begin():
            await conventions.record_termination(
                session, number, "CAF02", by="CAF", letter_reference="X", received_on=date(2024, 6, 1), signal=None
            )
    hashing.close()


async def test_an_amendment_adds_and_removes_agents_and_rights_with_its_date(sessions: SessionFactory) -> None:
    from gateway.accounts.services import NewPerson
    from gateway.accounts.tables import account_rights
    from gateway.habilitation.amendments import Amendment, PersonRight, RightChange, record_amendment

    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    number = await _activated_convention(sessions, hashing, "mairie@escautpont.example")
    _, public = generate_key_pair()
    issuing = PasswordIssuing(hashing, public)
    alsh = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2003"
    refused = Amendment(date(2024, 6, 1), "Droits", grants=[RightChange("59-ESC-0001", alsh, "AVAILABILITY")])
    amendment = Amendment(
        signed_on=date(2024, 6, 3),
        subject="Arrivée de la nouvelle directrice de l'accueil de loisirs ; départ de Mme Lefebvre",
        add_persons=[NewPerson("Martin", "Sophie", "Directrice ALSH", "s.martin@escautpont.example")],
        remove_agents=["59-ESC-0002"],
        grants=[RightChange("59-ESC-0001", alsh, "OPERATING_INFO")],
        revokes=[RightChange("59-ESC-0001", MULTI_ACCUEIL, "AVAILABILITY")],
        person_rights=[PersonRight("S.Martin@escautpont.example", alsh, "OPERATING_INFO")],
    )
    to_nobody = Amendment(
        date(2024, 6, 1), "Droits", person_rights=[PersonRight("x@y.example", alsh, "OPERATING_INFO")]
    )

    with pytest.raises(processing.RefusedError) as nobody:
        async with sessions() as session, session.begin():
            await record_amendment(session, number, to_nobody, NORD, issuing=issuing, now=NOW, signal=None)
    with pytest.raises(processing.ProcessingError, match="que les crèches"):
        async with sessions() as session, session.begin():
            await record_amendment(session, number, refused, NORD, issuing=issuing, now=NOW, signal=None)
    async with sessions() as session, session.begin():
        created = await record_amendment(session, number, amendment, NORD, issuing=issuing, now=NOW, signal=None)

    assert [a.identifier for a in created] == ["s.martin.escautpont"]
    async with sessions() as session:
        status = dict((await session.execute(select(accounts.c.agent_number, accounts.c.status))).all())
        rights = sorted((await session.execute(
            select(accounts.c.agent_number, account_rights.c.establishment_id, account_rights.c.right)
            .join(accounts, accounts.c.id == account_rights.c.account_id)
            .where(accounts.c.agent_number.in_(["59-ESC-0001", "59-ESC-0003"]))
        )).all())  # fmt: skip
        convention_id = (await conventions.list_conventions(session, "CAF59", offset=0, limit=10))[0].id
        [recorded] = (await conventions.amendments_of(session, [convention_id]))[convention_id]
    assert status["59-ESC-0002"] == "DESACTIVE"
    assert status["59-ESC-0003"] == "MDP_PROVISOIRE"
    assert rights == [
        ("59-ESC-0001", MULTI_ACCUEIL, "OPERATING_INFO"),
        ("59-ESC-0001", alsh, "OPERATING_INFO"),
        ("59-ESC-0003", alsh, "OPERATING_INFO"),
    ]
    assert [(e.field, e.code) for e in nobody.value.errors] == [("addPersonRights[0].email", "UNKNOWN_PERSON")]
    assert recorded.signed_on == date(2024, 6, 3)
    alsh_info = "« Saisie des modalités de fonctionnement » sur « Accueil de loisirs municipal d'Escautpont »"
    assert recorded.changes == [
        f"Ajout de Sophie Martin (s.martin@escautpont.example) : {alsh_info}",
        "Retrait de Karine Lefebvre (59-ESC-0002)",
        f"Droit {alsh_info} accordé à Marie Dupont (59-ESC-0001)",
        "Droit « Saisie des disponibilités » sur « Multi-accueil Les P'tits Mineurs » retiré à Marie Dupont"
        " (59-ESC-0001)",
    ]
    hashing.close()
