"""An amendment's refusals come all at once, each at the path of its input (SQLite and PostgreSQL)."""

from datetime import date

import pytest
from sqlalchemy import select

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import PasswordIssuing
from gateway.accounts.tables import account_rights, accounts
from gateway.habilitation.amendments import Amendment, AmendmentRefusedError, RightChange, record_amendment
from shared.db import SessionFactory
from shared.sealing import generate_key_pair
from tests.integration.test_conventions import MULTI_ACCUEIL, NORD, NOW, _activated_convention, sessions

__all__ = ["sessions"]
ALSH = "5a0c3e1e-59a7-4c1b-9f30-0e2e4b7c2003"
UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_every_reason_is_reported_with_its_path_and_nothing_is_recorded(sessions: SessionFactory) -> None:
    hashing = PasswordHashing(memory_kib=8, time_cost=1)
    number = await _activated_convention(sessions, hashing, "mairie@escautpont.example")
    amendment = Amendment(
        date(2024, 6, 1), " ", remove_agents=["59-ESC-0009"],
        grants=[RightChange("59-ESC-0001", ALSH, "AVAILABILITY"),
                RightChange("59-ESC-0008", UNKNOWN, "OPERATING_INFO")],
        revokes=[RightChange("59-ESC-0001", MULTI_ACCUEIL, "EVERYTHING")],
    )  # fmt: skip
    async with sessions() as session:
        before = (await session.execute(select(account_rights))).all()

    with pytest.raises(AmendmentRefusedError) as refused:
        async with sessions() as session, session.begin():
            await record_amendment(
                session, number, amendment, NORD, issuing=PasswordIssuing(hashing, generate_key_pair()[1]), now=NOW,
                signal=None,
            )  # fmt: skip

    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("subject", "REQUIRED"),
        ("removeAgents[0]", "UNKNOWN_AGENT"),
        ("grant[1].agentNumber", "UNKNOWN_AGENT"),
        ("revoke[0].right", "UNKNOWN_RIGHT"),
        ("grant[0].establishmentId", "NOT_EAJE"),
        ("grant[1].establishmentId", "UNKNOWN_ESTABLISHMENT"),
    ]
    async with sessions() as session:
        assert (await session.execute(select(account_rights))).all() == before
        assert "DESACTIVE" not in set((await session.scalars(select(accounts.c.status))).all())
