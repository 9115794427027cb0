"""A refused input, as use cases report it: the field, a stable code, a French message for people."""

from dataclasses import dataclass


@dataclass(frozen=True)
class UserError:
    field: str
    code: str
    message: str
