"""Variants of the sample tables and settings that the renderer tests share: hostile text, protection, releases."""

from __future__ import annotations

import datetime as dt

import polars as pl

# Text that would be code somewhere (a formula, a link, markup, rich markup), then RTL with emoji, then length.
HOSTILE = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "@SUM(A1)",
    "[text](http://evil)",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "[/bold]",
    "-2+3",
    "Gogledd Cymru 🏴 شمال ويلز",
    "Long" + " and long" * 400,
)
# The categories renamed to HOSTILE, in order: the six of ethnicity, then the four of RoSH.
RENAMED = [("ethnicity", c) for c in ("white", "black", "asian", "mixed", "other", "not_recorded")] + [
    ("rosh", c) for c in ("low", "medium", "high", "very_high")
]
RELEASE = {
    "published_on": dt.date(2026, 3, 5),
    "statistics_status": "Official statistics in development",
    "next_update": "Not planned: each inspection is published once",
    "report_url": "https://example.org/inspections/dyfed-powys-2025",
    "revisions": [
        {"date": dt.date(2026, 3, 12), "note": "Corrected the region."},
        {"date": dt.date(2026, 4, 2), "note": "Added the sample profile's withheld counts."},
    ],
}


def hostile_tables(tables: dict[str, pl.DataFrame], pdu: str, region: str) -> dict[str, pl.DataFrame]:
    """The tables with the PDU and region given, and every ethnicity and RoSH category renamed to HOSTILE text."""
    mapping = pl.DataFrame(
        {"dimension": [d for d, _ in RENAMED], "category": [c for _, c in RENAMED], "hostile": list(HOSTILE)}
    )

    def rename(frame: pl.DataFrame) -> pl.DataFrame:
        return (
            frame.join(mapping, on=["dimension", "category"], how="left")
            .with_columns(category=pl.coalesce("hostile", "category"))
            .drop("hostile")
        )

    return tables | {
        "inspections": tables["inspections"].with_columns(pdu=pl.lit(pdu), region=pl.lit(region)),
        "breakdowns": rename(tables["breakdowns"]),
        "sample_profile": rename(tables["sample_profile"]),
    }


def protected_profile(tables: dict[str, pl.DataFrame], threshold: int = 5) -> dict[str, pl.DataFrame]:
    """The tables with a protected sample profile: what transforms/suppression.py withholds, and every count under
    the threshold, withheld (null `cases`, `suppressed` True)."""
    profile = tables["sample_profile"]
    withheld = pl.col("cases").is_null() | (pl.col("cases") < threshold)
    if "suppressed" in profile.columns:
        withheld = withheld | pl.col("suppressed")
    profile = profile.with_columns(suppressed=withheld)
    return tables | {
        "sample_profile": profile.with_columns(cases=pl.when(pl.col("suppressed")).then(None).otherwise("cases"))
    }


def unprotected_profile(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The tables with a sample profile as published before it was protected: no `suppressed`, every count shown."""
    inspection_id = tables["inspections"]["inspection_id"].item()
    profile = pl.DataFrame(
        {
            "inspection_id": [inspection_id] * 3,
            "dimension": ["sex"] * 3,
            "category": ["male", "female", "other"],
            "cases": [39, 5, 1],
        }
    )
    return tables | {"sample_profile": profile}


def some_prompts(tables: dict[str, pl.DataFrame], question_ids: tuple[str, ...]) -> dict[str, pl.DataFrame]:
    """The tables with prompt answers for the prompts of these key questions only."""
    prompts = tables["prompt_results"]
    return tables | {"prompt_results": prompts.filter(pl.col("question_id").is_in(question_ids))}
