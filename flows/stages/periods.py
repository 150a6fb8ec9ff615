"""The cross-inspection tables and national overview of each period a run's commits touch (issue 12).

Once every batch has committed, `refresh` has manifest.consolidate rebuild datapackage.json from the run's
commits; under the manifest lock, `touches(...)` names the periods they make out of date (`periods_pending`).
`refresh` then restages each pending period once, from the inspections then published (so a rejected extract
never enters a pooled figure), checks, renders and swaps them in by one manifest write. Once a run rather than
once a batch: a period's figures and overview are computed from all of its inspections, so per batch the cost
grew with the square of the run. A run that dies before `refresh` leaves the periods pending; the next run
restages them.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from flows.store import manifest
from flows.store.manifest import PeriodPublication, PeriodStager, PeriodToucher, commit_periods, consolidate
from flows.store.period_files import stage_period_files
from flows.store.warehouse import Warehouse, read_entries
from schemas.comparison_tables import COMPARISON_TABLES
from schemas.quality.comparisons import comparison_problems
from transforms.comparisons import benchmarks, national_results, regional_results, trends, with_period
from transforms.framework import cached_loader

PERIOD_INPUTS = ("inspections", "key_question_results", "prompt_results", "standard_ratings")
PLACES = pl.Schema(
    {
        "inspection_id": pl.String,
        "framework": pl.String,
        "pdu": pl.String,
        "region": pl.String,
        "fieldwork_start": pl.Date,
        "period": pl.String,
    }
)
SERIES = ["pdu", "framework"]  # trends compare consecutive inspections of a PDU under one framework


class ComparisonCheckFailed(RuntimeError):
    """The cross-inspection tables of a period disagree with the published inspections (a pipeline fault)."""


def place_state(inspection: dict) -> dict:
    """What the manifest keeps of a published inspection, so its period and PDU are known without reading it."""
    start = inspection["fieldwork_start"]
    period = with_period(pl.DataFrame({"fieldwork_start": [start]}))["period"].item()
    return {"period": period, "pdu": inspection["pdu"], "region": inspection["region"], "fieldwork_start": str(start)}


def places(warehouse: Warehouse, published: dict) -> pl.DataFrame:
    """Framework, PDU, region, fieldwork start and period of every inspection published (manifest.published)."""
    entries = {
        e["inspection_id"]: e
        for e in published["resources"]
        if e.get("table") == "inspections" and e.get("inspection_id")
    }
    rows, unplaced = [], []
    for inspection_id, entry in entries.items():
        state = published["inspections"].get(inspection_id) or {}
        if all(state.get(k) for k in ("period", "pdu", "region", "fieldwork_start", "framework")):
            start = dt.date.fromisoformat(state["fieldwork_start"])
            rows.append([inspection_id, state["framework"], state["pdu"], state["region"], start, state["period"]])
        else:
            unplaced.append(entry)
    found = pl.DataFrame(rows, schema=PLACES, orient="row")
    if unplaced:  # published before the manifest kept places: read from the inspections table itself
        read = with_period(read_entries(warehouse, unplaced, "inspections")).select(PLACES.names())
        found = pl.concat([found, read])
    return found


def _neighbours(places_: pl.DataFrame) -> pl.DataFrame:
    """Each inspection with the one before and the period of the one after, of its PDU and framework."""
    return places_.sort([*SERIES, "fieldwork_start", "inspection_id"]).with_columns(
        previous_id=pl.col("inspection_id").shift(1).over(SERIES),
        next_period=pl.col("period").shift(-1).over(SERIES),
    )


def touched_periods(before: pl.DataFrame, after: pl.DataFrame, inspection_ids: set[str]) -> set[str]:
    """Periods whose figures may change: those of the inspections (before and after), and, for trends, of the
    next inspection of each one's PDU (its trend compares with the changed one)."""
    touched: set[str] = set()
    for state in (before, after):
        own = _neighbours(state).filter(pl.col("inspection_id").is_in(sorted(inspection_ids)))
        touched |= set(own["period"].to_list()) | set(own["next_period"].drop_nulls().to_list())
    return touched


def period_inputs(warehouse: Warehouse, places_: pl.DataFrame, period: str) -> dict | None:
    """The published tables the period's figures come from (None when it has no inspection): its inspections'
    and, as `previous_*`, the tables of the inspections its trends compare with."""
    neighbours = _neighbours(places_)
    own = neighbours.filter(pl.col("period") == period)
    if own.is_empty():
        return None
    ids = set(own["inspection_id"].to_list())
    wanted = ids | set(own["previous_id"].drop_nulls().to_list())
    entries = manifest.read_inspections(warehouse, sorted(wanted), as_rebuilt=True)["resources"]
    everything = {name: read_entries(warehouse, entries, name) for name in PERIOD_INPUTS}
    inputs = {name: frame.filter(pl.col("inspection_id").is_in(sorted(ids))) for name, frame in everything.items()}
    inputs["previous_inspections"] = everything["inspections"]
    inputs["previous_key_question_results"] = everything["key_question_results"]
    return inputs


def period_tables(inputs: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The comparison tables of one period, in published columns."""
    kq, prompts, inspections = inputs["key_question_results"], inputs["prompt_results"], inputs["inspections"]
    ids = sorted(inspections["inspection_id"].to_list())
    national = national_results(kq, prompts, inspections)
    found = {
        "national_results": national,
        "regional_results": regional_results(kq, prompts, inspections),
        "benchmarks": benchmarks(kq, inspections, national),
        "trends": trends(inputs["previous_key_question_results"], inputs["previous_inspections"]).filter(
            pl.col("current_inspection_id").is_in(ids)
        ),
    }
    return {name: COMPARISON_TABLES[name].conform(frame) for name, frame in found.items()}


def overview_files(
    period: str, tables: dict, inputs: dict, load, publication: dict, created: dt.date
) -> dict[str, bytes]:
    """The period's national overview: HTML page and spreadsheet."""
    from flows.render.national import national_overview_html
    from flows.render.national_spreadsheet import national_spreadsheet_bytes

    shown = {**tables, "inspections": inputs["inspections"], "standard_ratings": inputs["standard_ratings"]}
    frameworks = {fid: load(fid) for fid in sorted(set(inputs["inspections"]["framework"].to_list()))}
    return {
        "overview.html": national_overview_html(period, shown, frameworks, publication).encode("utf-8"),
        "overview.xlsx": national_spreadsheet_bytes(period, shown, frameworks, publication, created=created),
    }


def _last_release(warehouse: Warehouse, inspection_ids: list[str]) -> dt.date:
    """The latest first publication or revision among the inspections (the overview's date: same inputs, same
    bytes)."""
    days = []
    for state in manifest.read_inspections(warehouse, inspection_ids, as_rebuilt=True)["inspections"].values():
        days += [state.get("first_published")] + [r.get("date") for r in state.get("revisions") or []]
    return max((dt.date.fromisoformat(d) for d in days if d), default=dt.date(2000, 1, 1))


def touches(warehouse: Warehouse) -> PeriodToucher:
    """What manifest.consolidate calls under its lock to name the periods the inspections' change makes out of
    date."""

    def touched(before: dict, after: dict, inspection_ids: set[str]) -> set[str]:
        if not inspection_ids:
            return set()
        return touched_periods(places(warehouse, before), places(warehouse, after), inspection_ids)

    return touched


def stager(warehouse: Warehouse, run_id: str, load, publication: dict) -> PeriodStager:
    """What manifest.commit_periods calls under its lock to stage the pending periods' files."""

    def stage(package: dict, pending: list[str]) -> list[PeriodPublication]:
        # As last rebuilt: another run's commits since are restaged by that run, once it has consolidated them.
        now = places(warehouse, manifest.published(warehouse, as_rebuilt=True))
        staged = []
        for period in sorted(pending):
            listed = [e for e in package["resources"] if e.get("period") == period]
            inputs = period_inputs(warehouse, now, period)
            if inputs is None:  # its last inspection moved to another period: its files go
                staged.append(PeriodPublication(period, []))
                continue
            tables = period_tables(inputs)
            problems = comparison_problems(tables, inputs)
            if problems:
                raise ComparisonCheckFailed(f"period {period}: " + "; ".join(problems))
            created = _last_release(warehouse, inputs["inspections"]["inspection_id"].to_list())
            files = overview_files(period, tables, inputs, load, publication, created)
            staged.append(stage_period_files(warehouse, period, run_id, tables, files, listed))
        return staged

    return stage


def refresh(warehouse_url: str, run_id: str, frameworks_dir: str, publication: dict) -> list[str]:
    """Restage the cross-inspection files of every period the run's commits (or a crashed run's) made out of date."""
    warehouse = Warehouse(warehouse_url)
    consolidate(warehouse, touches(warehouse))
    settings = {k: v for k, v in publication.items() if k not in ("release", "national")}
    return commit_periods(warehouse, stager(warehouse, run_id, cached_loader(frameworks_dir), settings))


def national_at_publication(
    warehouse: Warehouse, published: dict, inspections: pl.DataFrame, key_question_results: pl.DataFrame
) -> dict[str, dict]:
    """Each inspection's national key-question figures of its framework and period as they will stand once it is
    published: the period's published inspections (less those being replaced) and the given ones together.

    Kept in the manifest and shown in the annexe as "when this annexe was published": the annexe never changes
    because another inspection did (the national overview has the current figures).
    """
    if inspections.is_empty():
        return {}
    batch = with_period(inspections)
    replaced = set(batch["inspection_id"].to_list())
    placed = places(warehouse, published).filter(~pl.col("inspection_id").is_in(sorted(replaced)))
    counts = ["inspection_id", "standard_id", "question_id", "yes", "no", "not_applicable"]
    found = {}
    for (period,), own in batch.group_by("period"):
        others = placed.filter(pl.col("period") == period)
        entries = manifest.read_inspections(warehouse, others["inspection_id"].to_list())["resources"]
        pooled_inspections = pl.concat(
            [others.select("inspection_id", "framework", "region", "fieldwork_start"),
             own.select("inspection_id", "framework", "region", "fieldwork_start")]
        )  # fmt: skip
        results = pl.concat(
            [read_entries(warehouse, entries, "key_question_results").select(counts),
             key_question_results.filter(pl.col("inspection_id").is_in(own["inspection_id"].implode())).select(counts)]
        )  # fmt: skip
        national = national_results(results, None, pooled_inspections)
        # One object per framework, shared by its inspections: the same figures, held once however many there are.
        figures = {
            framework: {
                "period": period,
                "inspections": pooled_inspections.filter(pl.col("framework") == framework).height,
                "questions": {
                    r["question_id"]: {
                        "published_percentage": r["published_percentage"],
                        "inspections": r["inspections"],
                    }
                    for r in national.filter(pl.col("framework") == framework).iter_rows(named=True)
                },
            }
            for framework in own["framework"].unique().to_list()
        }
        for inspection_id, framework in own.select("inspection_id", "framework").iter_rows():
            found[inspection_id] = figures[framework]
    return found
