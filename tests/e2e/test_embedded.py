"""`structures dev`: the embedded default needs no Docker, no Java and no PostgreSQL."""

import asyncio
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.e2e.mailbox import password_in, wait_for_mail
from tests.e2e.processes import ROOT, free_port

DEMO_ACCOUNTS = [
    ("a.mathon.caf59", "a.mathon@caf59.monenfant.example"),
    ("m.dupont.escautpont", "m.dupont@escautpont.monenfant.example"),
]
LOGIN = """mutation($i: String!, $p: String!) { login(input: {identifier: $i, password: $p}) {
  session { mustChangePassword } } }"""


async def _first_login(client: httpx.AsyncClient, port: int, mail: Path, identifier: str, email: str) -> object:
    """Sign in with the generated password the demo account got by e-mail."""
    password = password_in(await wait_for_mail(mail, email, "codes d'accès"))
    answer = await client.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": LOGIN, "variables": {"i": identifier, "p": password}}
    )
    return answer.json()["data"]["login"]["session"]


async def test_the_embedded_default_serves_graphiql_and_the_three_services(tmp_path: Path) -> None:
    port = free_port()
    while free_port() in (port + 1, port + 2):
        port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "MODERATION_", "NOTIFIER_"))}
    with (tmp_path / "dev.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "structures", "dev", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        async with httpx.AsyncClient() as client:
            reports = [await _ready(client, f"http://127.0.0.1:{port + offset}/readyz") for offset in range(3)]
            page = await client.get(f"http://127.0.0.1:{port}/graphql", headers={"accept": "text/html"})
            answer = await client.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ service { name } }"})
            near = await client.post(f"http://127.0.0.1:{port}/graphql", json=_near_escautpont_this_week())
            logged_in = [
                await _first_login(client, port, tmp_path / "data" / "mail", identifier, email)
                for identifier, email in DEMO_ACCOUNTS
            ]
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)

    assert [r["kafka"] for r in reports] == ["in-process"] * 3
    assert "GraphiQL" in page.text
    assert answer.json() == {"data": {"service": {"name": "structures-gateway"}}}
    [first, *_] = near.json()["data"]["establishments"]["edges"]
    assert first["node"]["name"] == "Multi-accueil Les P'tits Mineurs"
    assert first["node"]["operatingInfo"]["openingHours"].startswith("Mo-Fr 07:30-18:30")
    assert first["node"]["availabilities"]
    assert logged_in == [{"mustChangePassword": True}] * 2, "the README's two demo accounts"
    output = (tmp_path / "dev.log").read_text()
    assert f"http://127.0.0.1:{port}/graphql" in output
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "data").glob("*.sqlite3")) == [
        "gateway.sqlite3",
        "moderation.sqlite3",
        "notifier.sqlite3",
    ]


def _near_escautpont_this_week() -> dict[str, object]:
    """The issue's GraphiQL scenario: « crèches near Escautpont with free places this week »."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    week = {"from": today.isoformat(), "to": (today + timedelta(days=6)).isoformat()}
    query = """query($from: Date!, $to: Date!) {
      establishments(first: 10, near: {points: [{latitude: 50.41875, longitude: 3.55341}], radiusKm: 5},
                     filter: {categories: [EAJE], freePlaces: {from: $from, to: $to}}) {
        edges { node { name operatingInfo { openingHours } availabilities(from: $from, to: $to) { date places } } }
      }
    }"""
    return {"query": query, "variables": week}


async def _ready(client: httpx.AsyncClient, url: str) -> dict[str, object]:
    async with asyncio.timeout(60):
        while True:
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    body: dict[str, object] = response.json()
                    return body
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
