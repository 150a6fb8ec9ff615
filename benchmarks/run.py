"""Benchmark the pipeline at national scale against DuckDB and pandas, stage by stage and end to end.

    cd /work/main && uv run python -m benchmarks.run --sizes 250 500 1000 2000 --cases 100 \\
        --out benchmarks/results.json

For each N in --sizes, on one synthetic landing zone of N inspections x --cases cases (flows/synth.py):

transforms   (best of --repeats, all inspections in one call, in memory)
    project build_tables (every published table); project key_question_results alone; project
    key-question results + standard ratings + scores (like for like with the peers); DuckDB SQL (wide
    and long layouts, from an Arrow table and from a combined Parquet file); pandas. The three engines
    are checked to agree before they are timed.
ingest / validation (once)
    read_extract for every inspection; Pandera (schemas.extract.check_cases) per inspection, as the
    validate stage ran it, and batched (schemas.extract.check_cases_many: one Pandera call per batch, the
    per-inspection check only for inspections that fail); check_ratable per inspection and batched.
pipeline     (--pipeline-sizes, once, fresh warehouse)
    the stage functions of flows/stages/ over batches of --batch-size, in the
    order run_pipeline runs them but without Prefect: plan, ingest, validate, aggregate, check, publish,
    finalize. Stages whose code has not landed (renderers, quality gate) are reported as unavailable.
    Runs in a fresh child process; also times the functions inside the stages where the time goes
    (Pandera, build_tables, the renderers, the manifest commit) and the memory after each stage.
end to end   (--e2e-sizes, once, fresh warehouse, one subprocess per run)
    flows.pipeline.backfill(inspection_ids=None, force=True, ...) through Prefect; wall time, the time
    inside the flow, and peak memory (ru_maxrss of the child, and the peak summed RSS of its process
    tree sampled with psutil, which includes Prefect's ephemeral API server). --e2e-processes-sizes runs
    it again on Prefect's ProcessPoolTaskRunner(max_workers=2) instead of the flow's thread pool.

Then prints ratios (project / DuckDB, project / pandas), each stage's share of the pipeline, and growth
(time per inspection at each N, the log-log slope of time against N, 1.0 being linear, and a linear fit
seconds = fixed + ms per inspection x N) and writes every figure to --out as JSON. Not part of the
default test run. --skip-per-inspection leaves out the slow per-inspection Pandera timing.

Prefect runs offline with its home in .prefect/benchmarks (set before Prefect is imported).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def prefect_environment() -> dict[str, str]:
    """Prefect offline, quiet, and in its own home inside the project (set before Prefect is imported)."""
    values = {
        "PREFECT_HOME": str(PROJECT / ".prefect" / "benchmarks"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_UI_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
    }
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in values}


prefect_environment()

import polars as pl  # noqa: E402

from benchmarks.peers import duckdb_connection, duckdb_results, normalise, pandas_results, project_results  # noqa: E402
from flows.synth import synthesise  # noqa: E402
from transforms.framework import Framework, load_framework  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Timing helpers
# ---------------------------------------------------------------------------------------------


def best_of(function: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` calls, in seconds."""
    best = math.inf
    for _ in range(max(1, repeats)):
        gc.collect()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def once(function: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def high_water_mb() -> float:
    """This process's peak memory since it started or since the last reset_high_water(), in MB (Linux: VmHWM;
    elsewhere ru_maxrss, which also counts the parent's peak before exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_high_water() -> None:
    """Start measuring this process's peak memory afresh (Linux), so that each stage's own peak is seen."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def available(*modules: str) -> str | None:
    """None when every module imports, else the first error (e.g. renderers not written yet)."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # ImportError, or a module half-written by someone else
            return f"{module}: {type(error).__name__}: {error}"
    return None


def slope(sizes: list[int], seconds: list[float]) -> float | None:
    """Least-squares slope of log(time) against log(N): 1.0 means time grows linearly with N."""
    points = [(math.log(n), math.log(t)) for n, t in zip(sizes, seconds, strict=True) if t and t > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return round(sum((x - mx) * (y - my) for x, y in points) / sxx, 3) if sxx else None


def linear_fit(sizes: list[int], seconds: list[float]) -> dict | None:
    """Least-squares seconds = fixed + per_inspection x N, and the worst relative miss (small = linear)."""
    if len(sizes) < 2:
        return None
    mx, my = sum(sizes) / len(sizes), sum(seconds) / len(seconds)
    sxx = sum((x - mx) ** 2 for x in sizes)
    if not sxx:
        return None
    b = sum((x - mx) * (y - my) for x, y in zip(sizes, seconds, strict=True)) / sxx
    a = my - b * mx
    worst = max(abs(a + b * x - y) / y for x, y in zip(sizes, seconds, strict=True) if y)
    return {"fixed_seconds": round(a, 3), "ms_per_inspection": round(1000 * b, 3), "worst_miss": round(worst, 3)}


# ---------------------------------------------------------------------------------------------
# The measurements
# ---------------------------------------------------------------------------------------------


def read_landing(landing: Path, ids: list[str], framework: Framework):
    """The project's ingest read (read_extract) of every inspection, and the combined validated inputs."""
    from flows.store.landing import read_extract

    extracts = [read_extract(str(landing), inspection_id) for inspection_id in ids]
    parts, manifests, organisational = [], [], []
    for extract in extracts:
        columns = [
            "case_id",
            *framework.case_characteristics,
            *framework.question_ids,
            *[p for p in framework.prompt_ids if p in extract.cases.columns],
        ]
        parts.append(extract.cases.select(columns).with_columns(inspection_id=pl.lit(extract.inspection_id)))
        m = extract.manifest
        manifests.append(
            {
                "inspection_id": extract.inspection_id,
                "framework": framework.id,
                "pdu": m["pdu"],
                "region": m["region"],
                "fieldwork_start": m["fieldwork_start"],
                "fingerprint": extract.fingerprint,
            }
        )
        organisational += [
            {"inspection_id": extract.inspection_id, "standard_id": s, "rating": r}
            for s, r in m["organisational_ratings"].items()
        ]
    cases = pl.concat(parts, how="diagonal")
    return (
        extracts,
        cases,
        pl.DataFrame(manifests),
        pl.DataFrame(
            organisational, schema={"inspection_id": pl.String, "standard_id": pl.String, "rating": pl.String}
        ),
    )


def measure_transforms(
    cases: pl.DataFrame,
    manifests: pl.DataFrame,
    organisational: pl.DataFrame,
    framework: Framework,
    threshold: int,
    repeats: int,
    workdir: Path,
    batch_size: int,
) -> dict:
    """Project transforms vs DuckDB vs pandas on the same in-memory cases (and the same Parquet file)."""
    from polars.testing import assert_frame_equal

    from transforms.results import key_question_results
    from transforms.tables import build_tables

    arrow = cases.to_arrow()
    organisational_arrow = organisational.to_arrow()
    cases_pandas = cases.to_pandas()
    organisational_pandas = organisational.to_pandas()
    parquet = workdir / "combined-cases.parquet"
    cases.write_parquet(parquet)
    connection = duckdb_connection()

    # The three engines must agree before their times mean anything.
    reference = normalise(project_results(cases, organisational, framework))
    for engine, results in (
        ("duckdb", duckdb_results(arrow, organisational_arrow, framework, "wide", connection)),
        ("duckdb_long", duckdb_results(arrow, organisational_arrow, framework, "long", connection)),
        ("pandas", pandas_results(cases_pandas, organisational_pandas, framework)),
    ):
        for name, frame in normalise(results).items():
            assert_frame_equal(reference[name], frame, check_exact=False, rel_tol=0, abs_tol=1e-9), (engine, name)

    times = {
        "project_build_tables": best_of(
            lambda: build_tables(cases, manifests, organisational, framework, threshold), repeats
        ),
        "project_key_question_results": best_of(lambda: key_question_results(cases, framework), repeats),
        "project_results": best_of(lambda: project_results(cases, organisational, framework), repeats),
        "duckdb": best_of(lambda: duckdb_results(arrow, organisational_arrow, framework, "wide", connection), repeats),
        "duckdb_long": best_of(
            lambda: duckdb_results(arrow, organisational_arrow, framework, "long", connection), repeats
        ),
        "pandas": best_of(lambda: pandas_results(cases_pandas, organisational_pandas, framework), repeats),
        # From the same combined Parquet file (read included).
        "project_results_from_parquet": best_of(
            lambda: project_results(pl.read_parquet(parquet), organisational, framework), repeats
        ),
        "duckdb_from_parquet": best_of(
            lambda: duckdb_results(str(parquet), organisational_arrow, framework, "wide", connection), repeats
        ),
        "pandas_from_parquet": best_of(
            lambda: pandas_results(pl.read_parquet(parquet).to_pandas(), organisational_pandas, framework), repeats
        ),
    }
    connection.close()
    # As the aggregate stage runs it: build_tables once per batch of batch_size inspections.
    ids = manifests["inspection_id"].to_list()
    batches = []
    for k in range(0, len(ids), batch_size):
        chosen = ids[k : k + batch_size]
        batches.append(
            (
                cases.filter(pl.col("inspection_id").is_in(chosen)),
                manifests.filter(pl.col("inspection_id").is_in(chosen)),
                organisational.filter(pl.col("inspection_id").is_in(chosen)),
            )
        )
    times["project_build_tables_per_batch"] = best_of(
        lambda: [build_tables(c, m, o, framework, threshold) for c, m, o in batches], repeats
    )
    # Where build_tables spends its time, table by table.
    from transforms.ratings import inspection_summaries, standard_ratings
    from transforms.results import breakdowns, prompt_results, sample_profile
    from transforms.suppression import suppress_small_numbers

    kq = key_question_results(cases, framework)
    ratings = standard_ratings(kq, organisational, framework)
    counted = breakdowns(cases, framework)
    parts = {
        "key_question_results": lambda: key_question_results(cases, framework),
        "standard_ratings": lambda: standard_ratings(kq, organisational, framework),
        "inspection_summaries": lambda: inspection_summaries(manifests.drop("fingerprint"), cases, ratings, framework),
        "prompt_results": lambda: prompt_results(cases, framework),
        "breakdowns": lambda: breakdowns(cases, framework),
        "suppress_small_numbers": lambda: suppress_small_numbers(counted, threshold),
        "sample_profile": lambda: sample_profile(cases, framework),
    }
    times["build_tables_parts"] = {name: best_of(fn, repeats) for name, fn in parts.items()}
    return times


def measure_validation(
    extracts, cases: pl.DataFrame, framework: Framework, batch_size: int, per_inspection: bool = True
) -> dict:
    """Pandera per inspection (check_cases) against batched (check_cases_many), and the ratability check."""
    from schemas.extract import check_cases, check_cases_many, check_ratable, check_ratable_many

    inputs = [(e.inspection_id, e.cases, e.cases_file, e.header_rows) for e in extracts]
    batched, batched_problems = once(
        lambda: [check_cases_many(inputs[k : k + batch_size], framework) for k in range(0, len(inputs), batch_size)]
    )
    merged = {}
    for part in batched_problems:
        merged.update(part)
    problems = [merged[i] for i, *_ in inputs]
    whole_run, _ = once(lambda: check_cases_many(inputs, framework))
    if not per_inspection:
        return {
            "pandera_batched": batched,
            "pandera_one_call_for_the_run": whole_run,
            "problems_found": sum(len(p) for p in problems),
        }
    per_inspection_seconds, expected = once(lambda: [check_cases(c, framework, i, f, h) for i, c, f, h in inputs])
    assert problems == expected, "check_cases_many disagrees with check_cases"
    ratable, _ = once(lambda: [check_ratable(c, framework, i, f) for i, c, f, _ in inputs])
    ids = [i for i, *_ in inputs]
    files = {i: f for i, _, f, _ in inputs}
    ratable_batched, _ = once(
        lambda: [
            check_ratable_many(cases.filter(pl.col("inspection_id").is_in(ids[k : k + batch_size])), framework, files)
            for k in range(0, len(ids), batch_size)
        ]
    )
    return {
        "pandera_per_inspection": per_inspection_seconds,
        "pandera_batched": batched,
        "pandera_one_call_for_the_run": whole_run,
        "problems_found": sum(len(p) for p in problems),
        "check_ratable_per_inspection": ratable,
        "check_ratable_batched": ratable_batched,
    }


class Meter:
    """Accumulates the time spent in chosen functions while a stage runs (monkeypatched in the child only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, module, attribute: str, label: str) -> None:
        original = getattr(module, attribute)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        setattr(module, attribute, timed)


def staged_pipeline(landing: Path, warehouse: Path, batch_size: int, threshold: int | None = None) -> dict:
    """The stages run_pipeline runs, in its order, without Prefect; seconds per stage (None: not available).

    Also times, inside the stages, the functions where the time goes (Pandera, ratability, build_tables,
    the spreadsheet and HTML renderers, the manifest commit), and Great Expectations' import on its own.
    Meant to run in a fresh process (see staged_child), so one-off imports are counted once per run.
    """
    from flows.config import settings
    from flows.stages import aggregate, gate, ingest, national, plan, validate
    from flows.store import manifest, staging

    config = settings(str(landing), str(warehouse), None, threshold)
    meter = Meter()
    meter.wrap(ingest, "read_extract", "ingest: read_extract")
    meter.wrap(staging.Batch, "_write_frame", "ingest+validate+aggregate: write_frame (staging Parquet)")
    for attribute, label in (
        ("check_cases_many", "validate: Pandera check_cases_many (per batch)"),
        ("check_ratable_many", "validate: check_ratable_many (per batch)"),
    ):
        meter.wrap(validate, attribute, label)
    meter.wrap(aggregate, "build_tables", "aggregate: build_tables")
    times: dict[str, float | None] = {}
    notes: dict[str, object] = {}
    memory: dict[str, float] = {"start": rss_mb()}
    peak: dict[str, float] = {}  # each stage's own peak memory (since the stage before)

    def mark(stage: str) -> None:
        peak[stage] = high_water_mb()
        reset_high_water()

    reset_high_water()

    times["plan"], planned = once(
        lambda: plan.plan(config.landing, config.warehouse, config.frameworks_dir, None, None, None, True, None)
    )
    work = plan.batches(planned["process"], batch_size)
    run_id = str(uuid.uuid4())
    stagings = staging.batch_folders(staging.claim(config.warehouse, run_id), len(work))
    w, fd = config.warehouse, config.frameworks_dir
    times["ingest"], _ = once(
        lambda: [ingest.ingest(config.landing, w, s, ids, fd, None) for s, ids in zip(stagings, work, strict=True)]
    )
    memory["ingest"] = rss_mb()
    mark("ingest")
    times["validate"], _ = once(lambda: [validate.validate(w, s, fd, config.minimum_cases) for s in stagings])
    memory["validate"] = rss_mb()
    mark("validate")
    times["aggregate"], _ = once(
        lambda: [aggregate.aggregate(w, s, fd, config.suppression_threshold) for s in stagings]
    )
    memory["aggregate"] = rss_mb()
    mark("aggregate")
    missing = available("schemas.quality")
    if missing:
        times["check"], notes["check"] = None, missing
    else:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        times["gx_import"], _ = once(lambda: __import__("great_expectations"))
        times["check"], _ = once(lambda: gate.gate(w, stagings, fd))
        mark("gate")
        times["national"], _ = once(lambda: national.national(w, stagings))
        memory["check"] = rss_mb()
        mark("national")
    missing = missing or available("flows.render.html", "flows.render.spreadsheet")
    if missing:
        times["publish"] = times["finalize"] = None
        notes["publish"] = notes["finalize"] = missing
    else:
        import datetime as dt

        from flows.stages import finalize, periods, publish, rendering

        meter.wrap(manifest, "stage_files", "publish: stage_files (Parquet partitions + files)")
        meter.wrap(manifest, "commit", "publish: commit (manifest swap + finish)")
        # the renderers run in worker processes (flows/stages/rendering.py): timed as the wait for them
        meter.wrap(rendering, "render_batch", "publish: render_batch (spreadsheet + HTML, every core)")
        started = dt.datetime.now(dt.UTC)
        times["publish"], _ = once(lambda: [publish.publish(w, s, run_id, fd, config.publication) for s in stagings])
        memory["publish"] = rss_mb()
        mark("publish")
        times["periods"], _ = once(lambda: periods.refresh(w, run_id, fd, config.publication))
        memory["periods"] = rss_mb()
        mark("periods")
        times["finalize"], outcomes = once(
            lambda: finalize.finalize(w, stagings, run_id, "backfill", started, config.publication)
        )
        memory["finalize"] = rss_mb()
        mark("finalize")
        counts = defaultdict(int)
        for outcome in outcomes:
            counts[outcome["outcome"]] += 1
        notes["outcomes"] = dict(counts)
    measured = [t for t in times.values() if t is not None]
    return {
        "seconds": times,
        "total_measured": sum(measured),
        "notes": notes,
        "batches": len(work),
        "inside": dict(meter.seconds),
        "calls": dict(meter.calls),
        "rss_mb_after_stage": memory,
        "peak_rss_mb_by_stage": peak,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def staged_child(landing: str, warehouse: str, batch_size: int) -> None:
    """Run staged_pipeline (in the child process) and print one JSON line."""
    print(json.dumps(staged_pipeline(Path(landing), Path(warehouse), batch_size), default=str), flush=True)


def in_child(
    flag: str, landing: Path, warehouse: Path, batch_size: int, timeout: float, command: list[str] | None = None
) -> dict:
    """Run this module with `flag` (or `command`) in a child process; its JSON report, wall time and peak memory."""
    import psutil

    shutil.rmtree(warehouse, ignore_errors=True)
    command = command or [
        sys.executable,
        "-m",
        "benchmarks.run",
        flag,
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--batch-size",
        str(batch_size),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    # Output to files, not pipes: a child that prints more than a pipe holds would wait for a reader forever.
    output = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    process = subprocess.Popen(command, cwd=PROJECT, stdout=output[0], stderr=output[1], text=True)
    peak_tree, peak_single = 0, 0
    timeline: list[list[float]] = []  # every 5 s: seconds, the run's own process and the tree, MB
    parent = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            rss = []
            for member in [parent, *parent.children(recursive=True)]:
                try:
                    rss.append(member.memory_info().rss)
                except psutil.Error:
                    pass
            peak_tree = max(peak_tree, sum(rss))
            peak_single = max(peak_single, max(rss, default=0))
            elapsed = time.perf_counter() - start
            if rss and (not timeline or elapsed - timeline[-1][0] >= 5):
                timeline.append([round(elapsed, 1), round(rss[0] / 2**20), round(sum(rss) / 2**20)])
        except psutil.Error:
            pass
        if time.perf_counter() - start > timeout:
            process.kill()
            break
        time.sleep(0.5)  # sampling the process tree costs CPU on a 2-core machine: not too often
    process.wait()
    stdout, stderr = (stream.seek(0) or stream.read() for stream in output)
    for stream in output:
        stream.close()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report: dict = {
        "wall_seconds": wall,
        "returncode": process.returncode,
        "peak_rss_tree_mb": peak_tree / 2**20,
        "peak_rss_single_mb": peak_single / 2**20,
        # ru_maxrss (KiB on Linux) is a maximum over every child reaped so far.
        "ru_maxrss_children_mb": after / 1024,
        "ru_maxrss_children_mb_before": before / 1024,
        "rss_timeline_mb": timeline,
    }
    if stdout.startswith("{\n"):  # the `annexe` command's --json result
        result = json.loads(stdout)
        report["outcomes"] = {k: result[k] for k in ("published", "rejected", "unchanged")}
    elif lines := [line for line in stdout.splitlines() if line.startswith("{")]:
        report.update(json.loads(lines[-1]))
    if process.returncode != 0:
        report["stderr_tail"] = stderr[-3000:]
    return report


def end_to_end(landing: Path, warehouse: Path, batch_size: int, timeout: float, processes: bool = False) -> dict:
    """`annexe backfill --all --force` as a data-team member runs it (or, with `processes`, the flow on Prefect's
    ProcessPoolTaskRunner); wall time and peak memory of the child and its tree (the temporary API and the
    rendering processes included)."""
    if processes:
        return in_child("--e2e-child-processes", landing, warehouse, batch_size, timeout)
    annexe = Path(sys.executable).parent / "annexe"
    command = [sys.executable, str(annexe), "backfill", "--all", "--force", "--landing", str(landing)]
    command += ["--warehouse", str(warehouse), "--batch-size", str(batch_size), "--json"]
    return in_child("", landing, warehouse, batch_size, timeout, command)


def e2e_child(landing: str, warehouse: str, batch_size: int, processes: bool = False) -> None:
    """Run the backfill flow over every inspection (in the child process) and print one JSON line.

    With `processes`, the flow runs its tasks on Prefect's ProcessPoolTaskRunner (2 workers) instead of
    its default ThreadPoolTaskRunner(max_workers=2).
    """
    started = time.perf_counter()
    from flows import pipeline

    imported = time.perf_counter() - started
    flow = pipeline.backfill
    if processes:
        from prefect.task_runners import ProcessPoolTaskRunner

        flow = pipeline.backfill.with_options(task_runner=ProcessPoolTaskRunner(max_workers=2))
    start = time.perf_counter()
    summary = flow(inspection_ids=None, force=True, landing=landing, warehouse=warehouse, batch_size=batch_size)
    flow_seconds = time.perf_counter() - start
    outcomes = defaultdict(int)
    for outcome in summary["outcomes"]:
        outcomes[outcome["outcome"]] += 1
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "import_seconds": imported,
                "flow_seconds": flow_seconds,
                "outcomes": dict(outcomes),
                "child_ru_maxrss_mb": own,
            }
        ),
        flush=True,
    )


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def summarise(results: dict) -> dict:
    """Ratios, shares and growth from the raw figures."""
    sizes = sorted(int(n) for n in results["sizes"])
    summary: dict = {"ratios": {}, "stage_shares": {}, "growth": {}, "targets": {}}
    for n in sizes:
        entry = results["sizes"][str(n)]
        t = entry.get("transforms")
        if t:
            duckdb_best = min(t["duckdb"], t["duckdb_long"])
            summary["ratios"][str(n)] = {
                "project_results / duckdb (best layout)": round(t["project_results"] / duckdb_best, 3),
                "project_results / duckdb_wide": round(t["project_results"] / t["duckdb"], 3),
                "project_results / duckdb_long": round(t["project_results"] / t["duckdb_long"], 3),
                "project_results / pandas": round(t["project_results"] / t["pandas"], 3),
                "project_key_question_results / duckdb (best layout)": round(
                    t["project_key_question_results"] / duckdb_best, 3
                ),
                "project_build_tables / duckdb (not like for like: every table)": round(
                    t["project_build_tables"] / duckdb_best, 3
                ),
                "from_parquet project / duckdb": round(t["project_results_from_parquet"] / t["duckdb_from_parquet"], 3),
                "from_parquet project / pandas": round(t["project_results_from_parquet"] / t["pandas_from_parquet"], 3),
            }
        v = entry.get("validation")
        if v and t:
            ratios = summary["ratios"].setdefault(str(n), {})
            if "pandera_per_inspection" in v:
                ratios["pandera_per_inspection / build_tables"] = round(
                    v["pandera_per_inspection"] / t["project_build_tables"], 3
                )
                ratios["pandera_per_inspection / build_tables_per_batch"] = round(
                    v["pandera_per_inspection"] / t["project_build_tables_per_batch"], 3
                )
            ratios["pandera_batched / build_tables"] = round(v["pandera_batched"] / t["project_build_tables"], 3)
            ratios["pandera_batched / build_tables_per_batch"] = round(
                v["pandera_batched"] / t["project_build_tables_per_batch"], 3
            )
            ratios["pandera_one_call_for_the_run / build_tables"] = round(
                v["pandera_one_call_for_the_run"] / t["project_build_tables"], 3
            )
        p = entry.get("pipeline")
        if p:
            total = p["total_measured"]
            summary["stage_shares"][str(n)] = {
                stage: (None if seconds is None else round(seconds / total, 3))
                for stage, seconds in p["seconds"].items()
            }
    # Growth: seconds per inspection at each N, and the log-log slope (1.0 = linear).
    series: dict[str, dict[int, float]] = defaultdict(dict)
    for n in sizes:
        entry = results["sizes"][str(n)]
        for key in (
            "project_build_tables",
            "project_build_tables_per_batch",
            "project_results",
            "duckdb",
            "duckdb_long",
            "pandas",
        ):
            if entry.get("transforms"):
                series[f"transforms.{key}"][n] = entry["transforms"][key]
        if entry.get("ingest"):
            series["ingest.read_extract"][n] = entry["ingest"]["read_extract"]
        if entry.get("validation"):
            if "pandera_per_inspection" in entry["validation"]:
                series["validation.pandera_per_inspection"][n] = entry["validation"]["pandera_per_inspection"]
            series["validation.pandera_batched"][n] = entry["validation"]["pandera_batched"]
        if entry.get("pipeline"):
            for stage, seconds in entry["pipeline"]["seconds"].items():
                if seconds is not None:
                    series[f"pipeline.{stage}"][n] = seconds
            series["pipeline.total_measured"][n] = entry["pipeline"]["total_measured"]
            for label, seconds in entry["pipeline"].get("inside", {}).items():
                series[f"pipeline.inside.{label}"][n] = seconds
        if entry.get("end_to_end") and entry["end_to_end"].get("returncode") == 0:
            series["end_to_end.wall"][n] = entry["end_to_end"]["wall_seconds"]
        if entry.get("end_to_end_processes") and entry["end_to_end_processes"].get("returncode") == 0:
            series["end_to_end_processes.wall"][n] = entry["end_to_end_processes"]["wall_seconds"]
    for key, points in series.items():
        ns = sorted(points)
        summary["growth"][key] = {
            "ms_per_inspection": {str(n): round(1000 * points[n] / n, 3) for n in ns},
            "loglog_slope": slope(ns, [points[n] for n in ns]),
            "linear_fit": linear_fit(ns, [points[n] for n in ns]),
        }
    # Targets.
    largest = str(sizes[-1]) if sizes else None
    if largest:
        ratios = summary["ratios"].get(largest, {})
        e2e = {n: results["sizes"][str(n)].get("end_to_end") for n in sizes}
        e2e = {n: r for n, r in e2e.items() if r}
        summary["targets"] = {
            "transforms_no_slower_than_duckdb (project_results / duckdb best layout <= 1.0)": ratios.get(
                "project_results / duckdb (best layout)"
            ),
            "pandera_no_more_than_transforms (per inspection / build_tables <= 1.0)": ratios.get(
                "pandera_per_inspection / build_tables"
            ),
            "pandera_no_more_than_transforms, as the validate stage runs it "
            "(batched / build_tables per batch)": ratios.get("pandera_batched / build_tables_per_batch"),
            "end_to_end_seconds (< 300 at 2000 x 100)": {str(n): round(r["wall_seconds"], 1) for n, r in e2e.items()},
            "end_to_end_peak_memory_mb (< 2048)": {
                str(n): round(max(r.get("peak_rss_tree_mb", 0), r.get("child_ru_maxrss_mb", 0)), 1)
                for n, r in e2e.items()
            },
            "end_to_end / DuckDB from the same CSV files (<= 15)": {
                str(n): round(r["wall_seconds"] / results["sizes"][str(n)]["duckdb_csv_seconds"], 1)
                for n, r in e2e.items()
                if r.get("returncode") == 0 and results["sizes"][str(n)].get("duckdb_csv_seconds")
            },
            "end_to_end_loglog_slope (1.0 = linear)": summary["growth"].get("end_to_end.wall", {}).get("loglog_slope"),
            "end_to_end_process_pool_seconds": {
                str(n): round(results["sizes"][str(n)]["end_to_end_processes"]["wall_seconds"], 1)
                for n in sizes
                if (results["sizes"][str(n)].get("end_to_end_processes") or {}).get("returncode") == 0
            },
        }
    return summary


def print_summary(results: dict, summary: dict) -> None:
    out = sys.stdout.write
    for n, entry in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        out(f"\n=== N = {n} inspections x {results['config']['cases']} cases ===\n")
        out(f"synthesise: {entry['synth_seconds']:.2f}s\n")
        if entry.get("transforms"):
            t = entry["transforms"]
            for key, value in t.items():
                if isinstance(value, dict):
                    out(f"  {key}: " + ", ".join(f"{k} {v * 1000:.0f}ms" for k, v in value.items()) + "\n")
                else:
                    out(f"  {key:40s} {value * 1000:9.1f} ms\n")
        if entry.get("ingest"):
            out(f"  {'ingest read_extract (all)':40s} {entry['ingest']['read_extract'] * 1000:9.1f} ms\n")
        if entry.get("validation"):
            for key, value in entry["validation"].items():
                if isinstance(value, float):
                    out(f"  {key:40s} {value * 1000:9.1f} ms\n")
        if entry.get("pipeline"):
            p = entry["pipeline"]
            out("  pipeline stages (no Prefect):\n")
            for stage, seconds in p["seconds"].items():
                share = summary["stage_shares"].get(n, {}).get(stage)
                shown = "unavailable" if seconds is None else f"{seconds:8.2f}s  {100 * share:5.1f}%"
                out(f"    {stage:10s} {shown}\n")
            out(
                f"    {'total':10s} {p['total_measured']:8.2f}s   {p['notes']}  (child wall {p['wall_seconds']:.1f}s, "
                f"peak tree RSS {p['peak_rss_tree_mb']:.0f} MB)\n"
            )
            out("    inside the stages:\n")
            for label, seconds in sorted(p.get("inside", {}).items(), key=lambda kv: -kv[1]):
                calls = p.get("calls", {}).get(label, 0)
                out(f"      {label:58s} {seconds:8.2f}s  {seconds / max(calls, 1) * 1000:7.2f} ms/call x {calls}\n")
        if entry.get("duckdb_csv_seconds"):
            out(f"  DuckDB from the CSV files to the published percentages: {entry['duckdb_csv_seconds']:.2f}s\n")
        if entry.get("end_to_end"):
            e = entry["end_to_end"]
            out(
                f"  end to end (Prefect backfill): {e['wall_seconds']:.1f}s wall, rc {e['returncode']}, "
                f"flow {e.get('flow_seconds', float('nan')):.1f}s, peak tree RSS {e['peak_rss_tree_mb']:.0f} MB, "
                f"child ru_maxrss {e.get('child_ru_maxrss_mb', float('nan')):.0f} MB, outcomes {e.get('outcomes')}\n"
            )
            if e.get("stderr_tail"):
                out("  stderr: " + e["stderr_tail"][-800:] + "\n")
        if entry.get("end_to_end_processes"):
            e = entry["end_to_end_processes"]
            out(
                f"  end to end (process pool):     {e['wall_seconds']:.1f}s wall, rc {e['returncode']}, "
                f"flow {e.get('flow_seconds', float('nan')):.1f}s, peak tree RSS {e['peak_rss_tree_mb']:.0f} MB, "
                f"outcomes {e.get('outcomes')}\n"
            )
            if e.get("stderr_tail"):
                out("  stderr: " + e["stderr_tail"][-800:] + "\n")
    out("\n=== ratios ===\n")
    for n, ratios in sorted(summary["ratios"].items(), key=lambda kv: int(kv[0])):
        out(f"N={n}: " + ", ".join(f"{k} {v}" for k, v in ratios.items()) + "\n")
    out("\n=== growth: ms per inspection by N (log-log slope; 1.0 = linear) ===\n")
    for key, g in summary["growth"].items():
        out(
            f"  {key:40s} "
            + "  ".join(f"{n}:{v}" for n, v in g["ms_per_inspection"].items())
            + f"  slope {g['loglog_slope']}\n"
        )
    out("\n=== targets ===\n")
    for key, value in summary["targets"].items():
        out(f"  {key}: {value}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[250, 500, 1000, 2000],
        help="numbers of inspections (transforms, ingest and validation are measured at each)",
    )
    parser.add_argument("--cases", type=int, default=100, help="cases per inspection")
    parser.add_argument(
        "--pipeline-sizes",
        type=int,
        nargs="*",
        default=None,
        help="sizes at which to run the stages without Prefect (default: every size)",
    )
    parser.add_argument(
        "--e2e-sizes",
        type=int,
        nargs="*",
        default=None,
        help="sizes at which to run the Prefect backfill end to end (default: every size)",
    )
    parser.add_argument("--batch-size", type=int, default=50, help="inspections per batch, as run_pipeline")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs for the fast stages")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", nargs="+", default=["csv"], help="cases file formats, used in turn")
    parser.add_argument("--workdir", default=None, help="where landing zones and warehouses go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--e2e-timeout", type=float, default=1800.0, help="seconds before an end-to-end run is killed")
    parser.add_argument(
        "--skip-per-inspection",
        action="store_true",
        help="skip the slow per-inspection Pandera and ratability timings (batched ones still run)",
    )
    parser.add_argument("--out", default=str(PROJECT / "benchmarks" / "results.json"))
    parser.add_argument(
        "--e2e-processes-sizes",
        type=int,
        nargs="*",
        default=[],
        help="sizes at which to run the backfill again on the project's process pool task runner",
    )
    parser.add_argument("--e2e-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--e2e-child-processes", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stages-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--landing", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.e2e_child or args.e2e_child_processes:
        e2e_child(args.landing, args.warehouse, args.batch_size, processes=args.e2e_child_processes)
        return 0
    if args.stages_child:
        staged_child(args.landing, args.warehouse, args.batch_size)
        return 0

    import duckdb
    import pandas
    import pandera
    import psutil

    sizes = sorted(set(args.sizes))
    pipeline_sizes = set(sizes if args.pipeline_sizes is None else args.pipeline_sizes)
    e2e_sizes = set(sizes if args.e2e_sizes is None else args.e2e_sizes)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="annexe-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    framework = load_framework("probation-pdu-2023")
    from flows.config import settings

    threshold = settings().suppression_threshold
    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {
            "polars": pl.__version__,
            "duckdb": duckdb.__version__,
            "pandas": pandas.__version__,
            "pandera": pandera.__version__,
        },
        "config": {
            "sizes": sizes,
            "cases": args.cases,
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "seed": args.seed,
            "formats": args.formats,
            "suppression_threshold": threshold,
            "pipeline_sizes": sorted(pipeline_sizes),
            "e2e_sizes": sorted(e2e_sizes),
            "prefect_environment": prefect_environment(),
            "workdir": str(workdir),
        },
        "availability": {
            "quality_gate": available("schemas.quality") or "available",
            "renderers": available("flows.render.html", "flows.render.spreadsheet") or "available",
        },
        "sizes": {},
    }
    try:
        for n in sizes:
            print(f"N = {n}: synthesising {n} x {args.cases} ...", flush=True)
            landing = workdir / f"landing-{n}x{args.cases}"
            shutil.rmtree(landing, ignore_errors=True)
            synth_seconds, ids = once(
                lambda landing=landing, n=n: synthesise(landing, n, args.cases, args.seed, tuple(args.formats))
            )
            entry: dict = {"synth_seconds": synth_seconds}
            results["sizes"][str(n)] = entry
            read_seconds, (extracts, cases, manifests, organisational) = once(
                lambda landing=landing, ids=ids: read_landing(landing, ids, framework)
            )
            entry["ingest"] = {"read_extract": read_seconds}
            print("  transforms ...", flush=True)
            entry["transforms"] = measure_transforms(
                cases, manifests, organisational, framework, threshold, args.repeats, workdir, args.batch_size
            )
            print("  validation ...", flush=True)
            entry["validation"] = measure_validation(
                extracts, cases, framework, args.batch_size, per_inspection=not args.skip_per_inspection
            )
            del extracts, cases, manifests, organisational
            gc.collect()
            if n in pipeline_sizes:
                print("  pipeline stages (no Prefect) ...", flush=True)
                warehouse = workdir / f"warehouse-stages-{n}"
                shutil.rmtree(warehouse, ignore_errors=True)
                report = in_child("--stages-child", landing, warehouse, args.batch_size, args.e2e_timeout)
                if report["returncode"] == 0 and "seconds" in report:
                    entry["pipeline"] = report
                else:
                    entry["pipeline_error"] = report
                    print(report.get("stderr_tail", report), flush=True)
                shutil.rmtree(warehouse, ignore_errors=True)
            if n in e2e_sizes:
                missing = results["availability"]
                if "available" != missing["quality_gate"] or "available" != missing["renderers"]:
                    entry["end_to_end"] = None
                    entry["end_to_end_skipped"] = f"{missing}"
                else:
                    from benchmarks.peers import duckdb_csv_key_questions

                    print("  DuckDB from the CSV files to the published percentages ...", flush=True)
                    entry["duckdb_csv_seconds"] = best_of(
                        lambda landing=landing: duckdb_csv_key_questions(str(landing), framework), args.repeats
                    )
                    print("  end to end (Prefect backfill) ...", flush=True)
                    warehouse = workdir / f"warehouse-e2e-{n}"
                    entry["end_to_end"] = end_to_end(landing, warehouse, args.batch_size, args.e2e_timeout)
                    shutil.rmtree(warehouse, ignore_errors=True)
                    if n in set(args.e2e_processes_sizes):
                        print("  end to end (Prefect backfill, process pool) ...", flush=True)
                        entry["end_to_end_processes"] = end_to_end(
                            landing, warehouse, args.batch_size, args.e2e_timeout, processes=True
                        )
                        shutil.rmtree(warehouse, ignore_errors=True)
            if not args.keep:
                shutil.rmtree(landing, ignore_errors=True)
            summary = summarise(results)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps({**results, "summary": summary}, indent=2, default=str) + "\n")
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = summarise(results)
    print_summary(results, summary)
    Path(args.out).write_text(json.dumps({**results, "summary": summary}, indent=2, default=str) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
