"""The notifier's operation, as S16 cells run it: the e-mails of a Caf's territory (sent for real events)."""

from tests.authorization.specs import Answer, Spec, column


async def _own_deliveries(answer: Answer) -> None:
    own = column(
        answer.world,
        "notifier",
        "SELECT message_id FROM deliveries WHERE caf_code = ? ORDER BY created_at DESC LIMIT 200",
        answer.identity.caf,
    )
    assert own
    assert {delivery["messageId"] for delivery in answer.payload} == own


NOTIFIER = {
    "Query.deliveries": Spec(
        """{ deliveries(first: 200) { kind recipient subject status attempts lastError messageId
      createdAt sentAt } }""",
        own=_own_deliveries,
    ),
}
