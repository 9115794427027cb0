"""``structures load``: fill the gateway's catalogue with reference data, the Nord demo or the national dataset."""

import logging

from gateway.catalogue.demo import load_demo
from gateway.catalogue.reference_data import load_reference_data
from gateway.settings import GatewaySettings
from shared.db import create_engine, create_session_factory, upgrade_database

log = logging.getLogger(__name__)


async def load_dataset(settings: GatewaySettings, dataset: str, *, scale: float = 1.0, seed: int = 59207) -> None:
    from gateway.app import SPEC

    await upgrade_database(SPEC.migrations, settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            if await load_reference_data(session):
                log.info("reference data loaded (Caf, départements, communes)")
        if dataset == "demo":
            async with sessions() as session, session.begin():
                loaded = await load_demo(session)
            log.info("Nord demo %s", "loaded" if loaded else "already there: the catalogue is not empty")
        elif dataset == "national":
            from gateway.catalogue.national import load_national

            await load_national(engine, scale=scale, seed=seed)
    finally:
        await engine.dispose()
