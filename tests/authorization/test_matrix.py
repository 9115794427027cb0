"""S16: every operation and sensitive field of the three GraphQL endpoints (gateway, moderation, notifier) × every
role, run for real against the table ``matrix.toml`` — another provider or another Caf gets no data and has no
effect.

One world per module (the three services in-process on one in-process bus, the gateway behind uvicorn for the
subscription); each cell is named ``service:operation × role``. See ``matrix.toml`` for the roles and outcomes.
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.authorization import matrix
from tests.authorization.gateway_administration import ADMINISTRATION
from tests.authorization.gateway_reads import QUERIES
from tests.authorization.gateway_webhooks import WEBHOOKS
from tests.authorization.gateway_writes import WRITES
from tests.authorization.matrix import Cell
from tests.authorization.moderation_specs import MODERATION
from tests.authorization.notifier_specs import NOTIFIER
from tests.authorization.specs import Answer, Spec
from tests.authorization.tenants import populate
from tests.authorization.world import Identity, World, running_world

SPECS: dict[str, dict[str, Spec]] = {
    "gateway": QUERIES | WRITES | ADMINISTRATION | WEBHOOKS, "moderation": MODERATION, "notifier": NOTIFIER,
}  # fmt: skip


def test_every_operation_and_sensitive_field_of_every_sdl_has_a_row() -> None:
    for service in matrix.SERVICES:
        named = {row.name for row in matrix.rows() if row.service == service}
        assert matrix.operations(service) - named == set(), f"{service}: operations without a row"
        assert matrix.sensitive_fields(service) - named == set(), f"{service}: sensitive fields without a row"


def test_every_row_names_an_operation_or_field_the_sdl_still_has_and_a_way_to_run_it() -> None:
    for row in matrix.rows():
        known = matrix.operations(row.service) if row.field is None else matrix.fields(row.service)
        assert row.name in known, f"{row.service}: {row.name} is no longer in the SDL"
        assert row.via in matrix.operations(row.service), f"{row.service}: {row.name} is read via {row.via}"
        assert row.via in SPECS[row.service], f"{row.service}: no spec runs {row.via}"
        assert set(row.expect.values()) <= {*matrix.GRANTS, *matrix.DENIALS}, f"{row.name}: unknown outcome"
        if "own" in row.expect.values():
            assert SPECS[row.service][row.via].own is not None, f"{row.name}: « own » without an own-only check"
    for service in matrix.SERVICES:
        names = {row.name for row in matrix.rows() if row.service == service}
        assert set(matrix.notes(service)) <= names, f"{service}: a note names no row"
        assert set(SPECS[service]) <= matrix.operations(service), f"{service}: a spec runs no operation"


def test_the_roles_are_the_eight_of_s16_and_the_caf_administrator() -> None:
    assert matrix.roles() == [
        "anonymous",
        "provider_a",
        "provider_b",
        "caf_territory",
        "caf_admin",
        "caf_other",
        "integrator",
        "deactivated",
        "temporary",
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(sqlite_catalogue: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with running_world(sqlite_catalogue, tmp_path_factory.mktemp("s16"), populate) as world:
        yield world


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("cell", matrix.cells(), ids=lambda cell: cell.id)
async def test_s16(world: World, cell: Cell) -> None:
    spec = SPECS[cell.row.service][cell.row.via]
    for identity in world.roles[cell.role]:
        await _run(world, cell, spec, identity)


async def _run(world: World, cell: Cell, spec: Spec, identity: Identity) -> None:
    await world.settle()
    variables = await spec.prepare(world, identity)
    await world.settle()
    before = world.fingerprint()
    if spec.execute is not None:
        body = await spec.execute(world, spec.document, identity, variables)
    else:
        body = await world.gql(cell.row.service, spec.document, identity, variables)
    answer = Answer(world, identity, variables, body, cell.row.via.split(".", 1)[1])
    who = f"{identity.label}: {body}"
    assert world.leaks(identity, body, variables) == [], f"{who} holds another tenant's data"
    if cell.denial is not None:
        _assert_denied(answer, cell.denial, spec, who)
        await world.settle()
        after = world.fingerprint()
        changed = sorted(t for t, digest in after.items() if before.get(t) != digest and t not in spec.audit)
        assert changed == [], f"{identity.label}: denied, yet {changed} changed"
        return
    try:
        assert "errors" not in body, who
        check = spec.own if cell.outcome == "own" else spec.check
        assert check is not None
        await check(answer)
        if cell.row.field is not None:
            _assert_field_returned(answer, cell.row.field)
    finally:
        if spec.after is not None:
            await spec.after(answer)


def _assert_denied(answer: Answer, code: str, spec: Spec, who: str) -> None:
    body = answer.body
    if "closed" in body:
        assert body["closed"] == code, who
        return
    if body.get("errors"):
        assert code in {error.get("extensions", {}).get("code") for error in body["errors"]}, who
        # data is null, or (a nullable root field) holds only null: nothing of the refused answer is given
        assert not any((body.get("data") or {}).values()), f"{who}: an error, yet data"
        return
    assert code in spec.refusal(answer.payload), who


def _assert_field_returned(answer: Answer, field: str) -> None:
    """The field is in the answer whenever the answer has something (an own-only list may rightly be empty)."""
    if answer.payload in (None, [], {}) or (isinstance(answer.payload, dict) and answer.payload.get("edges") == []):
        return
    assert field in _keys(answer.payload), f"{field} missing from {answer.payload}"


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()
