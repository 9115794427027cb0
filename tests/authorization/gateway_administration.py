"""The S16 specs of the Caf administrators' mutations: create, deactivate and promote the Caf du Nord's agents."""

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from gateway.accounts import services as accounts
from gateway.accounts.services import NewPerson
from tests.authorization.specs import Answer, Spec, reuse, scalar
from tests.authorization.world import Identity, World

_serial = itertools.count(1)


async def _caf59_agent(world: World) -> str:
    """A new agent of the Caf du Nord, not an administrator: its agent number."""
    async with world.transaction() as session:
        made = await accounts.bootstrap_caf_agent(
            session, NewPerson(f"Agent{next(_serial)}", "Caf", "Caf", f"caf{uuid.uuid4().hex[:6]}@caf59.example"),
            caf_code="CAF59", issuing=world.issuing, now=datetime.now(UTC), administrator=False,
        )  # fmt: skip
    world.mark("CAF59", made.identifier, made.agent_number)
    return made.agent_number


def _account(world: World, number: str, column: str) -> Any:
    return scalar(world, "gateway", f"SELECT {column} FROM accounts WHERE agent_number = ?", number)


async def _to_deactivate(world: World, _identity: Identity) -> dict[str, Any]:
    def fresh(number: str) -> bool:
        return bool(_account(world, number, "status") != "DESACTIVE")

    return {"n": await reuse(world, "deactivate caf agent", fresh, lambda: _caf59_agent(world)), "r": "Départ"}


async def _deactivated(answer: Answer) -> None:
    assert answer.payload == {"agentNumber": answer.variables["n"], "userErrors": []}
    assert _account(answer.world, answer.variables["n"], "status") == "DESACTIVE"


async def _to_promote(world: World, _identity: Identity) -> dict[str, Any]:
    def fresh(number: str) -> bool:
        return not _account(world, number, "caf_administrator")

    return {"n": await reuse(world, "promote caf agent", fresh, lambda: _caf59_agent(world)), "a": True}


async def _promoted(answer: Answer) -> None:
    assert answer.payload == {"agentNumber": answer.variables["n"], "userErrors": []}
    assert _account(answer.world, answer.variables["n"], "caf_administrator")


async def _new_person(_world: World, _identity: Identity) -> dict[str, Any]:
    return {"l": f"Nouveau{next(_serial)}", "e": f"new{uuid.uuid4().hex[:6]}@caf.example"}


async def _created(answer: Answer) -> None:
    number = answer.payload["agentNumber"]
    assert answer.payload["userErrors"] == [], answer.body
    assert answer.payload["identifier"], answer.body
    assert _account(answer.world, number, "caf_code") == answer.identity.caf  # its own Caf, never another
    assert _account(answer.world, number, "kind") == "CAF_AGENT"
    assert not _account(answer.world, number, "caf_administrator")


ADMINISTRATION: dict[str, Spec] = {
    "Mutation.deactivateCafAgent": Spec(
        """mutation($n: String!, $r: String!) { deactivateCafAgent(input: {agentNumber: $n, reason: $r}) {
      agentNumber userErrors { code } } }""",
        _to_deactivate,
        _deactivated,
    ),
    "Mutation.setCafAdministrator": Spec(
        """mutation($n: String!, $a: Boolean!) { setCafAdministrator(input: {agentNumber: $n, administrator: $a}) {
      agentNumber userErrors { code } } }""",
        _to_promote,
        _promoted,
    ),
    "Mutation.createCafAgent": Spec(
        """mutation($l: String!, $e: String!) { createCafAgent(input: {lastName: $l, firstName: "Camille",
      function: "Agent de la Caf", email: $e}) { agentNumber identifier userErrors { code } } }""",
        _new_person,
        _created,
    ),
}
