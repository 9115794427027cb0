"""Text that every database and e-mail of the project can carry: no NUL character, no lone surrogate.

JSON can spell both (``\\u0000``, ``\\ud800``) and Python holds them, but PostgreSQL text refuses them and UTF-8 cannot
encode a lone surrogate: found at the edge (an event, a GraphQL request), they are bad input named as such, not a
database error later.
"""


def unstorable_text(value: object, path: str) -> str | None:
    """Where ``value`` (decoded JSON, or a string) holds text no database or e-mail can carry, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{path} contains a NUL character"
        return None if value.isascii() or _is_unicode(value) else f"{path} contains a lone surrogate (not Unicode)"
    if isinstance(value, dict):
        children = [(f"{path}.{key}"[:200], part) for key, item in value.items() for part in (key, item)]
    elif isinstance(value, list):
        children = [(f"{path}[{index}]"[:200], item) for index, item in enumerate(value)]
    else:
        return None
    for child_path, child in children:
        problem = unstorable_text(child, child_path)
        if problem is not None:
            return problem
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
