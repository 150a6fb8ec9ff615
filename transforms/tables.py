"""All published tables for a set of inspections that share one framework."""

from __future__ import annotations

import polars as pl

from schemas.tables import TABLES
from transforms.framework import Framework
from transforms.intervals import rating_sensitivity, with_intervals
from transforms.ratings import inspection_summaries, standard_ratings
from transforms.results import breakdowns, key_question_results, prompt_results, sample_profile, unrated_results
from transforms.suppression import suppress_sample_profile, suppress_small_numbers


def build_tables(
    cases: pl.DataFrame,
    manifests: pl.DataFrame,
    organisational_ratings: pl.DataFrame,
    framework: Framework,
    suppression_threshold: int,
) -> dict[str, pl.DataFrame]:
    """Published tables (except quarantine) from validated cases, manifests and judged ratings.

    `manifests` has one row per inspection (inspection_id, framework, pdu, region, fieldwork_start,
    fingerprint); every output row carries its inspection's fingerprint.
    """
    key_questions = with_intervals(key_question_results(cases, framework))
    ratings = rating_sensitivity(
        standard_ratings(key_questions, organisational_ratings, framework), key_questions, framework
    )
    # Breakdowns withhold every category the profile withholds: a shown cell would give its size away.
    profile = suppress_sample_profile(sample_profile(cases, framework), suppression_threshold)
    tables = {
        "inspections": inspection_summaries(manifests, cases, ratings, framework),
        "standard_ratings": ratings,
        "key_question_results": key_questions,
        "prompt_results": with_intervals(prompt_results(cases, framework)),
        "unrated_results": with_intervals(unrated_results(cases, framework)),
        "breakdowns": suppress_small_numbers(breakdowns(cases, framework), suppression_threshold, profile),
        "sample_profile": profile,
    }
    fingerprints = manifests.select("inspection_id", "fingerprint")
    return {
        name: TABLES[name].conform(frame.join(fingerprints, on="inspection_id", how="left", maintain_order="left"))
        for name, frame in tables.items()
    }
