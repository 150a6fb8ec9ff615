"""Generate the sample landing-zone extracts and their expected results, deterministically.

Run:  cd /work/main && uv run python data/make_samples.py

Writes, for every inspection in SPECS:
  data/landing/<inspection_id>/inspection.toml + cases.csv | cases.xlsx | cases.parquet
      (extract contract v1: docs/extract-contract.md)
  data/expected/<inspection_id>.json
      (computed here from the intended counts, not from the written files)
then reads every written file back with polars, recomputes the results and asserts
they match, and prints a summary per inspection.

Only the stdlib and polars are used; every random choice comes from a seeded
random.Random, so re-running reproduces the same bytes.

Expected results use the DEFAULT settings of methodology.md section 3, hard-coded
below on purpose (independent of the framework file): percentage = Yes/(Yes+No),
published whole percentage rounded half up, bands over the published percentage
(Outstanding >= 80, Good 65-79, Requires improvement 50-64, Inadequate < 50),
a case-sample standard rated by its lowest key question, points 3/2/1/0,
overall 0-3 Inadequate, 4-10 Requires improvement, 11-17 Good, 18-21 Outstanding.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl

DATA = Path(__file__).resolve().parent
FRAMEWORK_FILE = DATA / "frameworks" / "probation-pdu-2023.toml"
LANDING = DATA / "landing"
EXPECTED = DATA / "expected"

CHARACTERISTICS = [
    "sentence_type",
    "sex",
    "ethnicity",
    "rosh",
    "practitioner_grade",
    "probation_reset",
]
YES, NO, NA = "Yes", "No", "N/A"
ORGANISATIONAL = ["P1.1", "P1.2", "P1.3"]
CASE_SAMPLE = ["P2.1", "P2.2", "P2.3", "P2.4"]
MAX_SCORE = 21

# Default rating settings (see module docstring): (rating, lowest whole percentage, points).
RATING_BANDS = [
    ("Outstanding", 80, 3),
    ("Good", 65, 2),
    ("Requires improvement", 50, 1),
    ("Inadequate", 0, 0),
]
POINTS = {rating: points for rating, _, points in RATING_BANDS}
# (overall rating, lowest score)
OVERALL_BANDS = [
    ("Outstanding", 18),
    ("Good", 11),
    ("Requires improvement", 4),
    ("Inadequate", 0),
]

# Prompt answers not pinned by a spec: relevant whenever the key question is, and
# Yes with this probability given the key-question answer (loosely consistent).
PROMPT_YES_PROBABILITY = {YES: 0.9, NO: 0.35}
# Weight for choosing a pinned prompt's relevant cases (MAPPA cases are mostly high RoSH).
RELEVANCE_WEIGHT_BY_ROSH = {
    "P2.3.3.b": {"low": 0.2, "medium": 1.0, "high": 10.0, "very_high": 20.0},
}
# Weight for a case's key-question answer when choosing a pinned prompt's Yes cases.
PROMPT_YES_WEIGHT = {YES: 4.0, NO: 1.0}
# Cases on adjusted Probation Reset standards are the first to be N/A (contact suspended early).
NA_FIRST_RESET = "adjusted"


# ---------------------------------------------------------------------------------------------
# The inspections. key_questions: {id: (yes, relevant)}; N/A = cases - relevant.
# prompts: {id: (yes, relevant)} for the prompts whose counts are pinned.
# intended: worked out by hand; the script asserts its own computation agrees.
# ---------------------------------------------------------------------------------------------

DYFED_POWYS = {
    "inspection_id": "dyfed-powys-2025",
    "case_prefix": "DP",
    "seed": 20250811,
    "cases_file": "cases.csv",
    "framework": "probation-pdu-2023",
    "pdu": "Dyfed Powys",
    "region": "Wales",
    "fieldwork_start": dt.date(2025, 8, 11),
    "organisational_ratings": {
        "P1.1": "Good",
        "P1.2": "Requires improvement",
        "P1.3": "Requires improvement",
    },
    "characteristics": {
        "sentence_type": {"community_order": 27, "licence": 18},
        # The inspectorate's case sampling stratifies by male and female (methodology.md section 7).
        "sex": {"male": 40, "female": 5},
        "ethnicity": {"white": 42, "mixed": 1, "not_recorded": 2},
        "rosh": {"low": 5, "medium": 19, "high": 18, "very_high": 3},
        "practitioner_grade": {"PO": 27, "PSO": 12, "PQiP": 6},
        "probation_reset": {"none": 40, "core": 4, "adjusted": 1},
    },
    # The published report's tables (methodology section 4). Reviewing: the same 7 cases
    # (too early for a review, including the adjusted Probation Reset case) are N/A for
    # all of P2.4.*, and 3 more are N/A for P2.4.3.
    "key_questions": {
        "P2.1.1": (37, 45),  # 82.22 -> 82
        "P2.1.2": (36, 45),  # 80.00 -> 80
        "P2.1.3": (17, 45),  # 37.78 -> 38  lowest: P2.1 Inadequate
        "P2.2.1": (35, 45),  # 77.78 -> 78
        "P2.2.2": (41, 45),  # 91.11 -> 91
        "P2.2.3": (21, 45),  # 46.67 -> 47  lowest: P2.2 Inadequate
        "P2.3.1": (38, 45),  # 84.44 -> 84
        "P2.3.2": (21, 45),  # 46.67 -> 47
        "P2.3.3": (16, 45),  # 35.56 -> 36  lowest: P2.3 Inadequate
        "P2.4.1": (30, 38),  # 78.95 -> 79
        "P2.4.2": (23, 38),  # 60.53 -> 61
        "P2.4.3": (15, 35),  # 42.86 -> 43  lowest: P2.4 Inadequate
    },
    # Every figure and verbal quantity of the report the sample can speak to (checked by `annexe factcheck`).
    "prompts": {
        "P2.1.1.a": (39, 45),  # "The vast majority of cases ... involving them in their assessment"
        "P2.1.2.a": (38, 45),  # "The vast majority of cases identified and analysed the reasons ..."
        "P2.1.2.b": (30, 45),  # "Two-thirds of cases we inspected drew on other sources of information"
        "P2.3.1.a": (27, 38),  # home visits completed where needed
        "P2.3.1.b": (34, 36),  # "acted in nearly all relevant cases ... to avoid the need for enforcement"
        "P2.3.3.a": (13, 33),  # police domestic abuse information sufficient
        "P2.3.3.b": (10, 12),  # MAPPA liaison sufficient
        "P2.4.1.a": (24, 38),  # plan adjusted to changes in circumstances
        "P2.4.1.b": (34, 38),  # changes recorded
    },
    "unrated": {
        "U1": (21, 45),  # "Just under half the cases we inspected had sufficient management oversight"
        "U2": (2, 6),  # "Only two of the six cases we inspected had commenced their programme where ... required"
    },
    # (prompt or measure, verbal quantity as in the report, whether it counts the No answers).
    "verbal": [
        ("P2.1.1.a", "vast majority", False),
        ("P2.1.2.a", "vast majority", False),
        ("P2.1.2.b", "two-thirds", False),
        ("P2.3.1.b", "nearly all", False),
        ("P2.3.2", "more than half", True),  # "not being delivered in more than half the cases"
        ("P2.3.2", "less than half", False),
        ("U1", "just under half", False),
    ],
    # P1: 2 + 1 + 1; P2: 0 + 0 + 0 + 0 -> score 4/21 -> Requires improvement (published).
    "intended": {
        "published": {
            "P2.1.1": 82,
            "P2.1.2": 80,
            "P2.1.3": 38,
            "P2.2.1": 78,
            "P2.2.2": 91,
            "P2.2.3": 47,
            "P2.3.1": 84,
            "P2.3.2": 47,
            "P2.3.3": 36,
            "P2.4.1": 79,
            "P2.4.2": 61,
            "P2.4.3": 43,
        },
        "standard_ratings": {
            "P1.1": "Good",
            "P1.2": "Requires improvement",
            "P1.3": "Requires improvement",
            "P2.1": "Inadequate",
            "P2.2": "Inadequate",
            "P2.3": "Inadequate",
            "P2.4": "Inadequate",
        },
        "score": 4,
        "overall_rating": "Requires improvement",
    },
}

NORTH_SHIRE = {
    "inspection_id": "north-shire-2025",
    "case_prefix": "NS",
    "seed": 20250310,
    "cases_file": "cases.xlsx",
    "framework": "probation-pdu-2023",
    "pdu": "North Shire",
    "region": "North East",
    "fieldwork_start": dt.date(2025, 3, 10),
    "organisational_ratings": {
        "P1.1": "Good",
        "P1.2": "Good",
        "P1.3": "Requires improvement",
    },
    "characteristics": {
        "sentence_type": {"community_order": 30, "licence": 22},
        "sex": {"male": 44, "female": 8},
        "ethnicity": {"white": 40, "black": 3, "asian": 5, "mixed": 2, "other": 1, "not_recorded": 1},
        "rosh": {"low": 6, "medium": 22, "high": 20, "very_high": 4},
        "practitioner_grade": {"PO": 30, "PSO": 16, "PQiP": 6},
        "probation_reset": {"none": 49, "core": 2, "adjusted": 1},
    },
    "key_questions": {
        "P2.1.1": (46, 52),  # 88.46 -> 88 Outstanding
        "P2.1.2": (44, 52),  # 84.62 -> 85 Outstanding
        "P2.1.3": (43, 52),  # 82.69 -> 83 Outstanding  lowest: P2.1 Outstanding
        "P2.2.1": (45, 52),  # 86.54 -> 87 Outstanding
        "P2.2.2": (41, 52),  # 78.85 -> 79 Good
        "P2.2.3": (38, 52),  # 73.08 -> 73 Good         lowest: P2.2 Good
        "P2.3.1": (47, 52),  # 90.38 -> 90 Outstanding
        "P2.3.2": (37, 52),  # 71.15 -> 71 Good
        "P2.3.3": (36, 52),  # 69.23 -> 69 Good         lowest: P2.3 Good
        "P2.4.1": (39, 46),  # 84.78 -> 85 Outstanding
        "P2.4.2": (33, 46),  # 71.74 -> 72 Good
        "P2.4.3": (30, 44),  # 68.18 -> 68 Good         lowest: P2.4 Good
    },
    "prompts": {
        "P2.3.1.a": (36, 44),
        "P2.3.3.b": (12, 14),
    },
    # P1: 2 + 2 + 1 = 5; P2: 3 + 2 + 2 + 2 = 9 -> score 14/21 -> Good.
    "intended": {
        "published": {
            "P2.1.1": 88,
            "P2.1.2": 85,
            "P2.1.3": 83,
            "P2.2.1": 87,
            "P2.2.2": 79,
            "P2.2.3": 73,
            "P2.3.1": 90,
            "P2.3.2": 71,
            "P2.3.3": 69,
            "P2.4.1": 85,
            "P2.4.2": 72,
            "P2.4.3": 68,
        },
        "standard_ratings": {
            "P1.1": "Good",
            "P1.2": "Good",
            "P1.3": "Requires improvement",
            "P2.1": "Outstanding",
            "P2.2": "Good",
            "P2.3": "Good",
            "P2.4": "Good",
        },
        "score": 14,
        "overall_rating": "Good",
    },
}

EAST_VALE = {
    "inspection_id": "east-vale-2024",
    "case_prefix": "EV",
    "seed": 20241007,
    "cases_file": "cases.parquet",
    "framework": "probation-pdu-2023",
    "pdu": "East Vale",
    "region": "East of England",
    "fieldwork_start": dt.date(2024, 10, 7),
    "organisational_ratings": {
        "P1.1": "Outstanding",
        "P1.2": "Outstanding",
        "P1.3": "Good",
    },
    "characteristics": {
        "sentence_type": {"community_order": 34, "licence": 24},
        "sex": {"male": 49, "female": 8, "other": 1},
        "ethnicity": {"white": 45, "black": 4, "asian": 4, "mixed": 3, "other": 1, "not_recorded": 1},
        "rosh": {"low": 8, "medium": 25, "high": 21, "very_high": 4},
        "practitioner_grade": {"PO": 36, "PSO": 15, "PQiP": 7},
        "probation_reset": {"none": 58},
    },
    "key_questions": {
        "P2.1.1": (55, 58),  # 94.83 -> 95 Outstanding
        "P2.1.2": (52, 58),  # 89.66 -> 90 Outstanding
        "P2.1.3": (49, 58),  # 84.48 -> 84 Outstanding  lowest: P2.1 Outstanding
        "P2.2.1": (54, 58),  # 93.10 -> 93 Outstanding
        "P2.2.2": (50, 58),  # 86.21 -> 86 Outstanding
        "P2.2.3": (47, 58),  # 81.03 -> 81 Outstanding  lowest: P2.2 Outstanding
        "P2.3.1": (56, 58),  # 96.55 -> 97 Outstanding
        "P2.3.2": (48, 58),  # 82.76 -> 83 Outstanding
        "P2.3.3": (47, 58),  # 81.03 -> 81 Outstanding  lowest: P2.3 Outstanding
        "P2.4.1": (47, 53),  # 88.68 -> 89 Outstanding
        "P2.4.2": (43, 53),  # 81.13 -> 81 Outstanding
        "P2.4.3": (39, 52),  # 75.00 -> 75 Good         lowest: P2.4 Good
    },
    "prompts": {
        "P2.3.1.a": (44, 49),
        "P2.3.3.b": (13, 14),
    },
    # P1: 3 + 3 + 2 = 8; P2: 3 + 3 + 3 + 2 = 11 -> score 19/21 -> Outstanding.
    "intended": {
        "published": {
            "P2.1.1": 95,
            "P2.1.2": 90,
            "P2.1.3": 84,
            "P2.2.1": 93,
            "P2.2.2": 86,
            "P2.2.3": 81,
            "P2.3.1": 97,
            "P2.3.2": 83,
            "P2.3.3": 81,
            "P2.4.1": 89,
            "P2.4.2": 81,
            "P2.4.3": 75,
        },
        "standard_ratings": {
            "P1.1": "Outstanding",
            "P1.2": "Outstanding",
            "P1.3": "Good",
            "P2.1": "Outstanding",
            "P2.2": "Outstanding",
            "P2.3": "Outstanding",
            "P2.4": "Good",
        },
        "score": 19,
        "overall_rating": "Outstanding",
    },
}

SOUTH_MOOR = {
    "inspection_id": "south-moor-2025",
    "case_prefix": "SM",
    "seed": 20250602,
    "cases_file": "cases.csv",
    "framework": "probation-pdu-2023",
    "pdu": "South Moor",
    "region": "South West",
    "fieldwork_start": dt.date(2025, 6, 2),
    "organisational_ratings": {
        "P1.1": "Inadequate",
        "P1.2": "Requires improvement",
        "P1.3": "Inadequate",
    },
    "characteristics": {
        "sentence_type": {"community_order": 23, "licence": 18},
        "sex": {"male": 36, "female": 5},
        "ethnicity": {"white": 33, "black": 2, "asian": 2, "mixed": 1, "not_recorded": 3},
        "rosh": {"low": 3, "medium": 16, "high": 18, "very_high": 4},
        "practitioner_grade": {"PO": 20, "PSO": 14, "PQiP": 7},
        "probation_reset": {"none": 35, "core": 5, "adjusted": 1},
    },
    "key_questions": {
        "P2.1.1": (30, 41),  # 73.17 -> 73 Good
        "P2.1.2": (24, 41),  # 58.54 -> 59 Requires improvement
        "P2.1.3": (14, 41),  # 34.15 -> 34 Inadequate   lowest: P2.1 Inadequate
        "P2.2.1": (28, 41),  # 68.29 -> 68 Good
        "P2.2.2": (23, 41),  # 56.10 -> 56 Requires improvement
        "P2.2.3": (21, 41),  # 51.22 -> 51 Requires improvement  lowest: P2.2 RI
        "P2.3.1": (29, 41),  # 70.73 -> 71 Good
        "P2.3.2": (18, 41),  # 43.90 -> 44 Inadequate
        "P2.3.3": (13, 41),  # 31.71 -> 32 Inadequate   lowest: P2.3 Inadequate
        "P2.4.1": (19, 32),  # 59.375 -> 59 Requires improvement
        "P2.4.2": (14, 32),  # 43.75 -> 44 Inadequate
        "P2.4.3": (9, 28),  # 32.14 -> 32 Inadequate    lowest: P2.4 Inadequate
    },
    "prompts": {
        "P2.3.1.a": (17, 33),
        "P2.3.3.b": (4, 11),
    },
    # P1: 0 + 1 + 0 = 1; P2: 0 + 1 + 0 + 0 = 1 -> score 2/21 -> Inadequate.
    "intended": {
        "published": {
            "P2.1.1": 73,
            "P2.1.2": 59,
            "P2.1.3": 34,
            "P2.2.1": 68,
            "P2.2.2": 56,
            "P2.2.3": 51,
            "P2.3.1": 71,
            "P2.3.2": 44,
            "P2.3.3": 32,
            "P2.4.1": 59,
            "P2.4.2": 44,
            "P2.4.3": 32,
        },
        "standard_ratings": {
            "P1.1": "Inadequate",
            "P1.2": "Requires improvement",
            "P1.3": "Inadequate",
            "P2.1": "Inadequate",
            "P2.2": "Requires improvement",
            "P2.3": "Inadequate",
            "P2.4": "Inadequate",
        },
        "score": 2,
        "overall_rating": "Inadequate",
    },
}

# Band edges. Exactly 79.5, 64.5 or 49.5 needs y/r = 159/200, 129/200 or 99/200, i.e. at
# least 200 relevant cases, so none is possible in a 48-case sample. Nearest substitutes:
# unrounded values in [79.5, 80) and [64.5, 65) that publish as 80 and 65 (no value in
# [49.5, 50) exists below 100 relevant cases). Exact x.5 values here are 52.5 and 62.5
# (half up -> 53, 63; half to even would give 52, 62: same band, different published figure).
#
#   kq      yes/rel  unrounded            published  band (default: published basis)  [unrounded basis]
#   P2.1.1  35/44    79.5454...           80         Outstanding (rounds up over edge) [Good]
#   P2.1.2  40/48    83.3333...           83         Outstanding                       [Outstanding]
#   P2.1.3  32/40    80.0 exactly         80         Outstanding (exact edge)          [Outstanding]
#   P2.2.1  31/48    64.5833...           65         Good (rounds up over edge)        [Requires improvement]
#   P2.2.2  26/40    65.0 exactly         65         Good (exact edge)                 [Good]
#   P2.2.3  40/48    83.3333...           83         Outstanding                       [Outstanding]
#   P2.3.1  20/40    50.0 exactly         50         Requires improvement (exact edge) [Requires improvement]
#   P2.3.2  21/40    52.5 exactly         53         Requires improvement (x.5 up)     [Requires improvement]
#   P2.3.3  36/45    80.0 exactly         80         Outstanding (exact edge)          [Outstanding]
#   P2.4.1  31/39    79.4872...           79         Good (just below edge)            [Good]
#   P2.4.2  25/40    62.5 exactly         63         Requires improvement (x.5 up)     [Requires improvement]
#   P2.4.3  19/39    48.7179...           49         Inadequate (just below edge)      [Inadequate]
#
# Standards (default):  P1.1 Good 2, P1.2 Good 2, P1.3 RI 1, P2.1 Outstanding 3 (lowest 80),
#   P2.2 Good 2 (lowest 65), P2.3 RI 1 (lowest 50), P2.4 Inadequate 0 (lowest 49)
#   -> score 11/21 -> Good (exactly on the Good/RI overall edge).
# With banding basis "unrounded": P2.1 Good 2, P2.2 RI 1, P2.3 RI 1, P2.4 Inadequate 0
#   -> score 9/21 -> Requires improvement.
# N/A: P2.4 base 8 cases (incl. the adjusted Probation Reset case); P2.4.1 and P2.4.3 one more.
BAND_EDGES = {
    "inspection_id": "band-edges-2025",
    "case_prefix": "BE",
    "seed": 20251103,
    "cases_file": "cases.csv",
    "framework": "probation-pdu-2023",
    "pdu": "Band Edges",
    "region": "Midlands",
    "fieldwork_start": dt.date(2025, 11, 3),
    "organisational_ratings": {
        "P1.1": "Good",
        "P1.2": "Good",
        "P1.3": "Requires improvement",
    },
    "characteristics": {
        "sentence_type": {"community_order": 28, "licence": 20},
        "sex": {"male": 40, "female": 7, "other": 1},
        "ethnicity": {"white": 40, "black": 2, "asian": 3, "mixed": 2, "not_recorded": 1},
        "rosh": {"low": 5, "medium": 20, "high": 19, "very_high": 4},
        "practitioner_grade": {"PO": 28, "PSO": 14, "PQiP": 6},
        "probation_reset": {"none": 45, "core": 2, "adjusted": 1},
    },
    "key_questions": {
        "P2.1.1": (35, 44),
        "P2.1.2": (40, 48),
        "P2.1.3": (32, 40),
        "P2.2.1": (31, 48),
        "P2.2.2": (26, 40),
        "P2.2.3": (40, 48),
        "P2.3.1": (20, 40),
        "P2.3.2": (21, 40),
        "P2.3.3": (36, 45),
        "P2.4.1": (31, 39),
        "P2.4.2": (25, 40),
        "P2.4.3": (19, 39),
    },
    "prompts": {
        "P2.3.1.a": (30, 40),
        "P2.3.3.b": (8, 12),
    },
    "intended": {
        "published": {
            "P2.1.1": 80,
            "P2.1.2": 83,
            "P2.1.3": 80,
            "P2.2.1": 65,
            "P2.2.2": 65,
            "P2.2.3": 83,
            "P2.3.1": 50,
            "P2.3.2": 53,
            "P2.3.3": 80,
            "P2.4.1": 79,
            "P2.4.2": 63,
            "P2.4.3": 49,
        },
        "standard_ratings": {
            "P1.1": "Good",
            "P1.2": "Good",
            "P1.3": "Requires improvement",
            "P2.1": "Outstanding",
            "P2.2": "Good",
            "P2.3": "Requires improvement",
            "P2.4": "Inadequate",
        },
        "score": 11,
        "overall_rating": "Good",
    },
}

SPECS = [DYFED_POWYS, NORTH_SHIRE, EAST_VALE, SOUTH_MOOR, BAND_EDGES]


# ---------------------------------------------------------------------------------------------
# Framework
# ---------------------------------------------------------------------------------------------


def load_framework() -> dict:
    """Read the framework file (column ids and allowed values only)."""
    with FRAMEWORK_FILE.open("rb") as f:
        return tomllib.load(f)


def key_question_ids(framework: dict) -> list[str]:
    """Key-question ids in framework order."""
    return [kq["id"] for s in framework["standards"] for kq in s.get("key_questions", [])]


def prompt_ids(framework: dict) -> list[str]:
    """Prompt ids in framework order."""
    return [p["id"] for s in framework["standards"] for kq in s.get("key_questions", []) for p in kq.get("prompts", [])]


def columns(framework: dict, spec: dict) -> list[str]:
    """The cases-file columns in contract order (unrated measures only where the spec pins them)."""
    unrated = [u["id"] for u in framework.get("unrated_measures", []) if u["id"] in spec.get("unrated", {})]
    return ["case_id", *CHARACTERISTICS, *key_question_ids(framework), *prompt_ids(framework), *unrated]


def applies_to(framework: dict) -> dict[str, dict[str, list[str]]]:
    """Each key question's and prompt's applies_to rule (prompts inherit their key question's)."""
    rules = {}
    for s in framework["standards"]:
        for kq in s.get("key_questions", []):
            for item in (kq, *kq.get("prompts", [])):
                rule = item.get("applies_to", kq.get("applies_to"))
                if rule:
                    rules[item["id"]] = rule
    return rules


def verbal_range(phrase: str) -> tuple[float, bool, float, bool]:
    """A verbal quantity's range from the same table `annexe factcheck` uses."""
    table = tomllib.loads((DATA / "factcheck" / "verbal-quantities.toml").read_text(encoding="utf-8"))
    for item in table["phrase"]:
        if phrase in item["phrases"]:
            return item["lower"], item["lower_inclusive"], item["upper"], item["upper_inclusive"]
    raise KeyError(phrase)


def parent_kq(prompt_id: str) -> str:
    """The key question a prompt belongs to (P2.3.1.a -> P2.3.1)."""
    return prompt_id.rsplit(".", 1)[0]


def standard_of(kq_id: str) -> str:
    """The standard a key question belongs to (P2.3.1 -> P2.3)."""
    return kq_id.rsplit(".", 1)[0]


# ---------------------------------------------------------------------------------------------
# Expected results, from the intended counts
# ---------------------------------------------------------------------------------------------


def half_up_percentage(yes: int, relevant: int) -> int:
    """Whole percentage 100*yes/relevant rounded half up, in exact integer arithmetic."""
    return (200 * yes + relevant) // (2 * relevant)


def band(percentage: int) -> str:
    """The rating band of a published whole percentage (default bands)."""
    return next(rating for rating, low, _ in RATING_BANDS if percentage >= low)


def overall(score: int) -> str:
    """The overall rating of a score (default bands)."""
    return next(rating for rating, low in OVERALL_BANDS if score >= low)


def case_count(spec: dict) -> int:
    """Number of cases in a spec."""
    return sum(spec["characteristics"]["sentence_type"].values())


def expected_results(spec: dict) -> dict:
    """The expected pipeline results computed from a spec's intended counts."""
    n = case_count(spec)
    kqs = {}
    for kq, (yes, relevant) in spec["key_questions"].items():
        kqs[kq] = {
            "yes": yes,
            "no": relevant - yes,
            "not_applicable": n - relevant,
            "published_percentage": half_up_percentage(yes, relevant),
        }
    ratings = dict(spec["organisational_ratings"])
    for std in CASE_SAMPLE:
        lowest = min(v["published_percentage"] for k, v in kqs.items() if standard_of(k) == std)
        ratings[std] = band(lowest)
    score = sum(POINTS[r] for r in ratings.values())
    unrated = {
        measure: {"yes": yes, "no": relevant - yes, "not_applicable": n - relevant}
        for measure, (yes, relevant) in spec.get("unrated", {}).items()
    }
    return {
        "cases": n,
        **({"unrated": unrated} if unrated else {}),
        "community_orders": spec["characteristics"]["sentence_type"]["community_order"],
        "licences": spec["characteristics"]["sentence_type"]["licence"],
        "key_questions": kqs,
        "standard_ratings": ratings,
        "score": score,
        "max_score": MAX_SCORE,
        "overall_rating": overall(score),
    }


def check_intended(spec: dict, expected: dict) -> None:
    """Assert the computed expectations equal the hand-worked ones in the spec."""
    intended = spec["intended"]
    published = {k: v["published_percentage"] for k, v in expected["key_questions"].items()}
    assert published == intended["published"], (spec["inspection_id"], published)
    assert expected["standard_ratings"] == intended["standard_ratings"], spec["inspection_id"]
    assert expected["score"] == intended["score"], spec["inspection_id"]
    assert expected["overall_rating"] == intended["overall_rating"], spec["inspection_id"]


# ---------------------------------------------------------------------------------------------
# Generating cases
# ---------------------------------------------------------------------------------------------


def weighted_order(rng: random.Random, items: list[int], weight) -> list[int]:
    """Items in a random order biased towards high weight (Efraimidis-Spirakis keys)."""
    keys = {i: rng.random() ** (1.0 / weight(i)) for i in items}
    return sorted(items, key=lambda i: (-keys[i], i))


def expand(counts: dict[str, int], rng: random.Random) -> list[str]:
    """A shuffled list holding each value as many times as its count."""
    values = [value for value, count in counts.items() for _ in range(count)]
    rng.shuffle(values)
    return values


def na_orderings(rows: list[dict], rng: random.Random) -> dict[str, list[int]]:
    """Per standard, the order in which cases become N/A (nested N/A sets, adjusted reset first)."""
    orders = {}
    for std in CASE_SAMPLE:
        idx = list(range(len(rows)))
        rng.shuffle(idx)
        orders[std] = sorted(idx, key=lambda i: rows[i]["probation_reset"] != NA_FIRST_RESET)
    return orders


def assign_key_question(rng, rows, quality, na_order, kq, yes, relevant) -> None:
    """Answer one key question: the first N/A cases of its standard's order, then Yes by quality."""
    n = len(rows)
    assert 0 <= yes <= relevant <= n, (kq, yes, relevant, n)
    na = set(na_order[: n - relevant])
    candidates = [i for i in range(n) if i not in na]
    chosen = set(weighted_order(rng, candidates, lambda i: math.exp(quality[i]))[:yes])
    for i, row in enumerate(rows):
        row[kq] = NA if i in na else (YES if i in chosen else NO)


def assign_pinned_prompt(rng, rows, prompt, yes, relevant) -> None:
    """Answer a prompt with exact counts, loosely following its key question."""
    kq = parent_kq(prompt)
    kq_relevant = [i for i, r in enumerate(rows) if r[kq] != NA]
    assert 0 <= yes <= relevant <= len(kq_relevant), (prompt, yes, relevant)
    by_rosh = RELEVANCE_WEIGHT_BY_ROSH.get(prompt)
    relevance = (lambda i: by_rosh[rows[i]["rosh"]]) if by_rosh else (lambda i: 1.0)
    rel = weighted_order(rng, kq_relevant, relevance)[:relevant]
    chosen = set(weighted_order(rng, sorted(rel), lambda i: PROMPT_YES_WEIGHT[rows[i][kq]])[:yes])
    rel_set = set(rel)
    for i, row in enumerate(rows):
        row[prompt] = NA if i not in rel_set else (YES if i in chosen else NO)


def assign_free_prompt(rng, rows, prompt) -> None:
    """Answer an unpinned prompt: N/A with its key question, else Yes with a KQ-dependent probability."""
    kq = parent_kq(prompt)
    for row in rows:
        if row[kq] == NA:
            row[prompt] = NA
        else:
            row[prompt] = YES if rng.random() < PROMPT_YES_PROBABILITY[row[kq]] else NO


def assign_unrated(rng, rows, measure, yes, relevant) -> None:
    """Answer an unrated measure with exact counts: relevant and Yes cases chosen at random."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    rel = set(order[:relevant])
    chosen = set(order[:yes])
    for i, row in enumerate(rows):
        row[measure] = NA if i not in rel else (YES if i in chosen else NO)


def build_cases(spec: dict, framework: dict) -> pl.DataFrame:
    """All case rows of one inspection, as a string-typed DataFrame in contract column order."""
    rng = random.Random(spec["seed"])
    n = case_count(spec)
    rows = [{"case_id": f"{spec['case_prefix']}-{i + 1:03d}"} for i in range(n)]
    for col in CHARACTERISTICS:
        counts = spec["characteristics"][col]
        assert sum(counts.values()) == n, (spec["inspection_id"], col)
        for row, value in zip(rows, expand(counts, rng), strict=True):
            row[col] = value
    quality = [rng.gauss(0.0, 1.0) for _ in range(n)]
    orders = na_orderings(rows, rng)
    for kq, (yes, relevant) in spec["key_questions"].items():
        assign_key_question(rng, rows, quality, orders[standard_of(kq)], kq, yes, relevant)
    for prompt in prompt_ids(framework):
        if prompt in spec["prompts"]:
            assign_pinned_prompt(rng, rows, prompt, *spec["prompts"][prompt])
        else:
            assign_free_prompt(rng, rows, prompt)
    for measure, (yes, relevant) in spec.get("unrated", {}).items():
        assign_unrated(rng, rows, measure, yes, relevant)
    cols = columns(framework, spec)
    return pl.DataFrame({c: [row[c] for row in rows] for c in cols}, schema={c: pl.String for c in cols})


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def manifest_text(spec: dict) -> str:
    """inspection.toml per extract contract v1 (date unquoted)."""
    lines = [
        f'inspection_id = "{spec["inspection_id"]}"',
        f'framework = "{spec["framework"]}"',
        f'pdu = "{spec["pdu"]}"',
        f'region = "{spec["region"]}"',
        f"fieldwork_start = {spec['fieldwork_start'].isoformat()}",
        "",
        "[organisational_ratings]",
        *(f'"{k}" = "{v}"' for k, v in spec["organisational_ratings"].items()),
    ]
    return "\n".join(lines) + "\n"


def write_xlsx(df: pl.DataFrame, path: Path) -> None:
    """One plain sheet, header in row 1, with a fixed creation date so the bytes are reproducible."""
    import xlsxwriter  # installed alongside polars' Excel support; used only for the xlsx sample

    with xlsxwriter.Workbook(str(path)) as wb:
        wb.set_properties({"created": dt.datetime(2025, 1, 1)})
        ws = wb.add_worksheet("cases")
        for c, name in enumerate(df.columns):
            ws.write_string(0, c, name)
        for r, row in enumerate(df.iter_rows(), start=1):
            for c, value in enumerate(row):
                ws.write_string(r, c, value)


def write_cases(df: pl.DataFrame, path: Path) -> None:
    """Write the cases file in the format its name says."""
    if path.suffix == ".csv":
        df.write_csv(path)
    elif path.suffix == ".parquet":
        df.write_parquet(path)
    elif path.suffix == ".xlsx":
        write_xlsx(df, path)
    else:
        raise ValueError(path)


def write_inspection(spec: dict, df: pl.DataFrame, expected: dict) -> None:
    """Write the landing folder (replacing any older cases file) and the expected JSON."""
    folder = LANDING / spec["inspection_id"]
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("cases.*"):
        old.unlink()
    (folder / "inspection.toml").write_text(manifest_text(spec), encoding="utf-8")
    write_cases(df, folder / spec["cases_file"])
    EXPECTED.mkdir(parents=True, exist_ok=True)
    text = json.dumps(expected, indent=2) + "\n"
    (EXPECTED / f"{spec['inspection_id']}.json").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Verifying by reading back
# ---------------------------------------------------------------------------------------------


def read_cases(path: Path) -> pl.DataFrame:
    """Read a cases file back with polars, every column as text."""
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_excel(path, infer_schema_length=0)


def decimal_half_up(yes: int, relevant: int) -> int:
    """Half-up whole percentage via Decimal (a second, independent method)."""
    return int((Decimal(100 * yes) / Decimal(relevant)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def recompute(df: pl.DataFrame, manifest: dict, framework: dict) -> tuple[dict, pl.DataFrame]:
    """Recompute the results from the files read back, plus a per-KQ summary table."""
    kq_ids = key_question_ids(framework)
    counts = df.select([pl.col(k).eq(a).sum().alias(f"{k}|{a}") for k in kq_ids for a in (YES, NO, NA)]).row(
        0, named=True
    )
    table = []
    kqs = {}
    for k in kq_ids:
        y, no, na = counts[f"{k}|{YES}"], counts[f"{k}|{NO}"], counts[f"{k}|{NA}"]
        pct = decimal_half_up(y, y + no)
        kqs[k] = {"yes": y, "no": no, "not_applicable": na, "published_percentage": pct}
        table.append((k, y, no, na, f"{100 * y / (y + no):.4f}", pct, band(pct)))
    ratings = dict(manifest["organisational_ratings"])
    for std in CASE_SAMPLE:
        ratings[std] = band(min(v["published_percentage"] for k, v in kqs.items() if standard_of(k) == std))
    score = sum(POINTS[r] for r in ratings.values())
    sentence = df["sentence_type"]
    unrated = {
        u: {name: int((df[u] == answer).sum()) for name, answer in (("yes", YES), ("no", NO), ("not_applicable", NA))}
        for u in df.columns
        if u.startswith("U") and u[1:].isdigit()
    }
    results = {
        "cases": df.height,
        **({"unrated": unrated} if unrated else {}),
        "community_orders": int((sentence == "community_order").sum()),
        "licences": int((sentence == "licence").sum()),
        "key_questions": kqs,
        "standard_ratings": ratings,
        "score": score,
        "max_score": MAX_SCORE,
        "overall_rating": overall(score),
    }
    summary = pl.DataFrame(
        table,
        schema=["key_question", "yes", "no", "n/a", "unrounded_%", "published_%", "band"],
        orient="row",
    )
    return results, summary


def check_file_shape(spec: dict, df: pl.DataFrame, framework: dict) -> None:
    """Assert the contract shape: columns, text values, no blanks, allowed values, unique ids."""
    iid = spec["inspection_id"]
    assert df.columns == columns(framework, spec), iid
    assert all(dtype == pl.String for dtype in df.dtypes), (iid, df.dtypes)
    assert df.null_count().sum_horizontal().item() == 0, iid
    assert df["case_id"].n_unique() == df.height, iid
    allowed = framework["case_characteristics"]
    for col in CHARACTERISTICS:
        assert set(df[col].unique()) <= set(allowed[col]), (iid, col)
        got = dict(df[col].value_counts().iter_rows())
        assert got == spec["characteristics"][col], (iid, col, got)
    for col in df.columns[1 + len(CHARACTERISTICS) :]:
        assert set(df[col].unique()) <= set(framework["answers"]), (iid, col)


def check_prompts(spec: dict, df: pl.DataFrame, framework: dict) -> None:
    """Assert prompts are N/A whenever their key question is, and pinned counts hold."""
    iid = spec["inspection_id"]
    for prompt in prompt_ids(framework):
        kq = parent_kq(prompt)
        bad = df.filter((pl.col(kq) == NA) & (pl.col(prompt) != NA)).height
        assert bad == 0, (iid, prompt)
    for prompt, (yes, relevant) in spec["prompts"].items():
        got_yes = int((df[prompt] == YES).sum())
        got_rel = int((df[prompt] != NA).sum())
        assert (got_yes, got_rel) == (yes, relevant), (iid, prompt, got_yes, got_rel)


def check_report_figures(spec: dict, df: pl.DataFrame, framework: dict) -> None:
    """Assert pinned unrated counts, verbal quantities within their ranges, and N/A where an item does not apply."""
    iid = spec["inspection_id"]
    for measure, (yes, relevant) in spec.get("unrated", {}).items():
        assert (int((df[measure] == YES).sum()), int((df[measure] != NA).sum())) == (yes, relevant), (iid, measure)
    for measure, phrase, negated in spec.get("verbal", []):
        share = 100 * int((df[measure] == (NO if negated else YES)).sum()) / int((df[measure] != NA).sum())
        low, low_in, high, high_in = verbal_range(phrase)
        assert (share >= low if low_in else share > low) and (share <= high if high_in else share < high), (
            iid,
            measure,
            phrase,
            share,
        )
    for item, rule in applies_to(framework).items():
        outside = pl.any_horizontal([~pl.col(d).is_in(c) for d, c in rule.items()])
        assert df.filter(outside & (pl.col(item) != NA)).is_empty(), (iid, item, "answered where it does not apply")


def verify(spec: dict, framework: dict) -> None:
    """Read one inspection's files back, recompute, compare with its expected JSON, print a summary."""
    iid = spec["inspection_id"]
    folder = LANDING / iid
    with (folder / "inspection.toml").open("rb") as f:
        manifest = tomllib.load(f)
    assert manifest["inspection_id"] == iid == folder.name
    assert manifest["fieldwork_start"] == spec["fieldwork_start"]  # parsed as a TOML date
    assert manifest["framework"] == framework["id"]
    assert [p.name for p in folder.glob("cases.*")] == [spec["cases_file"]], iid
    df = read_cases(folder / spec["cases_file"])
    check_file_shape(spec, df, framework)
    check_prompts(spec, df, framework)
    check_report_figures(spec, df, framework)
    results, summary = recompute(df, manifest, framework)
    expected = json.loads((EXPECTED / f"{iid}.json").read_text(encoding="utf-8"))
    assert results == expected, iid
    print_summary(spec, results, summary)


def print_summary(spec: dict, results: dict, summary: pl.DataFrame) -> None:
    """Print one inspection's summary table."""
    print(
        f"\n== {spec['inspection_id']} ({spec['cases_file']}): {results['cases']} cases, "
        f"{results['community_orders']} community orders, {results['licences']} licences"
    )
    with pl.Config(tbl_rows=20, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(summary)
    ratings = ", ".join(f"{k} {v}" for k, v in results["standard_ratings"].items())
    print(f"   {ratings}")
    print(f"   score {results['score']}/{results['max_score']} -> {results['overall_rating']}")


def main() -> None:
    """Generate, write and verify every sample inspection."""
    framework = load_framework()
    for spec in SPECS:
        assert list(spec["key_questions"]) == key_question_ids(framework), spec["inspection_id"]
        expected = expected_results(spec)
        check_intended(spec, expected)
        write_inspection(spec, build_cases(spec, framework), expected)
    for spec in SPECS:
        verify(spec, framework)
    print("\nall sample inspections verified")


if __name__ == "__main__":
    main()
