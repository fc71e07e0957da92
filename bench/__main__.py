"""``python -m bench [--quick] [--only NAME ...] [--out DIR]``: every benchmark in one run.

Writes ``results/latest.json`` and ``results/latest.md`` (the README's table). Timings are
medians of several runs; ratios compare qnb with direct Aer measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import (
    bound_circuits,
    kernel_side,
    overhead,
    primitives,
    remote,
    round_trips,
    shared_store,
    sidebar,
    store_api,
    store_scale,
)

SECTIONS = {
    "submit_latency": kernel_side.submit_latency,
    "end_to_end_bell": kernel_side.end_to_end,
    "kernel_responsiveness": kernel_side.kernel_responsiveness,
    "overhead_qasmbench": overhead.qasmbench,
    "overhead_sweep": overhead.parameter_sweep,
    "remote_following": remote.follow_many,
    "store_api": store_api.list_latency,
    "load_ext": kernel_side.load_ext,
    "runner_cold_start": kernel_side.runner_cold_start,
    "sampler_pub_sweep": primitives.sampler_sweep,
    "vqe_cobyla": primitives.vqe_cobyla,
    "sequential_round_trip": round_trips.sequential,
    "burst_of_small_jobs": round_trips.burst,
    "bound_round_trip": bound_circuits.sequential,
    "bound_burst": bound_circuits.burst,
    "million_jobs": store_scale.million_jobs,
    "shared_burst": shared_store.burst,
    "shared_wakeup": shared_store.wakeup,
    "shared_claim_growth": shared_store.claim_growth,
    "sidebar": sidebar.sidebar,
}


def _dask(quick: bool) -> dict[str, Any]:
    from . import dask_bench

    return dask_bench.run(quick)


if (Path(__file__).parent / "dask_bench.py").exists():
    SECTIONS["dask"] = _dask


def machine() -> dict[str, Any]:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def targets(r: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(what, measured, met) for each target of the issues."""
    def get(*keys: str) -> Any:
        d: Any = r
        for k in keys:
            if not isinstance(d, dict) or k not in d or d[k] is None:
                return None
            d = d[k]
        return d

    rows = []

    def row(name: str, value: Any, fmt: str, ok: Any) -> None:
        rows.append((name, "–" if value is None else fmt.format(value),
                     None if value is None else bool(ok(value))))

    row("%%qsubmit median, 20 qubits (< 20 ms)", get("submit_latency", "20q", "median_ms"),
        "{:.1f} ms", lambda v: v < 20)
    worst = None
    for key in ("1_jobs", "10_jobs", "100_jobs"):
        v = get("kernel_responsiveness", key, "p95_ms")
        if v is not None:
            worst = v if worst is None else max(worst, v)
    row("trivial cell p95 while jobs run (< 50 ms)", worst, "{:.1f} ms", lambda v: v < 50)
    row("qnb / direct Aer, MQT Bench + QASMBench (<= 1.25)", get("overhead_qasmbench", "ratio"),
        "{:.2f}", lambda v: v <= 1.25)
    row("qnb / direct Aer, sweep (<= 1.5)", get("overhead_sweep", "ratio"), "{:.2f}",
        lambda v: v <= 1.5)
    row("Bell submit to DONE median (< 100 ms)", get("end_to_end_bell", "median_ms"),
        "{:.1f} ms", lambda v: v < 100)
    row("runner CPU following remote jobs (< 5 % of a core)",
        get("remote_following", "runner_cpu_percent_of_one_core"), "{:.2f} %", lambda v: v < 5)
    row("remote finish noticed by the runner (p95 < 2 s)",
        get("remote_following", "finish_noticed", "p95_ms"), "{:.0f} ms", lambda v: v < 2000)
    row("remote finish to DONE with result in the store (median)",
        get("remote_following", "done_delay", "median_ms"), "{:.0f} ms", lambda v: True)
    row("GET /qnb/api/jobs?limit=50 p95 (< 50 ms)",
        get("store_api", "get_jobs_limit50", "p95_ms"), "{:.1f} ms", lambda v: v < 50)
    row("%load_ext qnb median (< 150 ms)", get("load_ext", "median_ms"), "{:.1f} ms",
        lambda v: v < 150)
    row("200-point Sampler PUB, qnb.Sampler / Aer SamplerV2 in-process (<= 1.5)",
        get("sampler_pub_sweep", "ratio"), "{:.2f}", lambda v: v <= 1.5)
    row("20-step COBYLA VQE, qnb.Estimator / Aer EstimatorV2 in-process (<= 1.5)",
        get("vqe_cobyla", "ratio"), "{:.2f}", lambda v: v <= 1.5)
    row("sequential small job, qnb / Aer in-process on the pre-transpiled circuit (<= 5; "
        "moonshot <= 2.5)", get("sequential_round_trip", "ratio"), "{:.1f}", lambda v: v <= 5)
    row("500 small jobs at once until all DONE, qnb / in-process loop (<= 3; moonshot <= 1)",
        get("burst_of_small_jobs", "ratio"), "{:.2f}", lambda v: v <= 3)
    row("hybrid loop, a new bound circuit per step: sequential round trip, qnb / Aer "
        "in-process on the ansatz transpiled once (<= 2.5)", get("bound_round_trip", "ratio_bound"),
        "{:.2f}", lambda v: v <= 2.5)
    row("  the same loop with one identical circuit every step (beside it, same run)",
        get("bound_round_trip", "ratio_same"), "{:.2f}", lambda v: True)
    row("500 distinct bound circuits at once until all DONE, qnb / in-process loop (<= 2; "
        "moonshot <= 1.2)", get("bound_burst", "ratio_bound"), "{:.2f}", lambda v: v <= 2)
    row("  500 copies of one circuit at once (beside it, same run)",
        get("bound_burst", "ratio_same"), "{:.2f}", lambda v: True)
    row("first Bell job DONE after the first submit, new QNB_HOME (<= 2 s)",
        get("runner_cold_start", "first_job_done", "median_ms"), "{:.0f} ms",
        lambda v: v <= 2000)
    row("1M jobs: %%qsubmit median (< 5 ms)", get("million_jobs", "qsubmit", "median_ms"),
        "{:.1f} ms", lambda v: v < 5)
    row("1M jobs: %qjobs median (< 100 ms)", get("million_jobs", "qjobs", "median_ms"),
        "{:.1f} ms", lambda v: v < 100)
    row("1M jobs: REST list p95 (< 50 ms)", get("million_jobs", "rest_list", "p95_ms"),
        "{:.1f} ms", lambda v: v < 50)
    row("1M jobs: REST search ?q= (part of a name) p95 (< 50 ms)",
        get("million_jobs", "rest_list", "search", "p95_ms"), "{:.1f} ms", lambda v: v < 50)
    row("1M jobs: runner claim, over the claim at 2,000 jobs (no growth: <= 1.5)",
        get("million_jobs", "claim_growth"), "{:.2f}", lambda v: v <= 1.5)
    row("500 small jobs at once, PostgreSQL / SQLite, one runner (<= 1.5)",
        get("shared_burst", "ratio"), "{:.2f}", lambda v: v <= 1.5)
    row("the same burst on PostgreSQL, two runners of 1 worker / one runner of 2 (<= 1)",
        get("shared_burst", "two_runners_over_one"), "{:.2f}", lambda v: v <= 1.0)
    row("PostgreSQL: submit to a worker's claim, submitter in another home (NOTIFY), p95 "
        "(< 10 ms)", get("shared_wakeup", "other_home", "p95_ms"), "{:.1f} ms",
        lambda v: v < 10)
    row("  the same, submitter in the runner's home (it pokes the workers), p95",
        get("shared_wakeup", "same_home", "p95_ms"), "{:.1f} ms", lambda v: True)
    row("PostgreSQL, 1M jobs: claim over the claim at 2,000 (no growth: <= 1.5)",
        get("shared_claim_growth", "claim_growth"), "{:.2f}", lambda v: v <= 1.5)
    row("100k jobs: sidebar first rows after opening the panel (< 1 s)",
        get("sidebar", "panel_first_rows", "median_ms"), "{:.0f} ms", lambda v: v < 1000)
    row("100k jobs: sidebar frame interval while wheel-scrolling, p95 (smooth: < 34 ms)",
        get("sidebar", "scroll_frame_ms", "p95_ms"), "{:.0f} ms", lambda v: v < 34)
    row("100k jobs: sidebar rows after a jump of the scrollbar, p95 (< 300 ms)",
        get("sidebar", "jump_to_rows", "p95_ms"), "{:.0f} ms", lambda v: v < 300)
    row("a job's change reaches the open sidebar, p95 (< 300 ms)",
        get("sidebar", "change_to_panel", "p95_ms"), "{:.0f} ms", lambda v: v < 300)
    row("Dask 2 workers vs 1 (>= 1.6x)", get("dask", "speedup_2_vs_1"), "{:.2f}x",
        lambda v: v >= 1.6)
    row("Dask over local pool (< 20 %)", get("dask", "overhead_vs_local_pool"), "{:+.0%}",
        lambda v: v < 0.20)
    return rows


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"Measured {report['date']} on {m['cores']} cores, {m['memory_gib']} GiB, "
             f"Python {m['python']} with `{report['command']}`.", "",
             "| target | measured | met |", "| --- | --- | --- |"]
    for name, value, ok in targets(report["results"]):
        lines.append(f"| {name} | {value} | {'yes' if ok else 'no' if ok is False else '–'} |")
    for section, result in report["results"].items():
        for part, reason in (result.get("skipped") or {}).items():
            lines += ["", f"{section}: {part} part skipped: {reason}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="run only these")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    failed = []
    for name, fn in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = fn(args.quick)
        except Exception as exc:
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            failed.append(name)
        print(f"[bench] {name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    command = "python -m bench" + (" --quick" if args.quick else "") + (
        f" --only {' '.join(args.only)}" if args.only else "")
    report = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "command": command,
              "machine": machine(), "quick": args.quick, "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "latest"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (args.out / f"{stem}.md").write_text(markdown(report))
    print(markdown(report))
    if failed:
        print(f"[bench] failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
