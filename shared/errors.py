"""The project's exception hierarchy.

Third-party exceptions are translated into these at the adapter boundary, so that use cases and the event
consumer loop can decide what to do (retry, dead-letter, show to the user) from the class alone.

    StructuresError
    ├── ConfigurationError      a setting is missing or invalid: the service refuses to start
    ├── TransientError          may succeed later (database or broker unreachable): retry with backoff
    └── PermanentError          will never succeed for this input: report it, never retry
        ├── EventContractError  a message is not a valid event of a known type: dead-letter it
        ├── UnauthenticatedError no valid access token (absent, expired, altered, revoked): GraphQL UNAUTHENTICATED
        └── ForbiddenError      signed in, but not allowed to do this: GraphQL FORBIDDEN
"""


class StructuresError(Exception):
    """Base class of every error raised on purpose by this project."""


class ConfigurationError(StructuresError):
    """A setting is missing or invalid; the message names the environment variable."""


class TransientError(StructuresError):
    """A failure that may go away by itself: the caller retries with backoff."""


class PermanentError(StructuresError):
    """A failure that retrying cannot fix."""


class EventContractError(PermanentError):
    """A message does not parse as a known event, or its data breaks the event's contract."""


class UnauthenticatedError(PermanentError):
    """No valid access token: absent, expired, altered or revoked. Sign in (again) at the gateway."""

    code = "UNAUTHENTICATED"


class ForbiddenError(PermanentError):
    """Signed in, but not allowed to do this."""

    code = "FORBIDDEN"
