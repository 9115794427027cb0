"""The words of a person's structure a guesser would try first: read for the password policy's estimator."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tables import account_rights
from gateway.catalogue.tables import cafs, communes, establishments, providers

_MAX_ESTABLISHMENTS = 20  # a large provider's names add little past the person's own; the query stays small


async def structure_words(session: AsyncSession, account: Any) -> list[str]:
    """The provider's name and commune, its establishments' names and communes (the person's own first), and the
    Caf's code and label."""
    words: list[str] = []
    if account.provider_id is not None:
        provider = (
            await session.execute(
                select(providers.c.name, communes.c.name.label("commune"))
                .select_from(providers.outerjoin(communes, communes.c.insee == providers.c.commune_insee))
                .where(providers.c.id == account.provider_id)
            )
        ).first()
        if provider is not None:
            words += [provider.name, provider.commune or ""]
        own = select(account_rights.c.establishment_id).where(account_rights.c.account_id == account.id)
        places = await session.execute(
            select(establishments.c.name, communes.c.name.label("commune"))
            .join(communes, communes.c.insee == establishments.c.commune_insee)
            .where(establishments.c.provider_id == account.provider_id)
            .order_by(establishments.c.id.in_(own).desc(), establishments.c.name)
            .limit(_MAX_ESTABLISHMENTS)
        )
        words += [word for place in places for word in (place.name, place.commune)]
    if account.caf_code is not None:
        label = (await session.execute(select(cafs.c.label).where(cafs.c.code == account.caf_code))).scalar()
        words += [account.caf_code, label or ""]
    return list(dict.fromkeys(word for word in words if word))
