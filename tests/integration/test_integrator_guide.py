"""The integrator guide's example client (docs/examples/integrator_client.py) runs as written, as a process,
against the gateway: it replays from its cursor file, stops, and resumes later exactly where it stopped."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tests.integration.test_availability_publication import open_days
from tests.integration.test_integrators import CREATE, _gql
from tests.integration.test_publication_subscriptions import _publish

CLIENT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "integrator_client.py"


async def _run_client(url: str, key: str, cursor_file: Path, count: int) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), "--url", url, "--api-key", key, "--departement", "59",
        "--cursor-file", str(cursor_file), "--count", str(count),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_the_example_client_follows_publications_and_resumes_from_its_cursor_file(
    caf_gateway: Any, tmp_path: Path
) -> None:
    client, url, _app, tokens = caf_gateway
    created = await _gql(client, CREATE, token=tokens["nord"], name="Portail", mail="api@portail.example", d=["59"])
    key = created["data"]["createIntegrator"]["apiKey"]
    days = open_days(3)
    await _publish(client, tokens["marie"], days[0], 2)
    cursor_file = tmp_path / "last-cursor.txt"
    cursor_file.write_text("0")  # from the beginning of the log

    first_run = await _run_client(url, key, cursor_file, count=1)
    after_first = cursor_file.read_text()
    await _publish(client, tokens["marie"], days[1], 1)  # while the client is stopped
    await _publish(client, tokens["marie"], days[2], 0)
    second_run = await _run_client(url, key, cursor_file, count=2)

    assert [(e["cursor"], e["type"], e["departement"]) for e in first_run] == [("1", "AVAILABILITIES_PUBLISHED", "59")]
    assert after_first == "1"
    assert [e["cursor"] for e in second_run] == ["2", "3"]
    assert [e["data"]["availabilities"][0]["places"] for e in second_run] == [1, 0]
    assert cursor_file.read_text() == "3"
