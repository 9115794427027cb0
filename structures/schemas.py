"""The three services' GraphQL contracts, committed as ``<service>/schema.graphql`` and guarded.

``structures schemas`` rewrites the files from the code; it refuses when the change breaks clients (graphql-core's
``find_breaking_changes``: a field removed, an argument made required, a type changed…) unless each breaking
change is declared in ``docs/schema-changes.md`` as a line ``- <service>: <description>`` with its reason. The test
suite checks that the files are current and that no commit of their history broke the contract undeclared.
"""

from collections.abc import Callable
from pathlib import Path

import strawberry
from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes

from gateway.graphql.schema import build_schema as gateway_schema
from moderation.graphql.schema import build_schema as moderation_schema
from notifier.graphql import build_schema as notifier_schema

ROOT = Path(__file__).resolve().parents[1]
DECLARED = ROOT / "docs" / "schema-changes.md"
BUILDERS: dict[str, Callable[[], strawberry.Schema]] = {
    "gateway": gateway_schema,
    "moderation": moderation_schema,
    "notifier": notifier_schema,
}


def sdl_of(service: str) -> str:
    """The SDL the service's code serves, as committed."""
    return BUILDERS[service]().as_str().rstrip() + "\n"


def committed_path(service: str, root: Path = ROOT) -> Path:
    return root / service / "schema.graphql"


def breaking_changes(before: str, after: str) -> list[str]:
    """What ``after`` breaks of ``before``, in graphql-core's words (« Field Query.b was removed. »)."""
    return [change.description for change in find_breaking_changes(parse_sdl(before), parse_sdl(after))]


def undeclared(service: str, changes: list[str], declared: str) -> list[str]:
    """The breaking changes of ``service`` that ``docs/schema-changes.md`` does not declare."""
    return [change for change in changes if f"- {service}: {change}" not in declared]


def write_schemas(root: Path = ROOT) -> list[str]:
    """Rewrite the changed files; return the undeclared breaking changes instead when there are some."""
    declared = DECLARED.read_text(encoding="utf-8") if DECLARED.exists() else ""
    refused: list[str] = []
    updates: dict[Path, str] = {}
    for service in BUILDERS:
        path, current = committed_path(service, root), sdl_of(service)
        before = path.read_text(encoding="utf-8") if path.exists() else None
        if before == current:
            continue
        if before is not None:
            refused += [f"- {service}: {c}" for c in undeclared(service, breaking_changes(before, current), declared)]
        updates[path] = current
    if not refused:
        for path, text in updates.items():
            path.write_text(text, encoding="utf-8")
    return refused
