"""The notifier's operation, as S16 cells run it: the e-mails of a Caf's territory (sent for real events)."""

from tests.authorization.specs import Answer, Spec, column


async def _own_deliveries(answer: Answer) -> None:
    own = column(
        answer.world,
        "notifier",
        "SELECT message_id FROM deliveries WHERE caf_code = ? ORDER BY created_at DESC LIMIT 100",
        answer.identity.caf,
    )
    assert own
    assert {edge["node"]["messageId"] for edge in answer.payload["edges"]} == own


NOTIFIER = {
    "Query.deliveries": Spec(
        """{ deliveries(first: 100) { totalCount edges { node { kind kindLabel recipient subject status
      statusLabel attempts lastError messageId createdAt sentAt } } } }""",
        own=_own_deliveries,
    ),
}
