"""The Caf administrator role: who holds it (``bootstrap-caf-agent`` makes administrators, an administrator grants
it), what it adds (create, deactivate and promote the Caf's own agents), and what it may never do (act on another
Caf, deactivate itself, leave its Caf without an active administrator). On SQLite and PostgreSQL."""

import asyncio
from typing import Any

from tests.three_services import DEACTIVATE, Services, backend, services

__all__ = ["backend", "services"]

ME = "{ me { agentNumber administrator } }"
SET = """mutation($n: String!, $a: Boolean!) { setCafAdministrator(input: {agentNumber: $n, administrator: $a}) {
  agentNumber userErrors { field code message } } }"""
CREATE = """mutation($l: String!, $f: String!, $e: String!) {
  createCafAgent(input: {lastName: $l, firstName: $f, function: "Agent de la Caf", email: $e}) {
    agentNumber identifier userErrors { field code message } } }"""


def _codes(answer: dict[str, Any], operation: str) -> list[str]:
    return [error["code"] for error in answer["data"][operation]["userErrors"]]


def _denied(answer: dict[str, Any]) -> str:
    assert answer["data"] is None, answer
    return str(answer["errors"][0]["extensions"]["code"])


async def test_an_administrator_creates_an_agent_of_its_caf_who_is_not_an_administrator(services: Services) -> None:
    administrator = await services.caf_agent("Audrey", administrator=True)
    assert (await services.gql("gateway", ME, administrator.token))["data"]["me"]["administrator"] is True

    created = await services.gql("gateway", CREATE, administrator.token, l="Roux", f="Inès", e="i.roux@caf59.example")
    made = created["data"]["createCafAgent"]
    assert made["userErrors"] == []
    assert made["agentNumber"].startswith("CAF59-")

    token = await services.sign_in(made["identifier"])
    assert (await services.gql("gateway", ME, token))["data"]["me"] == {
        "agentNumber": made["agentNumber"],
        "administrator": False,
    }
    bad = await services.gql("gateway", CREATE, administrator.token, l=" ", f="Inès", e="i.roux@caf59.example\r\nBcc:")
    assert _codes(bad, "createCafAgent") == ["REQUIRED"]


async def test_an_agent_who_is_not_an_administrator_may_do_none_of_it(services: Services) -> None:
    agent = await services.caf_agent("Inès")
    other = await services.caf_agent("Paul")

    assert _denied(await services.gql("gateway", DEACTIVATE, agent.token, n=other.agent_number, r="Départ")) == (
        "FORBIDDEN"
    )
    assert _denied(await services.gql("gateway", SET, agent.token, n=agent.agent_number, a=True)) == "FORBIDDEN"
    assert _denied(await services.gql("gateway", CREATE, agent.token, l="X", f="Y", e="x.y@caf59.example")) == (
        "FORBIDDEN"
    )
    assert (await services.gql("gateway", ME, other.token))["data"]["me"]["administrator"] is False


async def test_an_administrator_acts_on_its_own_caf_only_and_never_deactivates_itself(services: Services) -> None:
    administrator = await services.caf_agent("Audrey", administrator=True)
    elsewhere = await services.caf_agent("Paul", caf="CAF62")

    another_caf = await services.gql("gateway", DEACTIVATE, administrator.token, n=elsewhere.agent_number, r="Départ")
    itself = await services.gql("gateway", DEACTIVATE, administrator.token, n=administrator.agent_number, r="Départ")
    no_reason = await services.gql("gateway", DEACTIVATE, administrator.token, n=elsewhere.agent_number, r="  ")

    assert _codes(another_caf, "deactivateCafAgent") == ["NOT_FOUND"]
    assert _codes(itself, "deactivateCafAgent") == ["SELF"]
    assert _codes(no_reason, "deactivateCafAgent") == ["REQUIRED"]
    assert "errors" not in await services.gql("gateway", ME, elsewhere.token)  # still active
    promote = await services.gql("gateway", SET, administrator.token, n=elsewhere.agent_number, a=True)
    assert _codes(promote, "setCafAdministrator") == ["NOT_FOUND"]


async def test_the_caf_always_keeps_an_active_administrator(services: Services) -> None:
    audrey = await services.caf_agent("Audrey", administrator=True)
    ines = await services.caf_agent("Inès")

    alone = await services.gql("gateway", SET, audrey.token, n=audrey.agent_number, a=False)
    assert _codes(alone, "setCafAdministrator") == ["LAST_ADMINISTRATOR"]

    granted = await services.gql("gateway", SET, audrey.token, n=ines.agent_number, a=True)
    assert granted["data"]["setCafAdministrator"]["userErrors"] == []
    withdrawn = await services.gql("gateway", SET, ines.token, n=audrey.agent_number, a=False)
    assert withdrawn["data"]["setCafAdministrator"]["userErrors"] == []

    # The withdrawal acts at once: Audrey's token still says administrator, the database no longer does.
    assert _denied(await services.gql("gateway", SET, audrey.token, n=ines.agent_number, a=False)) == "FORBIDDEN"
    last = await services.gql("gateway", SET, ines.token, n=ines.agent_number, a=False)
    assert _codes(last, "setCafAdministrator") == ["LAST_ADMINISTRATOR"]
    assert (await services.gql("gateway", ME, ines.token))["data"]["me"]["administrator"] is True
    assert (await services.gql("gateway", ME, audrey.token))["data"]["me"]["administrator"] is False


async def test_two_administrators_withdrawing_each_other_at_once_leave_one(services: Services) -> None:
    audrey = await services.caf_agent("Audrey", administrator=True)
    ines = await services.caf_agent("Inès", administrator=True)

    answers = await asyncio.gather(
        services.gql("gateway", SET, audrey.token, n=ines.agent_number, a=False),
        services.gql("gateway", SET, ines.token, n=audrey.agent_number, a=False),
    )

    outcomes = sorted(tuple(_outcome(answer)) for answer in answers)
    assert outcomes[0] == (), outcomes
    assert outcomes[1] in {("FORBIDDEN",), ("LAST_ADMINISTRATOR",)}, outcomes
    roles = [(await services.gql("gateway", ME, who.token))["data"]["me"]["administrator"] for who in (audrey, ines)]
    assert sorted(roles) == [False, True]


def _outcome(answer: dict[str, Any]) -> list[str]:
    if answer.get("errors"):
        return [str(error["extensions"]["code"]) for error in answer["errors"]]
    return _codes(answer, "setCafAdministrator")
