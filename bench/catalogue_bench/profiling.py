"""Where the gateway spends its time under load: py-spy (a dev tool, installed on demand: ``pip install py-spy``).

``py-spy record --format raw`` gives collapsed stacks (``frame;frame;… count``); they are summarised as the share of
samples spent in a few telling places (inclusive) and by the library the innermost frame belongs to (self time).
"""

import collections
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue_bench.environment import REPO, BenchError

# Inclusive markers: a stack counts for each marker one of its frames contains. SQLAlchemy's asyncio layer runs
# statements in greenlets, whose stacks do not show the request handler above them: hence no "whole request" marker.
MARKERS: dict[str, tuple[str, ...]] = {
    "GraphQL parsing": ("graphql/language/parser.py",),
    "GraphQL validation": ("graphql/validation/",),
    "GraphQL execution (resolvers, field completion; without greenlet-run SQL)": ("graphql/execution/",),
    "SQL: SQLAlchemy + asyncpg (statement building, cache keys, pool, round trips, row decoding)": (
        "sqlalchemy/",
        "asyncpg/",
    ),
    "  of which pool checkout incl. pre-ping": ("sqlalchemy/pool/",),
    "  of which BEGIN (asyncpg Transaction.start)": ("Transaction.start (asyncpg",),
    "  of which JSON decoding of result columns (asyncpg JSON codec)": ("_json_decoder (",),
    "pydantic (operating info documents)": ("pydantic/",),
    "Relay cursors (encode_cursor)": ("encode_cursor (",),
    "JSON encoding of responses": ("encode_json (",),
}
# Self time by the innermost frame's library (first match in this order).
LIBRARIES = (
    ("graphql-core validation", "graphql/validation/"),
    ("graphql-core language (visitor, AST)", "graphql/language/"),
    ("graphql-core utilities (type info)", "graphql/utilities/"),
    ("graphql-core execution", "graphql/execution/"),
    ("strawberry", "strawberry/"),
    ("SQLAlchemy", "sqlalchemy/"),
    ("asyncpg", "asyncpg/"),
    ("pydantic", "pydantic"),
    ("gateway code", "gateway/"),
    ("shared code", "shared/"),
    ("starlette / uvicorn / httptools", "starlette/"),
    ("starlette / uvicorn / httptools", "uvicorn/"),
    ("asyncio event loop & sockets", "asyncio/"),
    ("json", "json/"),
)


@dataclass(frozen=True)
class Profile:
    samples: int
    inclusive: list[tuple[str, float]]
    by_library: list[tuple[str, float]]

    def as_dict(self, query: str, raw: str) -> dict[str, Any]:
        return {
            "query": query,
            "samples": self.samples,
            "raw": raw,
            "inclusive": self.inclusive,
            "self_by_library": self.by_library,
        }


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(REPO / ".venv" / "bin")) or shutil.which("py-spy")
    if found is None:
        raise BenchError("py-spy is not installed: .venv/bin/pip install py-spy (a dev tool, not a dependency)")
    return found


def start_recording(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` for ``seconds``; wait for it with :func:`finish_recording`."""
    command = [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200"]
    command += ["--format", "raw", "--output", str(output), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def finish_recording(process: subprocess.Popen[bytes], output: Path) -> Profile:
    if process.wait(timeout=120) != 0 or not output.exists():
        raise BenchError(f"py-spy failed (exit status {process.returncode}); is ptrace allowed here?")
    return summarise(output.read_text())


def summarise(collapsed: str) -> Profile:
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    by_library: collections.Counter[str] = collections.Counter()
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        for label, markers in MARKERS.items():
            if any(marker in stack for marker in markers):
                inclusive[label] += count
        by_library[_library(stack.split(";"))] += count
    if total == 0:
        raise BenchError("py-spy recorded no sample")
    return Profile(total, _shares(inclusive, total, list(MARKERS)), _shares(by_library, total, None))


def _library(frames: list[str]) -> str:
    for frame in reversed(frames):
        for label, marker in LIBRARIES:
            if marker in frame:
                return label
    return "other"


def _shares(counter: collections.Counter[str], total: int, order: list[str] | None) -> list[tuple[str, float]]:
    keys = order if order is not None else [key for key, _ in counter.most_common()]
    return [(key, round(counter[key] * 100 / total, 1)) for key in keys]
