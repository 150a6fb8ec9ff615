"""Inspection frameworks: loaded from data files and checked before any figure is computed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from transforms.applicability import parse_applies_to, parse_unrated

RATINGS = ("Outstanding", "Good", "Requires improvement", "Inadequate")
ROUNDINGS = ("half_up",)
DENOMINATORS = ("yes_plus_no",)
BANDING_BASES = ("published", "unrounded")
DRIVERS = ("lowest_key_question",)
RATED_BY = ("judgement", "case_sample")
SOURCES = ("published", "assumed")
# Every key a framework file may hold, by where it stands: a key the code does not read is refused, so that
# editing the file can never silently change nothing.
KEYS = {
    "framework": {
        "id",
        "name",
        "version",
        "answers",
        "percentages",
        "banding",
        "rating_bands",
        "overall_bands",
        "standards",
        "case_characteristics",
        "earliest_fieldwork",
        "earliest_fieldwork_source",
        "unrated_measures",
    },
    "percentages": {"denominator", "denominator_source", "rounding", "rounding_source"},
    "banding": {"basis", "basis_source", "driver", "driver_source"},
    "rating_bands": {"rating", "min", "max", "points", "source"},
    "overall_bands": {"rating", "min", "max", "source"},
    "standards": {"id", "domain", "name", "rated_by", "source", "key_questions"},
    "key_questions": {"id", "text", "source", "prompts", "applies_to", "applies_to_source"},
    "prompts": {"id", "text", "source", "provenance", "applies_to", "applies_to_source"},
    "unrated_measures": {"id", "text", "source", "provenance", "applies_to", "applies_to_source"},
}
FRAMEWORKS_DIR = Path(__file__).resolve().parent.parent / "data" / "frameworks"
# A framework id is a file name in the frameworks folder, never a path: a manifest names a framework, it cannot
# point at a file of its choosing.
FRAMEWORK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


UNRATED_SCHEMA = {"measure_id": pl.String, "measure_text": pl.String, "measure_order": pl.Int32}


class FrameworkError(ValueError):
    """A framework file that cannot be used, with every problem found in it."""


@dataclass(frozen=True)
class Framework:
    """One inspection framework: its standards, key questions, prompts and bands."""

    id: str
    name: str
    version: str
    sha256: str
    answers: tuple[str, ...]
    rounding: str
    denominator: str
    banding_basis: str
    driver: str
    standards: pl.DataFrame
    key_questions: pl.DataFrame
    prompts: pl.DataFrame
    rating_bands: pl.DataFrame
    overall_bands: pl.DataFrame
    case_characteristics: dict[str, list[str]] = field(default_factory=dict)
    earliest_fieldwork: dt.date | None = None
    unrated_measures: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=UNRATED_SCHEMA))
    # Item id (key question, prompt or unrated measure) -> case characteristic -> the categories it applies to;
    # an item not listed applies to every case. A prompt inherits its key question's rule.
    applies_to: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def question_ids(self) -> list[str]:
        """Key-question ids in published order."""
        return self.key_questions["question_id"].to_list()

    @property
    def prompt_ids(self) -> list[str]:
        """Prompt ids in published order."""
        return self.prompts["prompt_id"].to_list()

    @property
    def unrated_ids(self) -> list[str]:
        """Unrated measure ids in framework order."""
        return self.unrated_measures["measure_id"].to_list()

    @property
    def category_order(self) -> pl.DataFrame:
        """Each case characteristic's categories in the order the framework lists them (the annexe's order)."""
        return pl.DataFrame(
            [
                {"dimension": dimension, "category": category, "dimension_order": d, "category_order": c}
                for d, (dimension, categories) in enumerate(self.case_characteristics.items())
                for c, category in enumerate(categories)
            ],
            schema={
                "dimension": pl.String,
                "category": pl.String,
                "dimension_order": pl.Int64,
                "category_order": pl.Int64,
            },
        )

    @property
    def judged_standard_ids(self) -> list[str]:
        """Standards rated by inspectors' judgement, given in the manifest."""
        return self.standards.filter(pl.col("rated_by") == "judgement")["standard_id"].to_list()

    @property
    def max_score(self) -> int:
        """Highest possible score: every standard at the top band."""
        return int(self.rating_bands["points"].max()) * self.standards.height


def _check_tiling(bands: list[dict], low: int, high: int, what: str) -> list[str]:
    """Problems with integer bands that must cover low..high with no gap or overlap."""
    problems = []
    for band in bands:
        if not isinstance(band.get("min"), int) or not isinstance(band.get("max"), int):
            problems.append(f"{what}: band {band.get('rating')!r} needs whole-number min and max")
            return problems
        if band["min"] > band["max"]:
            problems.append(f"{what}: band {band['rating']!r} has min {band['min']} above max {band['max']}")
    ordered = sorted(bands, key=lambda b: b["min"])
    if ordered and ordered[0]["min"] != low:
        problems.append(f"{what}: the lowest band starts at {ordered[0]['min']}, not {low}")
    if ordered and ordered[-1]["max"] != high:
        problems.append(f"{what}: the highest band ends at {ordered[-1]['max']}, not {high}")
    for below, above in zip(ordered, ordered[1:], strict=False):
        if above["min"] <= below["max"]:
            problems.append(
                f"{what}: bands {below['rating']!r} ({below['min']}-{below['max']}) and "
                f"{above['rating']!r} ({above['min']}-{above['max']}) overlap"
            )
        elif above["min"] > below["max"] + 1:
            problems.append(
                f"{what}: gap between {below['rating']!r} (ends {below['max']}) and "
                f"{above['rating']!r} (starts {above['min']})"
            )
    labels = [b.get("rating") for b in bands]
    for label in labels:
        if label not in RATINGS:
            problems.append(f"{what}: unknown rating {label!r}; expected one of {', '.join(RATINGS)}")
    if sorted(set(labels), key=str) != sorted(labels, key=str):
        problems.append(f"{what}: a rating appears in more than one band")
    return problems


def _duplicates(values: list[str]) -> list[str]:
    """Values that appear more than once."""
    seen, dupes = set(), []
    for value in values:
        if value in seen and value not in dupes:
            dupes.append(value)
        seen.add(value)
    return dupes


def _unknown_keys(raw: dict) -> list[str]:
    """Keys anywhere in a framework file that the code does not read, and provenance that is not a source."""
    problems = []

    def check(table, where: str, label: str) -> None:
        if not isinstance(table, dict):
            problems.append(f"{label} must be a table")
            return
        for key in table:
            if key not in KEYS[where]:
                problems.append(f"unknown key {key!r} in {label} (known: {', '.join(sorted(KEYS[where]))})")
            elif (key == "source" or key.endswith("_source")) and table[key] not in SOURCES:
                problems.append(f"{label}: {key} {table[key]!r} is not one of {', '.join(SOURCES)}")

    check(raw, "framework", "the top level")
    for section in ("percentages", "banding"):
        if section in raw:
            check(raw[section], section, f"[{section}]")
    for section in ("rating_bands", "overall_bands", "standards", "unrated_measures"):
        for n, item in enumerate(raw.get(section) or []):
            check(
                item,
                section,
                f"[[{section}]] {item.get('rating') or item.get('id') or n + 1}"
                if isinstance(item, dict)
                else f"[[{section}]] {n + 1}",
            )
            for question in (item.get("key_questions") or []) if isinstance(item, dict) else []:
                check(question, "key_questions", f"key question {question.get('id', '?')}")
                for prompt in question.get("prompts") or [] if isinstance(question, dict) else []:
                    check(
                        prompt, "prompts", f"prompt {prompt.get('id', '?')}" if isinstance(prompt, dict) else "prompt"
                    )
    return problems


def parse_framework(text: str, source: str = "<framework>") -> Framework:
    """Parse and check a framework from TOML text; raise FrameworkError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FrameworkError(f"{source}: not valid TOML ({error})") from None
    problems: list[str] = _unknown_keys(raw)
    for key in ("id", "name", "version", "standards", "rating_bands", "overall_bands"):
        if key not in raw:
            problems.append(f"missing {key!r}")
    if problems:
        raise FrameworkError(f"{source}: " + "; ".join(problems))

    percentages = raw.get("percentages", {})
    banding = raw.get("banding", {})
    rounding = percentages.get("rounding", "half_up")
    denominator = percentages.get("denominator", "yes_plus_no")
    basis = banding.get("basis", "published")
    driver = banding.get("driver", "lowest_key_question")
    for setting, value, supported in (
        ("percentages.rounding", rounding, ROUNDINGS),
        ("percentages.denominator", denominator, DENOMINATORS),
        ("banding.basis", basis, BANDING_BASES),
        ("banding.driver", driver, DRIVERS),
    ):
        if value not in supported:
            problems.append(f"{setting} {value!r} is not supported (supported: {', '.join(supported)})")

    standards, key_questions, prompts = [], [], []
    for s_order, standard in enumerate(raw["standards"]):
        sid = standard.get("id", f"<standard {s_order + 1}>")
        rated_by = standard.get("rated_by")
        if rated_by not in RATED_BY:
            problems.append(f"standard {sid}: rated_by {rated_by!r} is not one of {', '.join(RATED_BY)}")
        questions = standard.get("key_questions", [])
        if rated_by == "case_sample" and not questions:
            problems.append(f"standard {sid} is rated from the case sample but has no key questions")
        if rated_by == "judgement" and questions:
            problems.append(f"standard {sid} is rated by judgement but lists key questions")
        standards.append(
            {
                "standard_id": sid,
                "standard_name": standard.get("name", ""),
                "domain": standard.get("domain", ""),
                "rated_by": rated_by,
                "standard_order": s_order,
            }
        )
        for question in questions:
            qid = question.get("id", "")
            if not qid.startswith(f"{sid}."):
                problems.append(f"key question {qid!r} does not belong to standard {sid} by its id")
            if not question.get("text"):
                problems.append(f"key question {qid} has no text")
            key_questions.append(
                {
                    "standard_id": sid,
                    "question_id": qid,
                    "question_text": question.get("text", ""),
                    "question_order": len(key_questions),
                }
            )
            for prompt in question.get("prompts", []):
                pid = prompt.get("id", "")
                if not pid.startswith(f"{qid}."):
                    problems.append(f"prompt {pid!r} does not belong to key question {qid} by its id")
                prompts.append(
                    {
                        "standard_id": sid,
                        "question_id": qid,
                        "prompt_id": pid,
                        "prompt_text": prompt.get("text", ""),
                        "prompt_order": len(prompts),
                    }
                )
    all_ids = (
        [s["standard_id"] for s in standards]
        + [q["question_id"] for q in key_questions]
        + [p["prompt_id"] for p in prompts]
    )
    for dupe in _duplicates(all_ids):
        problems.append(f"id {dupe!r} is used more than once")

    rating_bands = raw["rating_bands"]
    problems += _check_tiling(rating_bands, 0, 100, "rating_bands")
    for band in rating_bands:
        if not isinstance(band.get("points"), int):
            problems.append(f"rating_bands: band {band.get('rating')!r} needs whole-number points")
    if not problems:
        max_score = max(b["points"] for b in rating_bands) * len(standards)
        problems += _check_tiling(raw["overall_bands"], 0, max_score, "overall_bands")
    unrated, unrated_problems = parse_unrated(raw)
    characteristics = {k: list(v) for k, v in raw.get("case_characteristics", {}).items()}
    applies_to, applies_problems = parse_applies_to(raw, characteristics)
    problems += unrated_problems + applies_problems
    for dupe in _duplicates(all_ids + [u["measure_id"] for u in unrated]):
        if dupe not in all_ids or all_ids.count(dupe) == 1:
            problems.append(f"id {dupe!r} is used more than once")
    earliest = raw.get("earliest_fieldwork")
    if earliest is not None and (not isinstance(earliest, dt.date) or isinstance(earliest, dt.datetime)):
        problems.append(f"earliest_fieldwork must be a TOML date such as 2023-01-01, not {earliest!r}")
    if problems:
        raise FrameworkError(f"{source}: " + "; ".join(problems))

    return Framework(
        id=raw["id"],
        name=raw["name"],
        version=str(raw["version"]),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        answers=tuple(raw.get("answers", ("Yes", "No", "N/A"))),
        rounding=rounding,
        denominator=denominator,
        banding_basis=basis,
        driver=driver,
        standards=pl.DataFrame(standards, schema_overrides={"standard_order": pl.Int32}),
        key_questions=pl.DataFrame(key_questions, schema_overrides={"question_order": pl.Int32}),
        prompts=pl.DataFrame(
            prompts,
            schema={
                "standard_id": pl.String,
                "question_id": pl.String,
                "prompt_id": pl.String,
                "prompt_text": pl.String,
                "prompt_order": pl.Int32,
            },
        ),
        rating_bands=pl.DataFrame(
            [{k: b[k] for k in ("rating", "min", "max", "points")} for b in rating_bands],
            schema={"rating": pl.String, "min": pl.Int64, "max": pl.Int64, "points": pl.Int64},
        ).sort("min", descending=True),
        overall_bands=pl.DataFrame(
            [{k: b[k] for k in ("rating", "min", "max")} for b in raw["overall_bands"]],
            schema={"rating": pl.String, "min": pl.Int64, "max": pl.Int64},
        ).sort("min", descending=True),
        case_characteristics=characteristics,
        earliest_fieldwork=earliest,
        unrated_measures=pl.DataFrame(unrated, schema=UNRATED_SCHEMA),
        applies_to=applies_to,
    )


def framework_path(framework_id: str, frameworks_dir: Path | str | None = None) -> Path:
    """Where the file for a framework id lives; an id that is not a plain name is refused."""
    if not isinstance(framework_id, str) or not FRAMEWORK_ID.match(framework_id):
        raise FrameworkError(
            f"{str(framework_id)[:80]!r} is not a framework id: use the name of a framework, "
            "lower-case letters, digits and hyphens (at most 64), e.g. probation-pdu-2023"
        )
    return Path(frameworks_dir or FRAMEWORKS_DIR) / f"{framework_id}.toml"


def known_frameworks(frameworks_dir: Path | str | None = None) -> list[str]:
    """Ids of every framework file present."""
    return sorted(p.stem for p in Path(frameworks_dir or FRAMEWORKS_DIR).glob("*.toml"))


def load_framework(framework_id: str, frameworks_dir: Path | str | None = None) -> Framework:
    """Load and check a framework by id."""
    path = framework_path(framework_id, frameworks_dir)
    if not path.is_file():
        known = ", ".join(known_frameworks(frameworks_dir)) or "none"
        raise FrameworkError(f"unknown framework {framework_id!r} (known: {known})")
    framework = parse_framework(path.read_text(encoding="utf-8"), source=str(path))
    if framework.id != framework_id:
        raise FrameworkError(f"{path}: declares id {framework.id!r} but its file name says {framework_id!r}")
    return framework


@lru_cache(maxsize=32)
def cached_loader(frameworks_dir: str):
    """A loader of frameworks by id from one folder, each file read and checked once per process."""

    @lru_cache(maxsize=64)
    def load(framework_id: str) -> Framework:
        return load_framework(framework_id, frameworks_dir)

    return load
