"""How one operation is run in a cell: its document, the target it acts on, and what « allowed » or « own » means."""

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.authorization.world import Identity, World


@dataclass
class Answer:
    world: World
    identity: Identity
    variables: dict[str, Any]
    body: dict[str, Any]
    root: str

    @property
    def payload(self) -> Any:
        return (self.body.get("data") or {}).get(self.root)


Prepare = Callable[[World, Identity], Awaitable[dict[str, Any]]]
Check = Callable[[Answer], Awaitable[None]]
Execute = Callable[[World, str, Identity, dict[str, Any]], Awaitable[dict[str, Any]]]


async def no_variables(_world: World, _identity: Identity) -> dict[str, Any]:
    return {}


async def answered(answer: Answer) -> None:
    assert answer.payload is not None, answer.body


def user_error_codes(payload: Any) -> set[str]:
    """The codes a payload refuses with; every other field of the payload must be empty (no data)."""
    errors = payload.get("userErrors") or []
    codes = {error["code"] if isinstance(error, dict) else error for error in errors}
    leftovers = {key: value for key, value in payload.items() if key != "userErrors" and value not in (None, [], False)}
    assert not leftovers, f"a refused payload carries data: {leftovers}"
    return codes


@dataclass(frozen=True)
class Spec:
    document: str
    prepare: Prepare = no_variables
    """Makes sure the target exists in a state where the allowed role would succeed; returns the variables."""
    check: Check = answered
    """For ``public`` and ``allowed`` cells: the data, and the effect."""
    own: Check | None = None
    """For ``own`` cells: only the caller's tenant's data."""
    after: Check | None = None
    """After a ``public`` or ``allowed`` cell, whatever happens: e.g. sign the caller in again after a logout."""
    refusal: Callable[[Any], set[str]] = user_error_codes
    audit: tuple[str, ...] = ()
    """Tables (``service.table``) a refused call may still write to: the audit trail of the attempt, nothing else."""
    execute: Execute | None = None
    """Instead of a POST to the service's /graphql (the subscription)."""


async def reuse(world: World, key: str, fresh: Callable[[Any], bool], make: Callable[[], Awaitable[Any]]) -> Any:
    """The target kept under ``key`` while ``fresh(target)`` holds (a cell may have used it up), else a new one."""
    target = world.targets.get(key)
    if target is None or not fresh(target):
        target = world.targets[key] = await make()
    return target


def session_id(token: str) -> str:
    """The session (refresh-token family) an access token belongs to."""
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"])


def scalar(world: World, service: str, query: str, *parameters: object) -> Any:
    found = world.rows(service, query, *parameters)
    return found[0][0] if found else None


def column(world: World, service: str, query: str, *parameters: object) -> set[Any]:
    return {row[0] for row in world.rows(service, query, *parameters)}
