"""``structures bootstrap-caf-agent``: the first Caf agent of a Caf (no default password anywhere)."""

import argparse
from datetime import UTC, datetime, timedelta

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.services import CreatedAccount, NewPerson, PasswordIssuing
from gateway.accounts.services import bootstrap_caf_agent as create_first_agent
from gateway.settings import GatewaySettings
from shared.db import create_engine, create_session_factory, upgrade_database
from shared.errors import ConfigurationError


async def bootstrap_caf_agent(settings: GatewaySettings, args: argparse.Namespace) -> CreatedAccount:
    from gateway.app import SPEC

    if not settings.notifier_public_key:
        raise ConfigurationError("GATEWAY_NOTIFIER_PUBLIC_KEY is required to issue passwords (see `structures keys`)")
    await upgrade_database(SPEC.migrations, settings.database_url)
    engine = create_engine(settings.database_url)
    hashing = PasswordHashing()
    issuing = PasswordIssuing(hashing, settings.notifier_public_key, timedelta(hours=settings.password_lifetime_hours))
    person = NewPerson(last_name=args.last_name, first_name=args.first_name, function=args.function, email=args.email)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await create_first_agent(session, person, caf_code=args.caf, issuing=issuing, now=datetime.now(UTC))
    finally:
        hashing.close()
        await engine.dispose()
