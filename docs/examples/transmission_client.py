"""Transmit a crèche software's availabilities to monenfant.fr's partner space (docs/transmission.md).

    pip install httpx
    STRUCTURES_CLIENT_SECRET=… python transmission_client.py --url https://structures.example \\
        --client-id stc_… availabilities.json

``availabilities.json`` holds the body described in docs/transmission.md. The client gets a token (OAuth 2.0 client
credentials, client_secret_basic), sends the body once with a fresh Idempotency-Key, retries with the same key on a
network error or a 5xx (never publishing twice), and prints the per-establishment results as JSON.
"""

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

SCOPE = "availabilities:write"


async def fetch_token(http: httpx.AsyncClient, client_id: str, client_secret: str) -> str:
    answer = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": SCOPE},
        auth=httpx.BasicAuth(client_id, client_secret),  # form-urlencodes nothing: ids and secrets are URL-safe
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


async def transmit(
    http: httpx.AsyncClient, token: str, body: dict[str, Any], *, key: str | None = None, attempts: int = 3
) -> dict[str, Any]:
    """The results, establishment by establishment; the same key on each attempt makes retrying safe."""
    headers = {"authorization": f"Bearer {token}", "idempotency-key": key or str(uuid.uuid4())}
    for attempt in range(attempts):
        try:
            answer = await http.post("/transmission/availabilities", json=body, headers=headers, timeout=30)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(2**attempt)
            continue
        if answer.status_code < 500 or attempt == attempts - 1:
            answer.raise_for_status()
            result: dict[str, Any] = answer.json()
            return result
        await asyncio.sleep(2**attempt)
    raise RuntimeError("unreachable")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the gateway's base URL")
    parser.add_argument("--client-id", required=True, help="the id the provider gave you (stc_…)")
    parser.add_argument("body", type=Path, help="the JSON body to transmit")
    arguments = parser.parse_args()
    secret = os.environ["STRUCTURES_CLIENT_SECRET"]  # never on the command line: it would show in `ps`
    async with httpx.AsyncClient(base_url=arguments.url) as http:
        token = await fetch_token(http, arguments.client_id, secret)
        results = await transmit(http, token, json.loads(arguments.body.read_text()))
    json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
    return 0 if all(r["status"] == "ACCEPTED" for r in results["results"]) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
