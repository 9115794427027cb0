"""The human summary of a run: bench/results/catalogue.md (P1) or bench/results/cache.md (P2)."""

from typing import Any

from catalogue_bench.report import P2_THROUGHPUT_TARGET, P99_TARGET, PEER_LABELS, THROUGHPUT_TARGET, Comparison, Run


def render(comparisons: list[Comparison], runs: list[Run], raw: dict[str, Any]) -> str:
    sections = [
        _heading(raw),
        _results(comparisons, raw),
        _peer_results(comparisons),
        _cache(raw),
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
    target = raw["target"]
    met = "met" if raw[target]["met"] else "NOT met"
    peers = [value["name"] for name, value in raw["peers"].items() if name != "gateway"]
    cache = (
        "with its response cache (default bound)" if raw["peers"]["gateway"]["response_cache"] else "no response cache"
    )
    title = (
        "# Cache-on benchmark (P2): gateway with its response cache vs PostGraphile 4 and 5, realistic mix"
        if target == "P2"
        else "# Catalogue benchmark (P1): gateway vs PostGraphile 4 and 5"
    )
    load = machine.get("load_average") or {}
    return "\n".join(
        [
            title,
            "",
            f"- Date: {raw['date']}; raw results: `{raw['raw']}`",
            f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; "
            f"Python {machine['python']}, Node {machine['node']} (PostGraphile 5 on Node "
            f"{machine.get('node_postgraphile5')}), PostgreSQL {raw['dataset']['postgres_version']}, {machine['wrk']}",
            f"- Load average (1/5/15 min) before the run {load.get('before')}, after it {load.get('after')}: the "
            "machine is shared with other work, compare the ratios of one run rather than absolute figures.",
            f"- Peers: gateway {raw['peers']['gateway']['version']} ({cache}), {', '.join(peers)}; ratios are "
            "against the faster peer of each query (by median throughput).",
            f"- **{target} {met}**: {raw[target]['target']}.",
        ]
    )


def _results(comparisons: list[Comparison], raw: dict[str, Any]) -> str:
    p2 = raw["target"] == "P2"
    target = P2_THROUGHPUT_TARGET if p2 else THROUGHPUT_TARGET
    header = [
        "## Results (medians of the measured runs)",
        "",
        "| Query | Gateway req/s | Faster peer | Its req/s | Throughput ratio (target >= "
        f"{target}) | Gateway p50 ms | Peer p50 ms | Gateway p99 ms | Peer p99 ms "
        f"| p99 ratio{'' if p2 else f' (target <= {P99_TARGET})'} | Errors (gw/peers) | Met |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    met = {c.query: (raw["P2"]["met"] if p2 else c.met) for c in comparisons}
    rows = [
        f"| {c.query} | {c.gateway.throughput:,.1f} | {PEER_LABELS[c.faster_peer]} | "
        f"{c.postgraphile.throughput:,.1f} | "
        f"**{c.throughput_ratio:.2f}x** | {c.gateway.p50_ms:.1f} | {c.postgraphile.p50_ms:.1f} | "
        f"{c.gateway.p99_ms:.1f} | {c.postgraphile.p99_ms:.1f} | **{c.p99_ratio:.2f}x** | "
        f"{c.gateway.errors}/{c.errors - c.gateway.errors} | {'yes' if met[c.query] else 'no'} |"
        for c in comparisons
    ]
    return "\n".join(header + rows)


def _peer_results(comparisons: list[Comparison]) -> str:
    lines = [
        "## Every peer (medians)",
        "",
        "| Query | Peer | req/s | p50 ms | p99 ms | Gateway / peer throughput | Gateway / peer p99 | Errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in comparisons:
        for name, peer in c.peers.items():
            ratio = c.gateway.throughput / peer.throughput if peer.throughput else float("inf")
            p99 = c.gateway.p99_ms / peer.p99_ms if peer.p99_ms else float("inf")
            lines.append(
                f"| {c.query} | {PEER_LABELS[name]} | {peer.throughput:,.1f} | {peer.p50_ms:.1f} | {peer.p99_ms:.1f} | "
                f"{ratio:.2f}x | {p99:.2f}x | {peer.errors} |"
            )
    return "\n".join(lines)


def _cache(raw: dict[str, Any]) -> str:
    if raw["target"] != "P2":
        return ""
    entry = raw["P2"]
    publications = entry["publications"]
    return "\n".join(
        [
            "## The gateway's response cache and the background publications",
            "",
            f"- Hit rate over the gateway's measured runs: **{entry['hit_rate']}** (per run {entry['hit_rates']}; "
            f"possible on the bodies it was sent: {entry.get('possible_hit_rate')}, i.e. by a cache without bound that "
            "no publication touched; "
            "from `structures_response_cache_lookups_total` in its /metrics, read before and after each run); "
            f"{entry['invalidations']:,} entries dropped by publications, {entry['evictions']:,} by the memory bound.",
            f"- The mix: {entry['mix_bodies']:,} bodies, Q1 and Q2 in turn, distinct bodies {entry['distinct_bodies']} "
            "(taken in turn by wrk: a body comes back once the file has been gone through).",
            f"- Publications: {publications.get('published')} published in {publications.get('seconds')} s "
            f"({publications.get('rate_achieved')}/s, wanted {publications.get('rate_wanted')}/s) by "
            f"{publications.get('agents')} agents through `publishAvailabilities`, {publications.get('refused')} "
            f"refused, {publications.get('failed')} failed; answer p50 {publications.get('p50_ms')} ms, p99 "
            f"{publications.get('p99_ms')} ms. They run during every peer's runs (the same database load for all).",
        ]
    )


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
            f"the same for every peer (so the same offered load in the closed-loop sense: wrk2-style constant-rate "
            f"pacing is not in Debian). Per query and peer: {settings['warmup_seconds']} s warm-up, then "
            f"{settings['runs']} runs of {settings['run_seconds']} s, the peers' runs interleaved; medians.",
            f"- Pinning: {settings['pinning']}.",
            f"- Parameters: {settings['samples']} request bodies per query and peer, seed {settings['param_seed']}: "
            "Q1 points near random EAJE (up to ~2 km away) with the next 14 days, Q2 communes drawn by population, "
            "Q3 random establishments; taken in turn by wrk."
            + (
                f" P2's mix: {settings['mix_samples']} bodies, Q1 (points around EAJE drawn by commune population, "
                "rounded to 3 decimals) and Q2 (communes by population) in turn."
                if settings.get("p2")
                else ""
            ),
            "- PostGraphile 4: `bench/postgraphile/server.js` (no watch, no GraphiQL, no query log, default "
            "mutations off, dynamic JSON), PostGraphile 5: `bench/postgraphile5/server.mjs` (amber + V4 preset, "
            "the same options; Node 22 from npm), each with a pool of "
            f"{settings['postgraphile_pool']} connections, schema `bench_pg` from `bench/postgraphile/schema.sql`; "
            "documents in `bench/queries/postgraphile/` for both (aliases give the gateway's answer shape).",
            "- Gateway: one `structures gateway` process, GATEWAY_ENVIRONMENT=production, GATEWAY_LOG_LEVEL=WARNING, "
            f"response cache {settings.get('gateway_response_cache', 'off')}; documents in `bench/queries/gateway/`.",
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
        "| Query | Peer | Run | req/s | p50 ms | p90 ms | p99 ms | max ms | Errors | Cache hit rate |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        r = run.result
        hit_rate = f"{run.cache['hit_rate']} of {run.cache.get('possible_hit_rate')} possible" if run.cache else "-"
        lines.append(
            f"| {run.query} | {run.peer} | {run.index} | {r.throughput:,.1f} | {r.p50_ms:.1f} | {r.p90_ms:.1f} | "
            f"{r.p99_ms:.1f} | {r.max_ms:.1f} | {r.errors} | {hit_rate} |"
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
            *(f"# {name}: {commands[name]}" for name in ("postgraphile", "postgraphile5") if name in commands),
            f"# load: {commands['wrk']}",
            "```",
        ]
    )
