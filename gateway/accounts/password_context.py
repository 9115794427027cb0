"""The words of a person's structure a guesser would try first: read for the password policy's estimator."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.tables import account_rights
from gateway.catalogue.lookups import get_caf_label, get_structure_words

_MAX_ESTABLISHMENTS = 20  # a large provider's names add little past the person's own; the query stays small


async def structure_words(session: AsyncSession, account: Any) -> list[str]:
    """The provider's name and commune, its establishments' names and communes (the person's own first), and the
    Caf's code and label."""
    words: list[str] = []
    if account.provider_id is not None:
        own = select(account_rights.c.establishment_id).where(account_rights.c.account_id == account.id)
        words += await get_structure_words(session, account.provider_id, first=own, limit=_MAX_ESTABLISHMENTS)
    if account.caf_code is not None:
        words += [account.caf_code, await get_caf_label(session, account.caf_code) or ""]
    return list(dict.fromkeys(word for word in words if word))
