"""What the quality gate expects of issue 12's columns: 95% intervals around percentages, plausible ratings."""

from __future__ import annotations

from schemas.quality.check import Check
from schemas.quality.derive import Facts
from schemas.quality.derive_intervals import INTERVAL_TABLES

PLAUSIBLE = ("plausible_lowest_rating", "plausible_highest_rating", "rating_sensitive")


def intervals() -> list[Check]:
    """0 <= ci_lower <= percentage <= ci_upper <= 100 with relevant cases, both null without; Wilson's bounds."""
    found = []
    for t in INTERVAL_TABLES:
        for column in ("ci_lower", "ci_upper"):
            found += [
                Check(
                    t,
                    "ExpectColumnValuesToBeBetween",
                    f"{column} within 0-100",
                    f"{column} must lie between 0 and 100.",
                    {"column": column, "min_value": 0, "max_value": 100},
                ),
                Check(
                    t,
                    "ExpectColumnValuesToNotBeNull",
                    f"{column} present with relevant cases",
                    f"A percentage with relevant cases must have its 95% interval ({column}).",
                    {"column": column},
                    when=("has_relevant_cases", True),
                ),
                Check(
                    t,
                    "ExpectColumnValuesToBeNull",
                    f"{column} empty without relevant cases",
                    f"With no relevant case there is no percentage, so no interval ({column} must be empty).",
                    {"column": column},
                    when=("has_relevant_cases", False),
                ),
                Check(
                    t,
                    "ExpectColumnPairValuesToBeEqual",
                    f"{column} is the Wilson 95% bound",
                    f"{column} should be the Wilson score 95% bound of Yes out of relevant cases, in percentage "
                    "points (compared to 6 decimal places).",
                    {"column_A": f"{column}_6dp", "column_B": f"expected_{column}_6dp"},
                    show=("yes", "no"),
                ),
            ]
        found += [
            Check(
                t,
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "ci_lower at most percentage",
                "The lower end of the 95% interval cannot be above the percentage.",
                {"column_A": "percentage", "column_B": "ci_lower", "or_equal": True,
                 "ignore_row_if": "either_value_is_missing"},
            ),
            Check(
                t,
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "ci_upper at least percentage",
                "The upper end of the 95% interval cannot be below the percentage.",
                {"column_A": "ci_upper", "column_B": "percentage", "or_equal": True,
                 "ignore_row_if": "either_value_is_missing"},
            ),
        ]  # fmt: skip
    return found


def sensitivity(facts: Facts) -> list[Check]:
    """Plausible ratings are the framework's labels either side of the rating; the flag follows; none if judged."""
    t = "standard_ratings"
    labels = facts.keys("bands", "framework", "rating")
    return [
        *(
            Check(
                t,
                "ExpectColumnValuesToBeInSet",
                f"plausible_{end}_rating is a rating",
                f"plausible_{end}_rating is not one of the framework's rating labels.",
                {"column": f"framework_plausible_{end}", "value_set": labels},
                show=(f"plausible_{end}_rating",),
            )
            for end in ("lowest", "highest")
        ),
        Check(
            t,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "plausible_lowest_rating no better than the rating",
            "The lowest plausible rating cannot earn more points than the rating.",
            {"column_A": "points", "column_B": "plausible_lowest_points", "or_equal": True,
             "ignore_row_if": "either_value_is_missing"},
            show=("rating", "plausible_lowest_rating"),
        ),
        Check(
            t,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "plausible_highest_rating no worse than the rating",
            "The highest plausible rating cannot earn fewer points than the rating.",
            {"column_A": "plausible_highest_points", "column_B": "points", "or_equal": True,
             "ignore_row_if": "either_value_is_missing"},
            show=("rating", "plausible_highest_rating"),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "rating_sensitive follows the plausible ratings",
            "rating_sensitive should be true exactly when a plausible rating differs from the rating.",
            {"column_A": "rating_sensitive", "column_B": "expected_rating_sensitive",
             "ignore_row_if": "both_values_are_missing"},
            show=("rating", "plausible_lowest_rating", "plausible_highest_rating"),
        ),
        *(
            Check(
                t,
                "ExpectColumnValuesToBeNull",
                f"judged standards have no {column}",
                f"A standard rated by inspectors' judgement has no sample interval, so no {column}.",
                {"column": column},
                when=("rated_by", "judgement"),
            )
            for column in PLAUSIBLE
        ),
    ]  # fmt: skip
