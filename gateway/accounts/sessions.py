"""Login, refresh, logout and password change. One transaction each; the caller commits.

* The answer to a failed login is the same whether the identifier exists or not (a dummy argon2 verify keeps the
  time the same too), and failures are throttled per identifier and per address, with a progressive delay.
* A generated password is single use and expires; a session opened with it may only change the password.
* Refresh tokens are random, stored as digests, rotated at each use; presenting a used one again revokes its
  whole family (it was stolen, or replayed).
"""

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.password_context import structure_words
from gateway.accounts.passwords import PasswordPolicy, PolicyViolation
from gateway.accounts.tables import accounts, connection_log, refresh_tokens
from gateway.accounts.tokens import Claims, TokenSigner

INVALID_CREDENTIALS = "Identifiant ou mot de passe incorrect."
THROTTLED = "Trop de tentatives infructueuses : réessayez dans une heure ou réinitialisez votre mot de passe."


@dataclass(frozen=True)
class Client:
    address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class SessionTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    must_change_password: bool


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    field: str = "password"


@dataclass(frozen=True)
class Authenticator:
    hashing: PasswordHashing
    signer: TokenSigner
    policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    refresh_lifetime: timedelta = timedelta(hours=12)
    failures_per_identifier: int = 20
    failures_per_address: int = 100
    delay_base_seconds: float = 0.25


async def login(
    session: AsyncSession, auth: Authenticator, identifier: str, password: str, client: Client, now: datetime
) -> SessionTokens | Refusal:
    failures = await _recent_failures(session, identifier, client, now)
    if failures[0] >= auth.failures_per_identifier or failures[1] >= auth.failures_per_address:
        await _log(session, None, identifier, "LOGIN_THROTTLED", client, now)
        return Refusal("THROTTLED", THROTTLED)
    await asyncio.sleep(_delay(auth, failures[0]))
    account = (await session.execute(select(accounts).where(accounts.c.identifier == identifier))).first()
    stored_hash = account.password_hash if account is not None and account.status != "DESACTIVE" else None
    matches = await auth.hashing.verify(stored_hash, password)
    if account is None or not matches or _expired(account, now):
        await _log(session, account.id if account else None, identifier, "LOGIN_FAILED", client, now)
        return Refusal("INVALID_CREDENTIALS", INVALID_CREDENTIALS)
    await _log(session, account.id, identifier, "LOGIN_OK", client, now)
    if auth.hashing.needs_rehash(account.password_hash):
        new_hash = await auth.hashing.hash(password)
        await session.execute(update(accounts).where(accounts.c.id == account.id).values(password_hash=new_hash))
    return await _open_session(session, auth, account, str(uuid.uuid4()), now)


def _delay(auth: Authenticator, failures: int) -> float:
    return 0.0 if failures < 3 else min(auth.delay_base_seconds * 2 ** (failures - 3), 8.0)


def _expired(account: Any, now: datetime) -> bool:
    expires = account.password_expires_at
    return bool(account.password_temporary and expires is not None and _utc(expires) < now)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _recent_failures(session: AsyncSession, identifier: str, client: Client, now: datetime) -> tuple[int, int]:
    since = now - timedelta(hours=1)
    failed = connection_log.c.event == "LOGIN_FAILED"
    by_identifier = await session.scalar(
        select(func.count()).where(failed, connection_log.c.identifier == identifier, connection_log.c.at >= since)
    )
    by_address = 0
    if client.address:
        by_address = (
            await session.scalar(
                select(func.count()).where(
                    failed, connection_log.c.address == client.address, connection_log.c.at >= since
                )
            )
            or 0
        )
    return int(by_identifier or 0), int(by_address)


async def _open_session(
    session: AsyncSession, auth: Authenticator, account: Any, family_id: str, now: datetime
) -> SessionTokens:
    refresh = secrets.token_urlsafe(32)
    await session.execute(
        refresh_tokens.insert().values(
            id=str(uuid.uuid4()), family_id=family_id, account_id=account.id, token_digest=_digest(refresh),
            issued_at=now, expires_at=now + auth.refresh_lifetime,
        )
    )  # fmt: skip
    claims = Claims(
        account_id=account.id, session_id=family_id, kind=account.kind, agent_number=account.agent_number,
        caf_code=account.caf_code, provider_id=account.provider_id, temporary=account.password_temporary,
        expires_at=0,
    )  # fmt: skip
    return SessionTokens(auth.signer.issue(claims), refresh, auth.signer.lifetime_seconds, account.password_temporary)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def refresh_session(
    session: AsyncSession, auth: Authenticator, refresh_token: str, client: Client, now: datetime
) -> SessionTokens | Refusal:
    row = (
        await session.execute(select(refresh_tokens).where(refresh_tokens.c.token_digest == _digest(refresh_token)))
    ).first()
    refused = Refusal("INVALID_REFRESH_TOKEN", "Session expirée : reconnectez-vous.", "refreshToken")
    if row is None:
        return refused
    if row.used_at is not None or row.revoked_at is not None:
        await revoke_family(session, row.family_id, now)
        await _log(session, row.account_id, "-", "REFRESH_REUSED", client, now)
        return refused
    account = (await session.execute(select(accounts).where(accounts.c.id == row.account_id))).one()
    if _utc(row.expires_at) < now or account.status == "DESACTIVE":
        return refused
    await session.execute(update(refresh_tokens).where(refresh_tokens.c.id == row.id).values(used_at=now))
    return await _open_session(session, auth, account, row.family_id, now)


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def logout(session: AsyncSession, claims: Claims, client: Client, now: datetime) -> None:
    await revoke_family(session, claims.session_id, now)
    await _log(session, claims.account_id, claims.agent_number, "LOGOUT", client, now)


async def change_password(
    session: AsyncSession,
    auth: Authenticator,
    claims: Claims,
    current: str,
    new: str,
    client: Client,
    now: datetime,
) -> SessionTokens | list[Refusal]:
    """Replace the password (the generated one at first login); every other session of the account ends."""
    account = (await session.execute(select(accounts).where(accounts.c.id == claims.account_id))).one()
    if not await auth.hashing.verify(account.password_hash, current):
        return [Refusal("INVALID_CREDENTIALS", "Le mot de passe actuel est incorrect.", "currentPassword")]
    names = (account.last_name, account.first_name)
    context = await structure_words(session, account)
    problems = await auth.policy.check(new, identifier=account.identifier, names=names, context=context)
    if new == current:
        problems.append(PolicyViolation("SAME_PASSWORD", "Choisissez un mot de passe différent de l'actuel."))
    if problems:
        return [Refusal(p.code, p.message, "newPassword") for p in problems]
    await session.execute(
        update(accounts).where(accounts.c.id == account.id).values(
            password_hash=await auth.hashing.hash(new), password_temporary=False, password_expires_at=None,
            password_changed_at=now, status="ACTIF",
        )
    )  # fmt: skip
    await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.account_id == account.id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await _log(session, account.id, account.identifier, "PASSWORD_CHANGED", client, now)
    updated = (await session.execute(select(accounts).where(accounts.c.id == account.id))).one()
    return await _open_session(session, auth, updated, str(uuid.uuid4()), now)


RESET_SENT = (
    "Si cet identifiant correspond à un compte actif, un nouveau mot de passe provisoire vient d'être envoyé "
    "à l'adresse électronique enregistrée."
)
RESETS_PER_HOUR = 5


async def request_password_reset(
    session: AsyncSession, identifier: str, client: Client, now: datetime, reset: Any
) -> None:
    """Send a new generated password if the identifier is an active account's — never say whether it is.

    ``reset`` issues the password (``accounts.services.reset_password`` with its dependencies bound). At most
    ``RESETS_PER_HOUR`` resets per identifier are carried out; beyond, the answer is the same and nothing is sent.
    """
    since = now - timedelta(hours=1)
    recent = await session.scalar(
        select(func.count()).where(
            connection_log.c.event == "RESET_REQUESTED", connection_log.c.identifier == identifier,
            connection_log.c.at >= since,
        )
    )  # fmt: skip
    await _log(session, None, identifier, "RESET_REQUESTED", client, now)
    if int(recent or 0) >= RESETS_PER_HOUR:
        return
    if await reset(session, identifier):
        account_id = await session.scalar(select(accounts.c.id).where(accounts.c.identifier == identifier))
        await _log(session, account_id, identifier, "PASSWORD_RESET", client, now)


async def active_session(session: AsyncSession, claims: Claims) -> bool:
    """Whether the token's account is still active and its session not revoked (checked on every request)."""
    account_ok = await session.scalar(
        select(accounts.c.id).where(accounts.c.id == claims.account_id, accounts.c.status != "DESACTIVE")
    )
    revoked = await session.scalar(
        select(func.count()).where(
            refresh_tokens.c.family_id == claims.session_id, refresh_tokens.c.revoked_at.is_not(None)
        )
    )
    return account_ok is not None and not revoked


async def log_entry(session: AsyncSession, claims: Claims, event: str, client: Client, now: datetime) -> None:
    """Record an agent's entry (« SAISIE_DISPONIBILITES », « SAISIE_MODALITES ») in the connection log."""
    await _log(session, claims.account_id, claims.agent_number, event, client, now)


async def _log(
    session: AsyncSession, account_id: str | None, identifier: str, event: str, client: Client, now: datetime
) -> None:
    await session.execute(
        connection_log.insert().values(
            id=str(uuid.uuid4()), account_id=account_id, identifier=identifier[:100], event=event, at=now,
            address=client.address, user_agent=(client.user_agent or "")[:300] or None,
        )
    )  # fmt: skip
