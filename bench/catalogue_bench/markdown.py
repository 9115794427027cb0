"""The human summary of a run: bench/results/catalogue.md."""

from typing import Any

from catalogue_bench.report import P99_TARGET, THROUGHPUT_TARGET, Comparison, Run


def render(comparisons: list[Comparison], runs: list[Run], raw: dict[str, Any]) -> str:
    sections = [
        _heading(raw),
        _results(comparisons),
        _dataset(raw["dataset"]),
        _method(raw),
        _same_rows(raw["same_rows"]),
        _runs(runs),
        _profile(raw.get("profile")),
        _commands(raw),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _heading(raw: dict[str, Any]) -> str:
    machine = raw["machine"]
    met = "met" if raw["P1"]["met"] else "NOT met"
    return "\n".join(
        [
            "# Catalogue benchmark (P1): gateway vs PostGraphile 4",
            "",
            f"- Date: {raw['date']}; raw results: `{raw['raw']}`",
            f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
            f"Python {machine['python']}, Node {machine['node']}, PostgreSQL {raw['dataset']['postgres_version']}, "
            f"{machine['wrk']}",
            f"- Peers: gateway {raw['peers']['gateway']['version']} (no response cache), "
            f"{raw['peers']['postgraphile']['name']}",
            f"- **P1 {met}**: {raw['P1']['target']}.",
        ]
    )


def _results(comparisons: list[Comparison]) -> str:
    header = [
        "## Results (medians of the measured runs)",
        "",
        "| Query | Gateway req/s | PostGraphile req/s | Throughput ratio (target >= "
        f"{THROUGHPUT_TARGET}) | Gateway p50 ms | PostGraphile p50 ms | Gateway p99 ms | PostGraphile p99 ms "
        f"| p99 ratio (target <= {P99_TARGET}) | Errors (gw/pg) | Met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = [
        f"| {c.query} | {c.gateway.throughput:,.1f} | {c.postgraphile.throughput:,.1f} | "
        f"**{c.throughput_ratio:.2f}x** | {c.gateway.p50_ms:.1f} | {c.postgraphile.p50_ms:.1f} | "
        f"{c.gateway.p99_ms:.1f} | {c.postgraphile.p99_ms:.1f} | **{c.p99_ratio:.2f}x** | "
        f"{c.gateway.errors}/{c.postgraphile.errors} | {'yes' if c.met else 'no'} |"
        for c in comparisons
    ]
    return "\n".join(header + rows)


def _dataset(dataset: dict[str, Any]) -> str:
    reused = "loaded by this run" if dataset["loaded_in_this_run"] else f"reused (loaded {dataset['loaded_at']})"
    return "\n".join(
        [
            "## Dataset",
            "",
            f"- `{dataset['dataset']}` scale {dataset['scale']:g}, seed {dataset['seed']}, database "
            f"`{dataset['database']}`, {reused}",
            f"- Load time: **{dataset['load_seconds']:.1f} s** (`structures load`), then VACUUM ANALYZE "
            f"{dataset['vacuum_seconds']:.1f} s; database size **{dataset['database_size']}** "
            f"({dataset['database_bytes']:,} bytes, pg_database_size)",
            f"- {dataset['establishments']:,} establishments ({dataset['eaje']:,} EAJE), "
            f"{dataset['availabilities']:,} availabilities, {dataset['published_operating_infos']:,} published "
            f"operating infos, {dataset['communes']:,} communes",
        ]
    )


def _method(raw: dict[str, Any]) -> str:
    settings = raw["settings"]
    return "\n".join(
        [
            "## Method",
            "",
            f"- Load: wrk, closed loop, {settings['connections']} connections, {settings['threads']} thread(s), "
            f"the same for both peers (so the same offered load in the closed-loop sense: wrk2-style constant-rate "
            f"pacing is not in Debian). Per query and peer: {settings['warmup_seconds']} s warm-up, then "
            f"{settings['runs']} runs of {settings['run_seconds']} s, the peers' runs interleaved; medians.",
            f"- Pinning: {settings['pinning']}.",
            f"- Parameters: {settings['samples']} request bodies per query and peer, seed {settings['param_seed']}: "
            "Q1 points near random EAJE (up to ~2 km away) with the next 14 days, Q2 communes drawn by population, "
            "Q3 random establishments; taken in turn by wrk.",
            "- PostGraphile: `bench/postgraphile/server.js` (no watch, no GraphiQL, no query log, default "
            "mutations off, dynamic JSON), pool of "
            f"{settings['postgraphile_pool']} connections, schema `bench_pg` from `bench/postgraphile/schema.sql`; "
            "documents in `bench/queries/postgraphile/` (aliases give the gateway's answer shape).",
            "- Gateway: one `structures gateway` process, GATEWAY_ENVIRONMENT=production, GATEWAY_LOG_LEVEL=WARNING; "
            "documents in `bench/queries/gateway/`.",
        ]
    )


def _same_rows(report: dict[str, Any]) -> str:
    lines = ["## Same rows", "", f"Checked before loading: {'identical answers' if report['ok'] else 'DIFFERENT'}."]
    for query, found in report["queries"].items():
        lines.append(
            f"- {query}: {found['samples']} parameter sets, {found['establishments_compared']} establishments and "
            f"{found['availabilities_compared']} availabilities compared, {found['empty_answers']} empty answers"
        )
    return "\n".join(lines)


def _runs(runs: list[Run]) -> str:
    lines = [
        "## Every measured run",
        "",
        "| Query | Peer | Run | req/s | p50 ms | p90 ms | p99 ms | max ms | Errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        r = run.result
        lines.append(
            f"| {run.query} | {run.peer} | {run.index} | {r.throughput:,.1f} | {r.p50_ms:.1f} | {r.p90_ms:.1f} | "
            f"{r.p99_ms:.1f} | {r.max_ms:.1f} | {r.errors} |"
        )
    return "\n".join(lines)


def _profile(profile: dict[str, Any] | None) -> str:
    if not profile:
        return ""
    lines = [
        f"## Where the gateway spends its time under {profile['query']} (py-spy, {profile['samples']} samples)",
        "",
        f"Raw stacks: `{profile['raw']}`. Inclusive share of samples:",
        "",
    ]
    lines.extend(f"- {share:.1f} % {frame}" for frame, share in profile["inclusive"])
    lines += ["", "Self time by library (innermost frame):", ""]
    lines.extend(f"- {share:.1f} % {library}" for library, share in profile["self_by_library"] if share >= 0.5)
    return "\n".join(lines)


def _commands(raw: dict[str, Any]) -> str:
    commands = raw["commands"]
    return "\n".join(
        [
            "## Commands",
            "",
            "```",
            f"{raw['command']}",
            f"# dataset: {raw['dataset']['command']}",
            f"# gateway: {commands['gateway']}",
            f"# postgraphile: {commands['postgraphile']}",
            f"# load: {commands['wrk']}",
            "```",
        ]
    )
