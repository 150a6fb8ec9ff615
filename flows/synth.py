"""A seeded synthetic landing zone at national scale, in extract contract v1.

    synthesise("/tmp/landing", inspections=2000, cases=100, seed=0, formats=("csv",))

writes one folder per inspection (``pdu-0001-2025`` ...) with ``inspection.toml`` and one cases file
(``cases.csv``, ``cases.parquet`` or ``cases.xlsx``; with several formats they are used in turn).

Everything is drawn with numpy from one ``numpy.random.default_rng(seed)`` in whole-array operations
(no Python loop per case or per cell), so the same seed always gives the same files and 2000 x 100
cases take a few seconds. Ids, allowed values and prompts come from the framework file, so the data
follows the framework rather than this module.

The model, meant to look like real inspections rather than noise:

- each inspection has a quality level; each key question a base rate (keeping-safe questions lowest,
  engagement highest); each inspection x question a deviation; each case a practitioner effect that
  is shared by all its answers. P(Yes) is the logistic of their sum.
- N/A: reviewing (P2.4.*) is N/A for cases too early for a review (10-20 % of cases, the rate varying
  by inspection) and for cases on adjusted Probation Reset standards; the keeping-safe questions
  (P2.x.3) are N/A for some low-RoSH cases (no identified risk to others); delivery of desistance
  services (P2.3.2) is N/A for adjusted Probation Reset cases. Every case-sample standard keeps at
  least one relevant case, so every synthetic inspection is ratable.
- prompts are N/A whenever their key question is, may be N/A on their own (home visits, police
  domestic-abuse information, MAPPA liaison by RoSH), and are Yes more often when their key question
  is Yes.
- organisational ratings follow the inspection's quality level with noise; fieldwork starts on a
  Monday between January 2023 and September 2026.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from transforms.framework import RATINGS, Framework, load_framework

FRAMEWORK_ID = "probation-pdu-2023"
FORMATS = ("csv", "parquet", "xlsx")
YES, NO, NA = 0, 1, 2  # answer codes; labels come from the framework's `answers`

REGIONS = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "Greater Manchester",
    "East Midlands",
    "West Midlands",
    "East of England",
    "Kent, Surrey and Sussex",
    "London",
    "South West",
    "South Central",
    "Wales",
)

# Case characteristics: probability of each allowed value, in the framework's order. A value the
# framework lists but this table does not know gets a small share (so a new category still appears).
CHARACTERISTIC_MIX = {
    "sentence_type": {"community_order": 0.60, "licence": 0.40},
    "sex": {"male": 0.86, "female": 0.13, "other": 0.01},
    "ethnicity": {"white": 0.80, "black": 0.06, "asian": 0.07, "mixed": 0.03, "other": 0.02, "not_recorded": 0.02},
    "rosh": {"low": 0.12, "medium": 0.45, "high": 0.38, "very_high": 0.05},
    "practitioner_grade": {"PO": 0.58, "PSO": 0.30, "PQiP": 0.12},
    "probation_reset": {"none": 0.88, "core": 0.09, "adjusted": 0.03},
}

# Base log-odds of Yes by the key question's position in its standard (1 engaging, 2 desistance,
# 3 keeping other people safe) and by standard; roughly the national picture of 2023-2025 reports.
POSITION_LOGIT = {1: 1.45, 2: 0.85, 3: 0.15}
STANDARD_LOGIT = {"P2.1": 0.10, "P2.2": 0.05, "P2.3": -0.05, "P2.4": -0.15}
QUALITY_SD = 0.55  # inspection quality level
QUESTION_SD = 0.25  # the question's own national deviation from its position's base
INSPECTION_QUESTION_SD = 0.35
CASE_SD = 0.45  # practitioner / case effect shared by a case's answers
HIGH_ROSH_KEEPING_SAFE = -0.20  # keeping-safe work is harder in high and very high RoSH cases

REVIEW_NA_RATE = (0.10, 0.20)  # per-inspection share of cases too early for a review
LOW_ROSH_KEEPING_SAFE_NA = 0.45  # low-RoSH cases with no identified risk to others
EXTRA_REVIEW_SAFETY_NA = 0.04  # a few more N/A for reviewing / keeping safe

# Prompts: P(relevant | key question relevant), by RoSH where it matters; P(Yes | key question answer).
PROMPT_RELEVANCE = {
    "P2.3.1.a": 0.85,  # home visits needed
    "P2.3.3.a": 0.72,  # police domestic-abuse information relevant
    "P2.4.1.a": 0.95,  # a change in circumstances to adjust the plan to
}
PROMPT_RELEVANCE_BY_ROSH = {
    "P2.3.3.b": {"low": 0.02, "medium": 0.10, "high": 0.45, "very_high": 0.90},  # MAPPA cases
}
PROMPT_YES_GIVEN_KQ = {YES: 0.90, NO: 0.35}

ORGANISATIONAL_SD = 0.8
# Latent thresholds for judged ratings: below -1.3 Inadequate, below 0.1 RI, below 1.5 Good, else Outstanding.
ORGANISATIONAL_CUTS = (-1.3, 0.1, 1.5)

FIRST_FIELDWORK = dt.date(2023, 1, 2)  # a Monday
LAST_FIELDWORK = dt.date(2026, 9, 28)  # a Monday in the past: the contract refuses future fieldwork


@dataclass
class SyntheticData:
    """A synthetic national sample in memory: what `synthesise` writes, before it is written."""

    cases: pl.DataFrame  # inspection_id, case_id, characteristics, key questions, prompts (all text)
    manifests: pl.DataFrame  # inspection_id, framework, pdu, region, fieldwork_start
    organisational_ratings: pl.DataFrame  # inspection_id, standard_id, rating
    framework: Framework

    @property
    def inspection_ids(self) -> list[str]:
        return self.manifests["inspection_id"].to_list()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _mix(name: str, allowed: list[str]) -> np.ndarray:
    """Probabilities for the allowed values of a characteristic, in the framework's order."""
    known = CHARACTERISTIC_MIX.get(name, {})
    weights = np.array([known.get(value, 0.01) for value in allowed], dtype=float)
    return weights / weights.sum()


def _categorical(rng: np.random.Generator, probabilities: np.ndarray, size: int) -> np.ndarray:
    """Codes 0..k-1 drawn with the given probabilities (inverse-CDF on one uniform draw per row)."""
    cumulative = np.cumsum(probabilities)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(size), side="right").astype(np.uint32)


def synthetic_data(
    inspections: int, cases: int, seed: int = 0, framework: Framework | None = None, prompts: bool = True
) -> SyntheticData:
    """Draw `inspections` inspections of `cases` cases each, deterministically for a seed."""
    if inspections < 1 or cases < 1:
        raise ValueError("need at least one inspection and one case per inspection")
    framework = framework or load_framework(FRAMEWORK_ID)
    rng = np.random.default_rng(seed)
    n, c = inspections, cases
    rows = n * c
    inspection_of_row = np.repeat(np.arange(n), c)

    # Inspections: quality, fieldwork date, PDU, region, id.
    quality = rng.normal(0.0, QUALITY_SD, n)
    weeks = (LAST_FIELDWORK - FIRST_FIELDWORK).days // 7 + 1
    starts = np.datetime64(FIRST_FIELDWORK) + 7 * rng.integers(0, weeks, n).astype("timedelta64[D]")
    years = starts.astype("datetime64[Y]").astype(int) + 1970
    numbers = np.arange(1, n + 1)
    region_codes = rng.integers(0, len(REGIONS), n)
    manifests = pl.DataFrame(
        {
            "inspection_id": [f"pdu-{k:04d}-{y}" for k, y in zip(numbers.tolist(), years.tolist(), strict=True)],
            "framework": framework.id,
            "pdu": [f"Synthetic PDU {k:04d}" for k in numbers.tolist()],
            "region": pl.Series(REGIONS).gather(region_codes),
            "fieldwork_start": pl.Series(starts).cast(pl.Date),
        }
    )

    # Case characteristics.
    columns: dict[str, pl.Series] = {}
    codes: dict[str, np.ndarray] = {}
    for name, allowed in framework.case_characteristics.items():
        codes[name] = _categorical(rng, _mix(name, allowed), rows)
        columns[name] = pl.Series(name, allowed).gather(codes[name])
    rosh_values = framework.case_characteristics.get("rosh", [])
    reset_values = framework.case_characteristics.get("probation_reset", [])
    rosh = np.array(rosh_values, dtype=object)[codes["rosh"]] if "rosh" in codes else np.full(rows, "medium", object)
    low_rosh = rosh == "low"
    high_rosh = np.isin(rosh, ["high", "very_high"])
    adjusted = (
        codes["probation_reset"] == reset_values.index("adjusted")
        if "adjusted" in reset_values
        else np.zeros(rows, bool)
    )

    # Key questions: P(Yes) = logistic(base + quality + question + inspection x question + case).
    questions = framework.key_questions
    qids = questions["question_id"].to_list()
    sids = questions["standard_id"].to_list()
    q = len(qids)
    position = np.array([int(qid.rsplit(".", 1)[1]) for qid in qids])
    base = np.array(
        [POSITION_LOGIT.get(p, 0.5) + STANDARD_LOGIT.get(s, 0.0) for p, s in zip(position, sids, strict=True)]
    )
    base = base + rng.normal(0.0, QUESTION_SD, q)
    keeping_safe = position == 3
    logit = (
        base[None, :]
        + quality[inspection_of_row][:, None]
        + rng.normal(0.0, INSPECTION_QUESTION_SD, (n, q))[inspection_of_row]
        + rng.normal(0.0, CASE_SD, rows)[:, None]
        + np.where(high_rosh[:, None] & keeping_safe[None, :], HIGH_ROSH_KEEPING_SAFE, 0.0)
    )
    answers = np.where(rng.random((rows, q)) < _sigmoid(logit), YES, NO).astype(np.uint32)

    # N/A, nested the way inspectors record it.
    reviewing = np.array([s == "P2.4" for s in sids])
    review_rate = rng.uniform(*REVIEW_NA_RATE, n)[inspection_of_row]
    too_early = (rng.random(rows) < review_rate) | adjusted
    no_risk = low_rosh & (rng.random(rows) < LOW_ROSH_KEEPING_SAFE_NA)
    not_applicable = (
        (too_early[:, None] & reviewing[None, :])
        | (no_risk[:, None] & keeping_safe[None, :])
        | ((rng.random(rows) < EXTRA_REVIEW_SAFETY_NA)[:, None] & (reviewing & keeping_safe)[None, :])
        | (adjusted[:, None] & np.array([qid == "P2.3.2" for qid in qids])[None, :])
    )
    # Every case-sample standard keeps a relevant case: the first case answers its first key question.
    first_of_inspection = np.arange(0, rows, c)
    for standard in dict.fromkeys(sids):
        in_standard = np.array([s == standard for s in sids])
        relevant_any = (~not_applicable[:, in_standard]).reshape(n, c, -1).any(axis=(1, 2))
        column = int(np.flatnonzero(in_standard)[0])
        not_applicable[first_of_inspection[~relevant_any], column] = False
    answers[not_applicable] = NA

    labels = pl.Series(list(framework.answers))
    for j, qid in enumerate(qids):
        columns[qid] = labels.gather(answers[:, j]).alias(qid)

    # Prompts: N/A with their key question; some N/A on their own; Yes more often after a Yes.
    if prompts:
        column_of = {qid: j for j, qid in enumerate(qids)}
        for prompt_id, question_id in framework.prompts.select("prompt_id", "question_id").iter_rows():
            parent = answers[:, column_of[question_id]]
            if prompt_id in PROMPT_RELEVANCE_BY_ROSH:
                by_rosh = PROMPT_RELEVANCE_BY_ROSH[prompt_id]
                relevance = np.array([by_rosh.get(r, 0.2) for r in rosh_values])[codes["rosh"]]
            else:
                relevance = PROMPT_RELEVANCE.get(prompt_id, 1.0)
            yes_probability = np.where(parent == YES, PROMPT_YES_GIVEN_KQ[YES], PROMPT_YES_GIVEN_KQ[NO])
            prompt = np.where(rng.random(rows) < yes_probability, YES, NO).astype(np.uint32)
            prompt[(parent == NA) | (rng.random(rows) >= relevance)] = NA
            columns[prompt_id] = labels.gather(prompt).alias(prompt_id)

    ids = manifests["inspection_id"]
    frame = pl.DataFrame(
        {
            "inspection_id": ids.gather(inspection_of_row.astype(np.uint32)),
            "case_row": np.tile(np.arange(1, c + 1, dtype=np.uint32), n),
        }
    )
    cases_frame = frame.select(
        "inspection_id",
        case_id=pl.format(
            "C{}-{}", pl.col("inspection_id").str.slice(4, 4), pl.col("case_row").cast(pl.String).str.zfill(len(str(c)))
        ),
    ).with_columns(**columns)

    # Organisational (judged) ratings follow quality with noise: codes 0 Inadequate .. 3 Outstanding.
    judged = framework.judged_standard_ids
    latent = quality[:, None] / QUALITY_SD * 0.6 + rng.normal(0.0, ORGANISATIONAL_SD, (n, len(judged)))
    level = np.searchsorted(np.array(ORGANISATIONAL_CUTS), latent.ravel())
    by_level = pl.Series(["Inadequate", "Requires improvement", "Good", "Outstanding"])
    assert set(by_level.to_list()) == set(RATINGS)
    organisational = pl.DataFrame(
        {
            "inspection_id": ids.gather(np.repeat(np.arange(n, dtype=np.uint32), len(judged))),
            "standard_id": pl.Series(judged * n),
            "rating": by_level.gather(level.astype(np.uint32)),
        }
    )
    return SyntheticData(cases_frame, manifests, organisational, framework)


def manifest_toml(manifest: dict, ratings: dict[str, str]) -> str:
    """inspection.toml text for one inspection (extract contract v1)."""
    lines = [
        f'inspection_id = "{manifest["inspection_id"]}"',
        f'framework = "{manifest["framework"]}"',
        f'pdu = "{manifest["pdu"]}"',
        f'region = "{manifest["region"]}"',
        f"fieldwork_start = {manifest['fieldwork_start'].isoformat()}",
        "",
        "[organisational_ratings]",
        *[f'"{standard}" = "{rating}"' for standard, rating in ratings.items()],
    ]
    return "\n".join(lines) + "\n"


def write_landing(data: SyntheticData, directory: str | Path, formats: Sequence[str] = ("csv",)) -> list[str]:
    """Write a synthetic sample as a landing zone; return the inspection ids written."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be some of {', '.join(FORMATS)}; got {list(formats)}")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    c = data.cases.height // data.manifests.height
    body = data.cases.drop("inspection_id")
    ratings: dict[str, dict[str, str]] = {}
    for inspection_id, standard_id, rating in data.organisational_ratings.iter_rows():
        ratings.setdefault(inspection_id, {})[standard_id] = rating
    written = []
    for k, manifest in enumerate(data.manifests.iter_rows(named=True)):
        inspection_id = manifest["inspection_id"]
        folder = root / inspection_id
        folder.mkdir(exist_ok=True)
        fmt = formats[k % len(formats)]
        for stale in folder.glob("cases.*"):  # a new extract replaces the old files (contract v1)
            if stale.name != f"cases.{fmt}":
                stale.unlink()
        (folder / "inspection.toml").write_text(manifest_toml(manifest, ratings[inspection_id]), encoding="utf-8")
        part = body.slice(k * c, c)
        if fmt == "csv":
            part.write_csv(folder / "cases.csv")
        elif fmt == "parquet":
            part.write_parquet(folder / "cases.parquet", compression="zstd", statistics=False)
        else:
            part.write_excel(folder / "cases.xlsx", worksheet="cases", autofit=False)
        written.append(inspection_id)
    return written


def synthesise(
    directory: str | Path,
    inspections: int,
    cases: int,
    seed: int = 0,
    formats: Sequence[str] = ("csv",),
    framework: Framework | None = None,
    prompts: bool = True,
    clean: bool = False,
) -> list[str]:
    """Write a seeded synthetic landing zone of `inspections` x `cases`; return the inspection ids.

    `formats` are used in turn (inspection k gets formats[k % len(formats)]). With `clean`, the folder is
    emptied first (only inspection folders this generator names, ``pdu-NNNN-YYYY``, are removed).
    """
    root = Path(directory)
    if clean and root.exists():
        for folder in root.glob("pdu-[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]"):
            shutil.rmtree(folder)
    return write_landing(synthetic_data(inspections, cases, seed, framework, prompts), root, formats)
