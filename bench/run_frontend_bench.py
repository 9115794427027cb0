"""F1 of the quality targets: the espace professionnel's first page, in headless Chromium on the embedded default.

    .venv/bin/python bench/run_frontend_bench.py             # needs web/ built (make install), Chromium (make chromium)
    .venv/bin/python bench/run_frontend_bench.py --runs 40

* JavaScript: every script the first page loads (``/``, which shows the sign-in), taken from the network log of a
  cold load, not from a listing of ``web/dist``; each body gzipped at level 9 (``gzip -9``), which is what the
  gateway sends a browser accepting gzip (the build's ``.gz`` files); the decoded bytes are given too.
* Interactive sign-in: from the start of the navigation (``performance.timeOrigin``) until the identifier input
  exists, is enabled and takes the focus — the application's script has run and drawn the form. Checked in the
  page on every animation frame; each run in a fresh browser context (empty cache, no session: cold); warm-up
  loads first, then median and p95 of the runs. First contentful paint and DOMContentLoaded are given beside it.
* Peer, in the same run: the least a React 18 sign-in page built by the same Vite can be
  (``bench/frontend_peer``: one form; no router, no GraphQL client, no DSFR), served by a second embedded default
  through ``GATEWAY_WEB_DIST`` — same server, headers and Content-Security-Policy. The two are loaded in turn.

Writes ``bench/results/<timestamp>-frontend.json``, ``frontend.md`` and the key ``F1`` of ``latest.json``.
"""

import argparse
import gzip
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_bench.environment import REPO, RESULTS, WORK, BenchError, machine
from catalogue_bench.report import update_latest, write_json
from catalogue_bench.servers import start_embedded_default
from playwright.sync_api import Browser, Response, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WEB_DIST = REPO / "web" / "dist"
PEER = REPO / "bench" / "frontend_peer"
VITE = REPO / "web" / "node_modules" / "vite" / "bin" / "vite.js"
TARGET_JS_KB = 250
TARGET_INTERACTIVE_MS = 1500
INTERACTIVE = """() => {
  const input = document.getElementById('f-identifier');
  if (!input || input.disabled) return false;
  input.focus();
  return document.activeElement === input ? performance.now() : false;
}"""
TIMINGS = """() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return {dom_content_loaded_ms: navigation ? navigation.domContentLoadedEventEnd : null,
          first_contentful_paint_ms: paint ? paint.startTime : null};
}"""


@dataclass
class Measured:
    """One page under measure: its name, its server, and what the runs found."""

    name: str
    url: str
    interactive_ms: list[float] = field(default_factory=list)
    dom_content_loaded_ms: list[float] = field(default_factory=list)
    first_contentful_paint_ms: list[float] = field(default_factory=list)
    scripts: list[dict[str, Any]] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="cold loads of each page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="loads of each page before measuring (default 3)")
    parser.add_argument("--port", type=int, default=18501, help="the espace professionnel's embedded default")
    parser.add_argument("--peer-port", type=int, default=18511, help="the peer's embedded default")
    args = parser.parse_args()
    if not (WEB_DIST / "index.html").is_file():
        raise BenchError("web/ is not built: make install (or npm ci && npm run build in web/)")
    peer_dist = build_peer()
    started, load_before = datetime.now(UTC), os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        servers = [
            start_embedded_default("espace", Path(scratch) / "espace", args.port),
            start_embedded_default("peer", Path(scratch) / "peer", args.peer_port, web_dist=peer_dist),
        ]
        try:
            pages = [Measured("espace professionnel", f"{servers[0].url}/"), Measured("peer", f"{servers[1].url}/")]
            chromium = measure(pages, args.runs, args.warmup)
        finally:
            for server in servers:
                server.stop()
    raw = report(pages, args, started, load_before, chromium)
    write_json(RESULTS / f"{started:%Y%m%dT%H%M%SZ}-frontend.json", raw)
    (RESULTS / "frontend.md").write_text(markdown(raw))
    update_latest({"F1": latest_entry(raw)})
    print((RESULTS / "frontend.md").read_text())
    return 0 if raw["met"] else 1


def build_peer() -> Path:
    """The peer page, built with the Vite and React of web/node_modules into bench/.work."""
    if not VITE.is_file():
        raise BenchError("web/node_modules is missing: make install (or npm ci in web/)")
    out = WORK / "frontend-peer"
    command = ["node", str(VITE), "build", "--config", str(PEER / "vite.config.mjs")]
    subprocess.run(command, cwd=REPO, env={**os.environ, "F1_PEER_OUT": str(out)}, check=True)
    return out


def measure(pages: list[Measured], runs: int, warmup: int) -> str:
    """Warm-up loads, then ``runs`` cold loads of each page in turn; the scripts of the first measured load."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for _ in range(warmup):
                for page in pages:
                    load(browser, page.url)
            for run in range(runs):
                for page in pages if run % 2 == 0 else reversed(pages):
                    found = load(browser, page.url)
                    page.interactive_ms.append(found["interactive_ms"])
                    page.dom_content_loaded_ms.append(found["dom_content_loaded_ms"])
                    page.first_contentful_paint_ms.append(found["first_contentful_paint_ms"])
                    page.scripts = page.scripts or found["scripts"]
            return str(browser.version)
        finally:
            browser.close()


def load(browser: Browser, url: str) -> dict[str, Any]:
    """One cold load of ``url`` in a new context: when the sign-in became usable, and the scripts it fetched."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        responses: list[Response] = []
        page.on("response", lambda response: responses.append(response))  # a bound method cannot be wrapped
        page.goto(url, wait_until="commit")
        interactive = float(page.wait_for_function(INTERACTIVE, polling="raf", timeout=30_000).json_value())
        page.wait_for_load_state("networkidle")
        timings: dict[str, Any] = page.evaluate(TIMINGS)
        return {"interactive_ms": interactive, **timings, "scripts": scripts_of(responses)}
    finally:
        context.close()


def scripts_of(responses: list[Response]) -> list[dict[str, Any]]:
    scripts = []
    for response in responses:
        if response.request.resource_type != "script" and "javascript" not in response.headers.get("content-type", ""):
            continue
        body = response.body()
        scripts.append(
            {
                "path": urlsplit(response.url).path,
                "status": response.status,
                "content_encoding": response.headers.get("content-encoding", "identity"),
                "bytes": len(body),
                "gzip9_bytes": len(gzip.compress(body, compresslevel=9, mtime=0)),
            }
        )
    return scripts


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
    }


def report(
    pages: list[Measured], args: argparse.Namespace, started: datetime, load_before: tuple[float, ...], chromium: str
) -> dict[str, Any]:
    measured = {
        page.name: {
            "url": page.url,
            "js_bytes": sum(s["bytes"] for s in page.scripts),
            "js_gzip9_bytes": sum(s["gzip9_bytes"] for s in page.scripts),
            "scripts": page.scripts,
            "interactive_ms": stats(page.interactive_ms),
            "dom_content_loaded_ms": stats(page.dom_content_loaded_ms),
            "first_contentful_paint_ms": stats(page.first_contentful_paint_ms),
            "runs_ms": [round(value, 1) for value in page.interactive_ms],
        }
        for page in pages
    }
    ours = measured["espace professionnel"]
    checks = {
        f"js_gzip<={TARGET_JS_KB}kB": ours["js_gzip9_bytes"] <= TARGET_JS_KB * 1000,
        f"interactive_p95<={TARGET_INTERACTIVE_MS}ms": ours["interactive_ms"]["p95"] <= TARGET_INTERACTIVE_MS,
    }
    return {
        "benchmark": "F1",
        "date": started.isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": machine() | {"chromium": chromium, "platform": platform.platform()},
        "load_average_before_after": [[round(v, 2) for v in load] for load in (load_before, os.getloadavg())],
        "runs": args.runs,
        "warmup": args.warmup,
        "pages": measured,
        "checks": checks,
        "met": all(checks.values()),
    }


def latest_entry(raw: dict[str, Any]) -> dict[str, Any]:
    ours, peer = raw["pages"]["espace professionnel"], raw["pages"]["peer"]
    return {
        "value": round(ours["js_gzip9_bytes"] / 1000, 1),
        "unit": "kB of JavaScript (gzip -9) on the first page",
        "interactive_ms": ours["interactive_ms"],
        "peer": {
            "what": "a bare React 18 sign-in page built by the same Vite (bench/frontend_peer)",
            "js_gzip_kb": round(peer["js_gzip9_bytes"] / 1000, 1),
            "interactive_ms": peer["interactive_ms"],
        },
        "target": f"first page's JS <= {TARGET_JS_KB} kB gzipped; interactive sign-in p95 <= "
        f"{TARGET_INTERACTIVE_MS} ms",
        "met": raw["met"],
        "checks": raw["checks"],
        "command": raw["command"],
        "date": raw["date"],
        "machine": raw["machine"],
        "load_average_before_after": raw["load_average_before_after"],
    }


def markdown(raw: dict[str, Any]) -> str:
    ours, peer = raw["pages"]["espace professionnel"], raw["pages"]["peer"]
    m = raw["machine"]
    load_before, load_after = raw["load_average_before_after"]
    lines = [
        "# Front-end benchmark (F1)",
        "",
        f"- Date: {raw['date']}; command: `{raw['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['platform']}; headless Chromium "
        f"{m['chromium']} (Debian); load average (1, 5, 15 min) {load_before} before, {load_after} after — "
        "other processes may share the cores.",
        f"- Each page on its own embedded default (`structures dev`), {raw['warmup']} warm-up loads, then "
        f"{raw['runs']} cold loads each (new browser context: empty cache, no session), the two pages in turn.",
        "",
        "| measure | espace professionnel | peer (bare React 18 + Vite) | target | met |",
        "|---|---:|---:|---|---|",
        f"| JavaScript of the first page, gzip -9 | {ours['js_gzip9_bytes'] / 1000:.1f} kB | "
        f"{peer['js_gzip9_bytes'] / 1000:.1f} kB | ≤ {TARGET_JS_KB} kB | "
        f"{raw['checks'][f'js_gzip<={TARGET_JS_KB}kB']} |",
        f"| … decoded (the gateway sends the build's gzip) | {ours['js_bytes'] / 1000:.1f} kB | "
        f"{peer['js_bytes'] / 1000:.1f} kB | | |",
        f"| interactive sign-in, median (p95) | {ours['interactive_ms']['median']} ms "
        f"({ours['interactive_ms']['p95']} ms) | {peer['interactive_ms']['median']} ms "
        f"({peer['interactive_ms']['p95']} ms) | p95 ≤ {TARGET_INTERACTIVE_MS} ms | "
        f"{raw['checks'][f'interactive_p95<={TARGET_INTERACTIVE_MS}ms']} |",
        f"| first contentful paint, median | {ours['first_contentful_paint_ms']['median']} ms | "
        f"{peer['first_contentful_paint_ms']['median']} ms | | |",
        f"| DOMContentLoaded, median | {ours['dom_content_loaded_ms']['median']} ms | "
        f"{peer['dom_content_loaded_ms']['median']} ms | | |",
        "",
        "Interactive: from the start of the navigation until the identifier input exists, is enabled and takes the",
        "focus (checked in the page on every animation frame). Scripts as the network log saw them on one cold load:",
        "",
        "| page | script | bytes | gzip -9 |",
        "|---|---|---:|---:|",
        *[
            f"| {name} | `{s['path']}` | {s['bytes']} | {s['gzip9_bytes']} |"
            for name, page in raw["pages"].items()
            for s in page["scripts"]
        ],
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BenchError as error:
        raise SystemExit(f"bench: {error}") from None
