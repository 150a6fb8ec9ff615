"""What the quality gate expects of the inspections and standard_ratings tables: scores and ratings."""

from __future__ import annotations

from schemas.quality.check import Check
from schemas.quality.derive import Facts


def inspections(facts: Facts) -> list[Check]:
    """The framework is known; score, overall rating and maximum score agree with the framework."""
    framework_ids = sorted(facts.frameworks)
    t = "inspections"
    return [
        Check(
            t,
            "ExpectColumnValuesToBeInSet",
            "framework is known",
            f"The inspection names a framework that was not supplied (known: {', '.join(framework_ids) or 'none'}).",
            {"column": "framework", "value_set": framework_ids},
        ),
        Check(
            t,
            "ExpectColumnValuesToBeBetween",
            "cases is at least 1",
            "An inspection must have at least one case in its sample.",
            {"column": "cases", "min_value": 1},
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "score is the sum of points",
            "The score should be the sum of the points of the inspection's standard ratings.",
            {"column_A": "score", "column_B": "expected_score"},
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "overall rating matches overall bands",
            "The overall rating should be the framework's overall band for the score.",
            {"column_A": "overall_rating", "column_B": "expected_overall_rating"},
            show=("score",),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "max_score is the framework's",
            "The maximum score should be the framework's (top points x number of standards).",
            {"column_A": "max_score", "column_B": "expected_max_score"},
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "every standard is rated",
            "Every standard of the framework should have a rating (count of distinct standards rated).",
            {"column_A": "standards_present", "column_B": "expected_standards"},
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "every key question has results",
            "Every key question of the framework should have a row in key_question_results.",
            {"column_A": "key_questions_present", "column_B": "expected_key_questions"},
        ),
    ]


def standard_ratings(facts: Facts) -> list[Check]:
    """Standards, names, labels and points are the framework's; ratings follow the bands."""
    t = "standard_ratings"
    return [
        Check(
            t,
            "ExpectColumnValuesToBeInSet",
            "standard_id belongs to the framework",
            "The standard id is not one of the inspection's framework's standards.",
            {"column": "framework_standard", "value_set": facts.keys("standards", "framework", "standard_id")},
            show=("standard_id",),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "standard_name matches the framework",
            "The standard name differs from the framework's name for that standard.",
            {
                "column_A": "standard_name",
                "column_B": "framework_standard_name",
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Check(
            t,
            "ExpectColumnValuesToBeInSet",
            "rating label is valid",
            "The rating is not one of the framework's rating labels.",
            {"column": "framework_rating", "value_set": facts.keys("bands", "framework", "rating")},
            show=("rating",),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "points match rating",
            "The points should be those the framework gives the rating.",
            {"column_A": "points", "column_B": "expected_points"},
            show=("rating",),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "rating matches bands of lowest key question",
            "A case-sample standard's rating should be the framework's band (on its banding basis) of its "
            "lowest key question with relevant cases.",
            {"column_A": "rating", "column_B": "expected_rating"},
            show=("lowest_question_id",),
            when=("rated_by", "case_sample"),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "lowest_question_id has the lowest percentage",
            "lowest_question_id should name the standard's key question with the lowest percentage.",
            {"column_A": "lowest_question_percentage", "column_B": "min_question_percentage"},
            show=("lowest_question_id",),
            when=("rated_by", "case_sample"),
        ),
        Check(
            t,
            "ExpectColumnValuesToBeNull",
            "judged standards have no lowest question",
            "A standard rated by inspectors' judgement should have no lowest_question_id.",
            {"column": "lowest_question_id"},
            when=("rated_by", "judgement"),
        ),
    ]
