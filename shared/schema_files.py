"""The committed JSON Schemas of the event types (``shared/schemas/<type>.json``).

Regenerate after changing an event model with ``python -m shared.schema_files``; a test fails while the
committed files and the models disagree.
"""

import json
from pathlib import Path

from shared.events import EVENT_TYPES, json_schema

SCHEMA_DIR = Path(__file__).parent / "schemas"


def render_schemas() -> dict[str, str]:
    """File name → content of every event type's schema, as it should be committed."""
    return {
        f"{event_type}.json": json.dumps(json_schema(model), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for event_type, model in sorted(EVENT_TYPES.items())
    }


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in render_schemas().items():
        path = folder / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas():
        print(path)  # noqa: T201
