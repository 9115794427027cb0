"""R8 of the quality targets: the whole system for 30 minutes at half its saturated load.

    .venv/bin/python bench/run_soak.py [minutes]      # default 30 (make soak)

* the system: gateway, moderation and notifier as processes (``structures <service>``) on the local stack's
  PostgreSQL, Kafka and SMTP sink, as in production but on one 2-core machine with the load generator.
* saturation: first, 20 s of closed-loop submissions (16 in flight) measure how many submissions per second the
  whole pipeline carries at most (from the first request to the last review item committed in moderation); the
  soak then runs at half of that, decisions included.
* the load, open loop, minute after minute: submissions (L1: acknowledgement → review item committed), a stream of
  decisions (submit → claim → approve, each one published and e-mailed by the notifier over SMTP) at 2/s, counted in
  the half-saturated rate, and one login per second (argon2).
* sampled every 10 s: each service's RSS (``/proc/<pid>/status``), and from each service's ``/metrics``: consumer lag,
  outbox backlogs, pending e-mails.

Pass (quality.md R8): no service's RSS grows more than 20 % (median of the last 3 minutes against the median of
minutes 2–4, after warm-up), no growing lag (the last third's mean total backlog is at most the first third's
+ 10 messages, and everything drains within 60 s after the load stops), L1 held (p50 ≤ 50 ms, p99 ≤ 250 ms over
the run and p99 ≤ 250 ms in every 5-minute window).

Writes ``bench/results/<timestamp>-soak.json`` and ``soak.md``, and the key ``R8`` of ``latest.json``.
"""

import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import RESULTS, ensure_stack, machine, read_stack_env
from run_publication_bench import Approvals
from run_submission_bench import TEMPORARY, drive, fresh_database, percentile, prepare_gateway, summary

from gateway.accounts.tokens import TokenSigner
from gateway.graphql.relay import to_global_id
from shared.relay import key_of
from shared.sealing import generate_key_pair
from tests.e2e.processes import ServiceProcess, service_env
from tests.e2e.test_escautpont_story import Api
from tests.integration.test_operating_info_submission import INFO, SUBMIT

DECISIONS_PER_S = 2
LOGINS_PER_S = 1
SAMPLE_SECONDS = 10
PROBE_SECONDS, PROBE_IN_FLIGHT = 20, 16
PASSWORD = "un banc d'endurance pour les saisies"
MODERATOR_PASSWORD = "la Caf du Nord modère l'endurance"
BACKLOGS = ("structures_consumer_lag", "structures_outbox_backlog", "structures_emails_pending")


class Services:
    """The three services as processes, on fresh databases and a fresh topic namespace."""

    def __init__(self, stack: Any, folder: Path) -> None:
        self.stack, self.folder = stack, folder
        self.names = {name: f"bench_soak_{name}" for name in ("gateway", "moderation", "notifier")}
        self.processes: dict[str, ServiceProcess] = {}

    async def start(self) -> list[str]:
        for database in self.names.values():
            await fresh_database(self.stack.admin_dsn, database)
        urls = {name: self.stack.sqlalchemy_url(database) for name, database in self.names.items()}
        private_key, public_key = generate_key_pair()
        creches = await prepare_gateway(urls["gateway"], public_key, creches=40, caf_agent=True)
        seed, namespace, smtp = os.urandom(32), f"soak{uuid.uuid4().hex[:8]}", read_stack_env()
        extra = {
            "gateway": {"NOTIFIER_PUBLIC_KEY": public_key, "TOKEN_SIGNING_KEY": base64.b64encode(seed).decode()},
            "moderation": {"TOKEN_PUBLIC_KEY": TokenSigner(seed).jwks()["keys"][0]["x"]},
            "notifier": {"SEALING_PRIVATE_KEY": private_key, "SMTP_HOST": smtp["NOTIFIER_SMTP_HOST"],
                         "SMTP_PORT": smtp["NOTIFIER_SMTP_PORT"]},
        }  # fmt: skip
        for name in ("notifier", "moderation", "gateway"):
            env = service_env(name.upper(), urls[name], self.stack.kafka, namespace, **extra[name])
            self.processes[name] = process = ServiceProcess(name, env, self.folder / f"{name}.log")
            process.start()
            await process.wait_ready(report="ready")
        return creches

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def rss_mb(self) -> dict[str, float]:
        found = {}
        for name, process in self.processes.items():
            assert process.process is not None
            status = Path(f"/proc/{process.process.pid}/status").read_text()
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            found[name] = round(kb / 1024, 1)
        return found

    async def backlogs(self, client: httpx.AsyncClient) -> dict[str, float]:
        """Each service's consumer lag + outbox backlog + pending e-mails, from its /metrics."""
        found = {}
        for name, process in self.processes.items():
            exposition = (await client.get(f"{process.url}/metrics")).text
            found[name] = sum(
                sample.value
                for family in text_string_to_metric_families(exposition)
                for sample in family.samples
                if sample.name in BACKLOGS and sample.labels.get("measure", "count") == "count"
            )
        return found


async def saturation(api: Api, token: str, creches: list[str], pool: asyncpg.Pool) -> float:
    """Closed loop: PROBE_IN_FLIGHT submitters for PROBE_SECONDS; submissions per second through the whole pipeline
    (from the first request to the last review item committed), not only acknowledged by the gateway."""
    done: list[str] = []
    deadline = time.monotonic() + PROBE_SECONDS
    client = httpx.AsyncClient(base_url=api.url, headers={"authorization": f"Bearer {token}"}, timeout=30)

    async def submitter(k: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() < deadline:
            crèche = to_global_id("Establishment", creches[(k + n * PROBE_IN_FLIGHT) % len(creches)])
            document = INFO | {"fees": f"Barème national (sonde {k}-{n})."}
            body = await client.post("/graphql", json={"query": SUBMIT, "variables": {"id": crèche, "info": document}})
            submission = ((body.json().get("data") or {}).get("submitOperatingInfo") or {}).get("submission")
            if submission:
                done.append(key_of(submission["id"], "Submission"))
            n += 1

    started = time.time()
    await asyncio.gather(*(submitter(k) for k in range(PROBE_IN_FLIGHT)))
    await client.aclose()
    committed = await commits(pool, done)
    return len(done) / (max(committed.values()) - started)


async def logins(api: Api, seconds: float) -> int:
    """One login per second, open loop; returns how many failed (refused, errored or slower than 30 s)."""
    query = """mutation($i: String!, $p: String!) {
      login(input: {identifier: $i, password: $p}) { session { accessToken } } }"""
    variables = {"i": "m.dupont.escautpont", "p": PASSWORD}
    failures, started = 0, time.monotonic()

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal failures
        try:
            body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
        except httpx.HTTPError:
            body = {}
        failures += not ((body.get("data") or {}).get("login") or {}).get("session")

    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        tasks = []
        for n in range(int(seconds * LOGINS_PER_S)):
            await asyncio.sleep(max(0.0, started + n / LOGINS_PER_S - time.monotonic()))
            tasks.append(asyncio.create_task(one(client)))
        await asyncio.gather(*tasks)
    return failures


async def fresh_token(api: Api, identifier: str, password: str) -> str:
    session = (await api.login(identifier, password))["session"]
    assert session is not None, f"{identifier} could not sign in again"
    return str(session["accessToken"])


async def commits(pool: asyncpg.Pool, ids: list[str], within: float = 120) -> dict[str, float]:
    async with asyncio.timeout(within):
        while True:
            rows = await pool.fetch(
                "SELECT submission_id, received_at FROM review_items WHERE submission_id = ANY($1)", ids
            )
            if len(rows) >= len(ids):
                return {r["submission_id"]: r["received_at"].timestamp() for r in rows}
            await asyncio.sleep(0.5)


async def sampler(services: Services, samples: list[dict[str, Any]], stop: asyncio.Event, started: float) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            samples.append({"t": round(time.monotonic() - started, 1), "rss_mb": services.rss_mb(),
                            "backlog": await services.backlogs(client)})  # fmt: skip
            try:
                async with asyncio.timeout(SAMPLE_SECONDS):
                    await stop.wait()
            except TimeoutError:
                pass


async def soak(stack: Any, minutes: int, folder: Path) -> dict[str, Any]:
    services = Services(stack, folder)
    try:
        creches = await services.start()
        submitted_to, approved_at = creches[:20], creches[20:]
        api, moderators = Api(services.processes["gateway"].url), Api(services.processes["moderation"].url)
        agent = await api.first_login("m.dupont.escautpont", TEMPORARY, PASSWORD)
        moderator = await api.first_login("a.mathon.caf59", TEMPORARY, MODERATOR_PASSWORD)
        pool = await asyncpg.create_pool(stack.dsn(services.names["moderation"]), min_size=1, max_size=4)
        saturated = await saturation(api, agent, submitted_to, pool)
        rate = max(1, round(saturated / 2) - DECISIONS_PER_S)
        print(f"soak: saturated at {saturated:.1f} submissions/s; soaking at {rate} + {DECISIONS_PER_S} decisions/s")
        approvals = Approvals(api, agent, moderators, moderator, stack.dsn(services.names["moderation"]))
        samples: list[dict[str, Any]] = []
        stop, started = asyncio.Event(), time.monotonic()
        watching = asyncio.create_task(sampler(services, samples, stop, started))
        rounds: list[dict[str, Any]] = []
        for minute in range(minutes):
            # Access tokens live 10 minutes: like a real client, each one signs in again and carries on.
            agent = await fresh_token(api, "m.dupont.escautpont", PASSWORD)
            moderator = await fresh_token(api, "a.mathon.caf59", MODERATOR_PASSWORD)
            approvals.agent.headers["authorization"] = f"Bearer {agent}"
            approvals.moderation.headers["authorization"] = f"Bearer {moderator}"
            (acknowledged, failures), login_failures, _ = await asyncio.gather(
                drive(api, agent, submitted_to, 60, f"soak-{minute}", rate),
                logins(api, 60),
                approvals.run(approved_at, 60, f"soak-{minute}", DECISIONS_PER_S),
            )
            received = await commits(pool, list(acknowledged))
            latencies = [(received[sid] - at) * 1000 for sid, at in acknowledged.items()]
            if not latencies:
                raise RuntimeError(f"minute {minute + 1}: no submission acknowledged; the services' logs: {folder}")
            rounds.append({"minute": minute + 1, "l1": summary(latencies), "latencies": latencies,
                           "failures": failures, "login_failures": login_failures,
                           "rss_mb": services.rss_mb()})  # fmt: skip
            backlog = samples[-1]["backlog"] if samples else "-"
            print(f"soak minute {minute + 1}/{minutes}: L1 p99 {rounds[-1]['l1']['p99_ms']} ms, "
                  f"RSS {rounds[-1]['rss_mb']}, backlog {backlog}", flush=True)  # fmt: skip
        drained_after = await drained(services)
        stop.set()
        await watching
        await pool.close()
    finally:
        services.stop()
    return {"minutes": minutes, "saturated_per_s": round(saturated, 1), "submissions_per_s": rate,
            "decisions_per_s": DECISIONS_PER_S, "logins_per_s": LOGINS_PER_S, "rounds": rounds, "samples": samples,
            "approval_failures": len(approvals.failures), "drained_after_s": drained_after}  # fmt: skip


async def drained(services: Services, within: float = 60) -> float | None:
    """Seconds until every backlog is empty once the load stops (None: not within ``within``)."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() - started < within:
            if not any((await services.backlogs(client)).values()):
                return round(time.monotonic() - started, 1)
            await asyncio.sleep(1)
    return None


def verdict(run: dict[str, Any]) -> dict[str, Any]:
    rounds, samples = run["rounds"], run["samples"]
    growth = {}
    for name in rounds[0]["rss_mb"]:
        early = [s["rss_mb"][name] for s in samples if 60 <= s["t"] < 240]
        late = [s["rss_mb"][name] for s in samples if s["t"] >= samples[-1]["t"] - 180]
        growth[name] = round(statistics.median(late) / statistics.median(early) - 1, 3) if early and late else None
    totals = [sum(s["backlog"].values()) for s in samples]
    third = max(1, len(totals) // 3)
    first, last = statistics.fmean(totals[:third]), statistics.fmean(totals[-third:])
    latencies = [x for r in rounds for x in r["latencies"]]
    windows = [[x for r in rounds[i : i + 5] for x in r["latencies"]] for i in range(0, len(rounds), 5)]
    overall = summary(latencies)
    checks = {
        "rss_growth<=20%": all(g is not None and g <= 0.20 for g in growth.values()),
        "lag_not_growing": last <= first + 10,
        "drained_within_60s": run["drained_after_s"] is not None,
        "l1_p50<=50ms": overall["p50_ms"] <= 50,
        "l1_p99<=250ms": overall["p99_ms"] <= 250,
        "l1_p99<=250ms_every_5_min": all(percentile(w, 0.99) <= 250 for w in windows if w),
        "no_failure": sum(r["failures"] + r["login_failures"] for r in rounds) + run["approval_failures"] == 0,
        "30_minutes": run["minutes"] >= 30,
    }
    return {"rss_growth": growth, "backlog_first_third": round(first, 1), "backlog_last_third": round(last, 1),
            "l1": overall, "l1_p99_by_5_min": [round(percentile(w, 0.99), 1) for w in windows if w],
            "checks": checks, "met": all(checks.values())}  # fmt: skip


async def main() -> int:
    minutes = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    stack = ensure_stack()
    folder = Path(tempfile.mkdtemp(prefix="bench-soak-"))  # the services' logs, kept for a look after the run
    run = await soak(stack, minutes, folder)
    return write(run, verdict(run))


def write(run: dict[str, Any], result: dict[str, Any]) -> int:
    now = datetime.now(UTC)
    for r in run["rounds"]:
        del r["latencies"]
    raw = {"date": now.isoformat(), "machine": machine(), "command": f"bench/run_soak.py {run['minutes']}",
           "run": run, "result": result}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y%m%dT%H%M%SZ}-soak.json").write_text(json.dumps(raw, indent=2) + "\n")
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["R8"] = {
        "value": max((g for g in result["rss_growth"].values() if g is not None), default=None),
        "unit": "RSS growth (ratio, worst service)",
        "rss_growth": result["rss_growth"], "l1": result["l1"], "backlog_first_third": result["backlog_first_third"],
        "backlog_last_third": result["backlog_last_third"], "drained_after_s": run["drained_after_s"],
        "load": {k: run[k] for k in ("saturated_per_s", "submissions_per_s", "decisions_per_s", "logins_per_s")},
        "target": "30 min at half the saturated load: RSS growth <= 20 %, no growing consumer lag, L1 held",
        "met": result["met"], "checks": result["checks"], "command": raw["command"], "date": raw["date"],
        "machine": raw["machine"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "soak.md").write_text(markdown(raw))
    print(json.dumps(result, indent=1))
    return 0


def markdown(raw: dict[str, Any]) -> str:
    run, result = raw["run"], raw["result"]
    lines = [
        "# Soak (R8)",
        "",
        f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores; "
        "gateway, moderation, notifier, PostgreSQL, Kafka, the SMTP sink and the load generator all on it",
        f"- Command: `{raw['command']}`",
        f"- Saturation (closed loop, {PROBE_IN_FLIGHT} in flight, {PROBE_SECONDS} s): {run['saturated_per_s']} "
        "submissions/s through the pipeline (request → review item committed); soak load: "
        f"{run['submissions_per_s']} submissions/s + {run['decisions_per_s']} decisions/s (submit, claim, approve, "
        f"publish, e-mail) + {run['logins_per_s']} login/s",
        "",
        "| minute | L1 p50 | L1 p99 | gateway RSS | moderation RSS | notifier RSS | failures |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['minute']} | {r['l1']['p50_ms']} ms | {r['l1']['p99_ms']} ms | {r['rss_mb']['gateway']} MB | "
            f"{r['rss_mb']['moderation']} MB | {r['rss_mb']['notifier']} MB | {r['failures'] + r['login_failures']} |"
            for r in run["rounds"]
        ),
        "",
        f"- RSS growth (median of the last 3 min / median of minutes 2–4): {result['rss_growth']}",
        f"- Total backlog (consumer lag + outbox + pending e-mails, all services): first third mean "
        f"{result['backlog_first_third']}, last third mean {result['backlog_last_third']}; drained "
        f"{run['drained_after_s']} s after the load stopped",
        f"- L1 over the run: p50 {result['l1']['p50_ms']} ms, p99 {result['l1']['p99_ms']} ms "
        f"({result['l1']['count']} submissions); p99 per 5 minutes: {result['l1_p99_by_5_min']}",
        "",
        "Checks: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in result["checks"].items()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
