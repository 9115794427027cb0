"""S4: the gateway's sensitive root fields, each run at most once per request
(:func:`shared.graphql_rules.single_use_rule`).

Aliases and fragment spreads could otherwise multiply password guesses inside one HTTP request, below any
per-request throttling.
"""

SENSITIVE_ROOT_FIELDS: frozenset[str] = frozenset(
    {
        "login",
        "requestPasswordReset",
        "changePassword",
        "refreshSession",
        "createChallenge",
        "requestHabilitation",
        "activateHabilitation",
        "deactivateAgent",
    }
)

__all__ = ["SENSITIVE_ROOT_FIELDS"]
