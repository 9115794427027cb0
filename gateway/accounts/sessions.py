"""Login, refresh, logout and password change. One transaction each; the caller commits.

* The answer to a failed login is the same whether the identifier exists or not (a dummy argon2 verify keeps the
  work the same too). Attempts are counted before the password is checked, per (identifier, address) pair and per
  address, with a progressive delay; the owner elsewhere is slowed down at most, never locked out.
* A reset's generated password waits beside the current one (``pending_password_*``): the first login with it
  makes it the (temporary) password; until then the current one keeps working.
* A generated password is single use and expires; a session opened with it may only change the password.
* Refresh tokens are random, stored as digests, rotated at each use; presenting a used one again revokes its
  whole family (it was stolen, or replayed).
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.accounts import throttling
from gateway.accounts.hashing import PasswordHashing
from gateway.accounts.password_context import structure_words
from gateway.accounts.passwords import PasswordPolicy, PolicyViolation
from gateway.accounts.revocations import announce_revoked, revoke_account_sessions
from gateway.accounts.states import AccountStatus, ConnectionEvent, RevocationReason
from gateway.accounts.tables import accounts, connection_log, refresh_tokens
from gateway.accounts.tokens import Claims, TokenSigner

INVALID_CREDENTIALS = "Identifiant ou mot de passe incorrect."
THROTTLED = (
    "Trop de tentatives infructueuses depuis cette adresse : réessayez dans une heure ou réinitialisez votre mot de "
    "passe."
)
IDENTIFIER_SPREAD = 5
"""Failures on one identifier from every address count one fifth towards its delay (a slow-down, never a refusal)."""


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
    failures_per_pair: int = 20
    failures_per_address: int = 100
    delay_base_seconds: float = 0.25


@dataclass(frozen=True)
class Attempt:
    """A login attempt already counted against the limits; wait ``delay`` seconds before checking its password."""

    delay: float


async def reserve_login(
    session: AsyncSession, auth: Authenticator, identifier: str, client: Client, now: datetime
) -> Attempt | Refusal:
    """Count the attempt first (its own transaction, committed before the slow check): parallel guesses each see
    the ones before them. Refused per (identifier, address) pair and per address, never per identifier alone: a
    guesser elsewhere only slows the owner down."""
    counts = await throttling.reserve_attempt(session, identifier, client.address, now)
    if counts.pair > auth.failures_per_pair or counts.address > auth.failures_per_address:
        await _log(session, None, identifier, ConnectionEvent.LOGIN_THROTTLED, client, now)
        return Refusal("THROTTLED", THROTTLED)
    failures = max(counts.pair - 1, (counts.identifier - 1) // IDENTIFIER_SPREAD)
    return Attempt(_delay(auth, failures))


async def login(
    session: AsyncSession, auth: Authenticator, identifier: str, password: str, client: Client, now: datetime
) -> SessionTokens | Refusal:
    """Check an attempt :func:`reserve_login` let through. Known and unknown identifiers, with or without a pending
    reset, do the same work: one argon2 verify and one digest comparison."""
    account: Any = (await session.execute(select(accounts).where(accounts.c.identifier == identifier))).first()
    usable = account is not None and account.status != AccountStatus.DESACTIVE
    matches = await auth.hashing.verify(account.password_hash if usable else None, password)
    pending = auth.hashing.matches_generated(_pending_digest(account, now) if usable else None, password)
    if account is None or not usable or not (pending or (matches and not _expired(account, now))):
        await _log(session, account.id if account else None, identifier, ConnectionEvent.LOGIN_FAILED, client, now)
        return Refusal("INVALID_CREDENTIALS", INVALID_CREDENTIALS)
    return await _signed_in(session, auth, account, password, client, now, promote=pending and not matches)


async def _signed_in(
    session: AsyncSession,
    auth: Authenticator,
    account: Any,
    password: str,
    client: Client,
    now: datetime,
    *,
    promote: bool,
) -> SessionTokens:
    if promote:
        # The old password stops here, and so do the sessions it opened.
        await revoke_account_sessions(session, account.id, now, RevocationReason.PASSWORD_RESET)
        account = await _promote_pending(session, auth, account, password)
    elif auth.hashing.needs_rehash(account.password_hash):
        new_hash = await auth.hashing.hash(password)
        await session.execute(update(accounts).where(accounts.c.id == account.id).values(password_hash=new_hash))
    await throttling.release_attempt(session, account.identifier, client.address)
    await _log(session, account.id, account.identifier, ConnectionEvent.LOGIN_OK, client, now)
    return await _open_session(session, auth, account, str(uuid.uuid4()), now)


def _pending_digest(account: Any, now: datetime) -> str | None:
    expires = account.pending_password_expires_at
    if account.pending_password_digest is None or expires is None or _utc(expires) < now:
        return None
    return str(account.pending_password_digest)


async def _promote_pending(session: AsyncSession, auth: Authenticator, account: Any, password: str) -> Any:
    """The reset's generated password becomes the password (temporary: to be changed); the old one stops."""
    await session.execute(
        update(accounts)
        .where(accounts.c.id == account.id)
        .values(
            password_hash=await auth.hashing.hash(password),
            password_temporary=True,
            password_expires_at=account.pending_password_expires_at,
            pending_password_digest=None,
            pending_password_expires_at=None,
            status=AccountStatus.MDP_PROVISOIRE,
        )
    )
    return (await session.execute(select(accounts).where(accounts.c.id == account.id))).one()


def _delay(auth: Authenticator, failures: int) -> float:
    return 0.0 if failures < 3 else min(auth.delay_base_seconds * 2 ** (failures - 3), 8.0)


def _expired(account: Any, now: datetime) -> bool:
    expires = account.password_expires_at
    return bool(account.password_temporary and expires is not None and _utc(expires) < now)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
        expires_at=0, administrator=account.caf_administrator,
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
    account = (await session.execute(select(accounts).where(accounts.c.id == row.account_id))).one()
    if row.used_at is None and (_utc(row.expires_at) < now or account.status == AccountStatus.DESACTIVE):
        return refused
    if not await _claim_refresh_token(session, row.id, now):
        await revoke_family(session, row.family_id, now)
        await _log(session, row.account_id, "-", ConnectionEvent.REFRESH_REUSED, client, now)
        return refused
    return await _open_session(session, auth, account, row.family_id, now)


async def _claim_refresh_token(session: AsyncSession, token_id: str, now: datetime) -> bool:
    """Mark the token used if nobody has: a compare-and-set, so of parallel uses exactly one wins (PostgreSQL
    re-checks the condition after the winner commits; SQLite has a single writer); every other one is a replay."""
    result = await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
        .where(refresh_tokens.c.revoked_at.is_(None))
        .values(used_at=now)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def revoke_family(
    session: AsyncSession, family_id: str, now: datetime, reason: RevocationReason = RevocationReason.REFRESH_REPLAYED
) -> None:
    revoked = await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(refresh_tokens.c.account_id)
    )
    account_ids = set(revoked.scalars())
    for account_id in account_ids:  # none when the family had already ended: it was announced then
        await announce_revoked(session, account_id, family_id, reason, now)


async def logout(session: AsyncSession, claims: Claims, client: Client, now: datetime) -> None:
    await revoke_family(session, claims.session_id, now, RevocationReason.LOGOUT)
    await _log(session, claims.account_id, claims.agent_number, ConnectionEvent.LOGOUT, client, now)


async def password_problems(
    session: AsyncSession, auth: Authenticator, claims: Claims, candidate: str
) -> list[Refusal]:
    """What the policy says of ``candidate`` as this person's next password, without changing anything."""
    account = (await session.execute(select(accounts).where(accounts.c.id == claims.account_id))).one()
    context = await structure_words(session, account)
    names = (account.last_name, account.first_name)
    problems = await auth.policy.check(candidate, identifier=account.identifier, names=names, context=context)
    return [Refusal(p.code, p.message, "newPassword") for p in problems]


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
            password_changed_at=now, status=AccountStatus.ACTIF,
        )
    )  # fmt: skip
    await revoke_account_sessions(session, account.id, now, RevocationReason.PASSWORD_CHANGED)
    await _log(session, account.id, account.identifier, ConnectionEvent.PASSWORD_CHANGED, client, now)
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

    ``reset`` issues the password (``accounts.services.reset_password`` with its dependencies bound) and returns the
    account's id or None. At most ``RESETS_PER_HOUR`` resets per identifier are carried out; beyond, the answer is
    the same and nothing is sent. One log line either way (``PASSWORD_RESET`` names the account).
    """
    since = now - timedelta(hours=1)
    recent = await session.scalar(
        select(func.count()).where(
            connection_log.c.event.in_((ConnectionEvent.RESET_REQUESTED, ConnectionEvent.PASSWORD_RESET)),
            connection_log.c.identifier == identifier[:100],
            connection_log.c.at >= since,
        )
    )
    account_id = None if int(recent or 0) >= RESETS_PER_HOUR else await reset(session, identifier)
    event = ConnectionEvent.RESET_REQUESTED if account_id is None else ConnectionEvent.PASSWORD_RESET
    await _log(session, account_id, identifier, event, client, now)


async def active_session(session: AsyncSession, claims: Claims) -> bool:
    """Whether the token's account is still active and its session not revoked (checked on every request)."""
    account_ok = await session.scalar(
        select(accounts.c.id).where(accounts.c.id == claims.account_id, accounts.c.status != AccountStatus.DESACTIVE)
    )
    revoked = await session.scalar(
        select(func.count()).where(
            refresh_tokens.c.family_id == claims.session_id, refresh_tokens.c.revoked_at.is_not(None)
        )
    )
    return account_ok is not None and not revoked


async def log_entry(
    session: AsyncSession, claims: Claims, event: ConnectionEvent, client: Client, now: datetime
) -> None:
    """Record an agent's entry (« SAISIE_DISPONIBILITES », « SAISIE_MODALITES ») in the connection log."""
    await _log(session, claims.account_id, claims.agent_number, event, client, now)


async def _log(
    session: AsyncSession,
    account_id: str | None,
    identifier: str,
    event: ConnectionEvent,
    client: Client,
    now: datetime,
) -> None:
    await session.execute(
        connection_log.insert().values(
            id=str(uuid.uuid4()), account_id=account_id, identifier=identifier[:100], event=event, at=now,
            address=client.address, user_agent=(client.user_agent or "")[:300] or None,
        )
    )  # fmt: skip
