"""What counts as a server error in a GraphQL answer (S18), and what is an expected refusal.

Expected: validation errors, ``BAD_USER_INPUT``, ``UNAUTHENTICATED``, ``FORBIDDEN``, ``RATE_LIMITED``… — the
service said no on purpose. A server error is an HTTP 5xx, a body that is not a GraphQL answer, an error masked as
``INTERNAL_SERVER_ERROR`` (an unexpected exception, ``shared.graphql_errors``), ``SERVICE_UNAVAILABLE`` (the
fuzzed services run on a local SQLite file that is never unavailable), or a ``null`` in a non-null field (the
answer breaks the schema the service publishes).
"""

import json
from typing import Any

SERVER_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
NON_NULL_BROKEN = "Cannot return null for non-nullable field"


def server_error(status: int, body: bytes) -> str | None:
    """Why this answer is a server error, or ``None`` when it is a result or an expected refusal."""
    if status >= 500:
        return f"HTTP {status}: {body[:200].decode(errors='replace')}"
    try:
        answer = json.loads(body)
    except ValueError:
        return f"HTTP {status} with a body that is not JSON: {body[:200].decode(errors='replace')}"
    if not isinstance(answer, dict) or not ({"data", "errors"} & answer.keys()):
        return f"HTTP {status} with a body that is not a GraphQL answer: {body[:200].decode(errors='replace')}"
    for error in answer.get("errors") or []:
        reason = _error_reason(error)
        if reason is not None:
            return reason
    return None


def _error_reason(error: Any) -> str | None:
    if not isinstance(error, dict):
        return f"malformed GraphQL error: {error!r}"
    message = str(error.get("message", ""))
    code = (error.get("extensions") or {}).get("code")
    if code in SERVER_CODES:
        return f"{code} at {error.get('path')}: {message}"
    if message.startswith(NON_NULL_BROKEN):
        return f"schema broken at {error.get('path')}: {message}"
    return None


def executed(body: bytes) -> bool:
    """Whether the service ran the operation (an answer with ``data``), rather than refusing the document."""
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and isinstance(answer.get("data"), dict)
