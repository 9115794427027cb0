"""What callers of a GraphQL service see when something goes wrong, for every service of the project.

* expected errors (a bad argument, a refused operation: :class:`~shared.errors.PermanentError`) reach the client as
  they are, with ``extensions.code`` (``BAD_USER_INPUT`` unless the error names another);
* the database being unreachable (stopped, restarting, connection lost) is a temporary state, not a bug: the
  client gets « Service temporarily unavailable » with ``SERVICE_UNAVAILABLE`` and may retry; it is logged
  without a traceback;
* anything else becomes « Unexpected error » with the request id, and is logged with its traceback;
* « Did you mean … ? » suggestions can be hidden (production);
* a request body that is not a JSON object or array (not UTF-8, not JSON, nested too deeply, a bare string) or holds
  text no database can store (:mod:`shared.text`) is a 400 naming the problem (:class:`StrictJsonBodies`), never a
  500; so is such text in a string literal of the document (``"\\u0000"``), a validation error
  (:class:`StorableStringLiterals`).
"""

import json
import logging
import re

from cross_web import HTTPException
from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import MaskErrors

from shared.db import is_database_unavailable
from shared.errors import PermanentError
from shared.logging import current_correlation_id
from shared.text import unstorable_text

log = logging.getLogger(__name__)
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$")


class PublicErrors(MaskErrors):
    """Masks unexpected errors (keeping the request id), labels expected ones, hides suggestions if asked."""

    def __init__(self, *, suggestions: bool = True) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Unexpected error.")
        self._suggestions = suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = current_correlation_id() or "-"
        masked = super().anonymise_error(error)
        if error.original_error is not None and is_database_unavailable(error.original_error):
            log.warning(
                "database unavailable during a GraphQL operation",
                extra={"path": error.path, "request_id": request_id, "error": type(error.original_error).__name__},
            )
            masked.message = f"Service temporarily unavailable, retry in a few seconds (request id {request_id})."
            masked.extensions = {"code": "SERVICE_UNAVAILABLE", "requestId": request_id}
            return masked
        log.error(
            "unexpected GraphQL error",
            exc_info=error.original_error,
            extra={"path": error.path, "request_id": request_id},
        )
        masked.message = f"Unexpected error (request id {request_id})."
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._public(error) for error in super()._process_errors(errors)]

    def _process_result(self, result: object) -> None:
        """As :class:`MaskErrors` does, without its runtime-checked protocol: ``isinstance`` against a protocol
        costs more than the rest of a subscription event's delivery, once per subscriber and event (M1)."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _public(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, PermanentError):
            code = getattr(error.original_error, "code", "BAD_USER_INPUT")
            error.extensions = {**(error.extensions or {}), "code": code}
        elif error.original_error is None and not self._suggestions:
            error.message = _SUGGESTION.sub("", error.message)
        return error


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, PermanentError | GraphQLError)


class StrictJsonBodies:
    """Mixin of a strawberry view: JSON that strawberry would answer with a 500 (or a dropped WebSocket) is refused
    as JSON that does not parse: a 400 saying why over HTTP, the protocol's 4400 close over a WebSocket."""

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            raise
        except UnicodeDecodeError:
            raise json.JSONDecodeError("it is not valid UTF-8", "", 0) from None
        except RecursionError:
            raise json.JSONDecodeError("it is nested too deeply", "", 0) from None
        except ValueError as error:  # integers of more than 4,300 digits
            raise json.JSONDecodeError(str(error), "", 0) from None

    def parse_json(self, data: str | bytes) -> object:
        """A request body (or a GET parameter): a JSON object or array, or a 400 naming the problem."""
        try:
            decoded = self.decode_json(data)
        except json.JSONDecodeError as error:
            raise HTTPException(400, f"Unable to parse request body as JSON: {error.msg}") from None
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, f"The request must be a JSON object, not {json.dumps(decoded)[:40]}")
        problem = unstorable_text(decoded, "request")
        if problem is not None:
            raise HTTPException(400, f"Unusable request: {problem}")
        return decoded


class StorableStringLiterals(ValidationRule):
    """String literals hold no NUL or lone surrogate (variables are checked with the request body, see
    :class:`StrictJsonBodies`): the database would refuse them with an unexpected error."""

    def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
        problem = unstorable_text(node.value, "A string literal")
        if problem is not None:
            self.report_error(GraphQLError(f"{problem}.", node))
