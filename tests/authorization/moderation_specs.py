"""The moderation service's operations, as S16 cells run them: every item a cell acts on is a real submission of
provider A, queued through the bus, in the state where the Caf du Nord's moderator would succeed."""

from typing import Any

from gateway.catalogue.demo import MULTI_ACCUEIL
from shared.relay import from_global_id, to_global_id
from tests.authorization.specs import Answer, Check, Spec, column, reuse, scalar
from tests.authorization.tenants import submit
from tests.authorization.world import Identity, World

CLAIM = """mutation($id: ID!, $v: Int!) { claimReviewItem(id: $id, rowVersion: $v) { item { id status claimedBy }
  userErrors { code } } }"""
ITEM = """item { id status claimedBy submittedBy reasons { code label }
  history { edges { node { action agentNumber } } } } userErrors { field code message }"""


def _key(global_id: str) -> str:
    """The ``review_items`` row a review item's global ID names."""
    kind, key = from_global_id(global_id)
    assert kind == "ReviewItem", global_id
    return key


def _item(world: World, item_id: str) -> tuple[Any, ...]:
    [row] = world.rows(
        "moderation", "SELECT status, claimed_by, row_version, flag_count FROM review_items WHERE id = ?", _key(item_id)
    )
    return tuple(row)


async def _new_item(world: World, *, claimed: Identity | None) -> str:
    """A new submission of Marie's in the queue of the Caf du Nord, claimed by ``claimed`` if given."""
    submission = await submit(world, "A", world.people["marie"], MULTI_ACCUEIL)
    await world.settle()
    item_id = str(scalar(world, "moderation", "SELECT id FROM review_items WHERE submission_id = ?", submission))
    global_id = to_global_id("ReviewItem", item_id)
    world.mark("CAF59", item_id)
    world.mark("CAF59", global_id)
    if claimed:
        answer = await world.gql("moderation", CLAIM, claimed, {"id": global_id, "v": 1})
        assert answer["data"]["claimReviewItem"]["userErrors"] == [], answer
    return global_id


async def _item_for(world: World, key: str, *, claimed: Identity | None) -> dict[str, Any]:
    moderator = claimed.agent_number if claimed else None

    def fresh(item_id: str) -> bool:
        status, claimed_by, _, flags = _item(world, item_id)
        return bool(status == "PENDING" and not flags and claimed_by == moderator)

    item_id = await reuse(world, key, fresh, lambda: _new_item(world, claimed=claimed))
    return {"id": item_id, "v": _item(world, item_id)[2]}


async def _unclaimed(world: World, _identity: Identity) -> dict[str, Any]:
    return await _item_for(world, "unclaimed item", claimed=None)


async def _claimed(world: World, identity: Identity) -> dict[str, Any]:
    """Claimed by the caller when it is a Caf du Nord moderator (only the claimer decides), else by the Caf du
    Nord's agent."""
    moderator = identity if identity.role in {"caf_territory", "caf_admin"} else world.people["caf59"]
    return await _item_for(world, f"item claimed by {moderator.agent_number}", claimed=moderator)


async def _the_conventions_reasons(answer: Answer) -> None:
    assert {"code": "PUBLICITE_DEGUISEE", "label": "Caractère publicitaire déguisé"} in answer.payload


async def _own_item(answer: Answer) -> None:
    """An item of the caller's own Caf's queue is read whole; another Caf's is as if it did not exist."""
    if answer.identity.caf == "CAF59":
        assert answer.payload is not None
        assert answer.payload["id"] == answer.variables["id"]
    else:
        assert answer.payload is None, answer.body


async def _bulk(world: World, identity: Identity) -> dict[str, Any]:
    return {"ids": [(await _unclaimed(world, identity))["id"]]}


def _decision(status: str, claimed_by: str | None) -> Check:
    async def check(answer: Answer) -> None:
        assert answer.payload["userErrors"] == [], answer.body
        item = answer.payload["item"]
        expected_by = answer.identity.agent_number if claimed_by == "me" else claimed_by
        assert (item["status"], item["claimedBy"]) == (status, expected_by)
        assert _item(answer.world, answer.variables["id"])[:2] == (status, expected_by)

    return check


async def _bulk_approved(answer: Answer) -> None:
    assert answer.payload == {"approved": answer.variables["ids"], "skipped": [], "userErrors": []}
    assert _item(answer.world, answer.variables["ids"][0])[0] == "APPROVED"


def _skipped(payload: Any) -> set[str]:
    assert payload["approved"] == [], payload
    assert payload["userErrors"] == [], payload
    return {"SKIPPED"} if payload["skipped"] else set()


async def _service(answer: Answer) -> None:
    assert answer.payload["name"] == "structures-moderation"


async def _stats(answer: Answer) -> None:
    pending = scalar(answer.world, "moderation", "SELECT count(*) FROM review_items WHERE status = 'PENDING'")
    assert answer.payload == {"pending": pending}


def _pending(world: World, caf: str | None) -> set[Any]:
    return column(world, "moderation", "SELECT id FROM review_items WHERE status = 'PENDING' AND caf_code = ?", caf)


async def _own_queue(answer: Answer) -> None:
    own = _pending(answer.world, answer.identity.caf)
    assert own
    assert {_key(edge["node"]["id"]) for edge in answer.payload["edges"]} == own
    assert answer.payload["totalCount"] == len(own)


async def _own_depth(answer: Answer) -> None:
    own = len(_pending(answer.world, answer.identity.caf))
    everyone = scalar(answer.world, "moderation", "SELECT count(*) FROM review_items WHERE status = 'PENDING'")
    assert own != everyone, "the other Caf has nothing pending to leave out"
    assert answer.payload["pending"] == own


ACT = "mutation($id: ID!, $v: Int!) {{ {name}(id: $id, rowVersion: $v{extra}) {{ {item} }} }}"
MODERATION = {
    "Query.service": Spec("{ service { name version } }", check=_service),
    "Query.queueStats": Spec("{ queueStats { pending } }", check=_stats),
    "Query.reviewQueue": Spec(
        """{ reviewQueue(first: 50) { totalCount edges { node { id establishment { id name } status submittedBy
      claimedBy rowVersion proposed reasons { code label } comment changes { field proposed published }
      history { edges { node { action agentNumber note } } } } } } }""",
        own=_own_queue,
    ),
    "Query.refusalReasons": Spec("{ refusalReasons { code label } }", check=_the_conventions_reasons),
    "Query.reviewItem": Spec(
        """query($id: ID!) { reviewItem(id: $id) { id status submittedBy claimedBy proposed
      history { edges { node { agentNumber } } } } }""",
        _unclaimed,
        own=_own_item,
    ),
    "Query.queueDepth": Spec("{ queueDepth { pending flagged oldestAgeHours } }", own=_own_depth),
    "Mutation.claimReviewItem": Spec(
        ACT.format(name="claimReviewItem", extra="", item=ITEM), _unclaimed, _decision("PENDING", "me")
    ),
    "Mutation.releaseReviewItem": Spec(
        ACT.format(name="releaseReviewItem", extra="", item=ITEM), _claimed, _decision("PENDING", None)
    ),
    "Mutation.approveReviewItem": Spec(
        ACT.format(name="approveReviewItem", extra="", item=ITEM), _claimed, _decision("APPROVED", "me")
    ),
    "Mutation.rejectReviewItem": Spec(
        ACT.format(
            name="rejectReviewItem",
            item=ITEM,
            extra=', reasons: [PUBLICITE_DEGUISEE], comment: "Retirez la promotion."',
        ),
        _claimed,
        _decision("REJECTED", "me"),
    ),
    "Mutation.bulkApproveUnflagged": Spec(
        "mutation($ids: [ID!]!) { bulkApproveUnflagged(ids: $ids) { approved skipped userErrors { code } } }",
        _bulk,
        _bulk_approved,
        refusal=_skipped,
    ),
}
