"""What the quality gate expects of results, breakdowns and the sample profile: counts and percentages."""

from __future__ import annotations

from schemas.quality.check import Check
from schemas.quality.derive import COUNT_TABLES, QUESTION_TABLES, Facts
from transforms.suppression import SUPPRESSED_MEASURES


def counts(facts: Facts) -> list[Check]:
    """Key questions, prompts and breakdowns: counts and percentages add up, questions are the framework's."""
    found = []
    for t in COUNT_TABLES:
        found += [
            Check(
                t,
                "ExpectColumnValuesToBeBetween",
                f"{column} is not negative",
                f"The count {column} cannot be negative.",
                {"column": column, "min_value": 0},
            )
            for column in ("yes", "no", "not_applicable")
        ]
        found += [
            Check(
                t,
                "ExpectColumnValuesToBeBetween",
                f"{column} within 0-100",
                f"{column} must lie between 0 and 100.",
                {"column": column, "min_value": 0, "max_value": 100},
            )
            for column in ("percentage", "published_percentage")
        ]
        found += [
            Check(
                t,
                "ExpectColumnPairValuesToBeEqual",
                "relevant_cases equals yes + no",
                "relevant_cases should be Yes + No (N/A is not relevant).",
                {"column_A": "relevant_cases", "column_B": "yes_plus_no"},
                show=("yes", "no"),
            ),
            Check(
                t,
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "relevant_cases at most the inspection's cases",
                "relevant_cases cannot be more than the cases inspected.",
                {
                    "column_A": "inspection_cases",
                    "column_B": "relevant_cases",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
            ),
            Check(
                t,
                "ExpectColumnPairValuesToBeEqual",
                "percentage is 100 x yes / (yes + no)",
                "The unrounded percentage should be 100 x Yes / (Yes + No), and empty with no relevant case "
                "(compared to 6 decimal places).",
                {"column_A": "percentage_6dp", "column_B": "expected_percentage_6dp"},
                show=("yes", "no"),
            ),
            Check(
                t,
                "ExpectColumnPairValuesToBeEqual",
                "published_percentage is half-up rounding of percentage",
                "The published percentage should be the unrounded percentage rounded half up to a whole number "
                "(12.5 -> 13), and empty with no relevant case.",
                {"column_A": "published_percentage", "column_B": "expected_published_percentage"},
                show=("percentage", "yes", "no"),
            ),
        ]
    for t in QUESTION_TABLES:
        found += [
            Check(
                t,
                "ExpectColumnValuesToBeInSet",
                "question_id belongs to the framework",
                "The key question id is not one of the inspection's framework's key questions.",
                {"column": "framework_question", "value_set": facts.keys("questions", "framework", "question_id")},
                show=("question_id",),
            ),
            Check(
                t,
                "ExpectColumnPairValuesToBeEqual",
                "standard_id matches question_id",
                "The standard id is not the standard the framework puts this key question under.",
                {
                    "column_A": "standard_id",
                    "column_B": "framework_standard_id",
                    "ignore_row_if": "either_value_is_missing",
                },
                show=("question_id",),
            ),
        ]
    return found


def questions_and_prompts(facts: Facts) -> list[Check]:
    """Every case answers every question and prompt; ids and wording are the framework's."""
    checks = [
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "every case answered",
            "Yes + No + N/A should equal the cases inspected: every case answers every question.",
            {"column_A": "answers", "column_B": "inspection_cases"},
        )
        for t in ("key_question_results", "prompt_results", "unrated_results")
    ]
    t = "prompt_results"
    return [
        *checks,
        Check(
            "unrated_results",
            "ExpectColumnValuesToBeInSet",
            "measure_id belongs to the framework",
            "The unrated measure id is not one of the inspection's framework's unrated measures.",
            {"column": "framework_measure", "value_set": facts.keys("unrated", "framework", "measure_id")},
            show=("measure_id",),
        ),
        Check(
            "unrated_results",
            "ExpectColumnPairValuesToBeEqual",
            "measure_text is the framework's wording",
            "The unrated measure's wording differs from the framework's.",
            {
                "column_A": "measure_text",
                "column_B": "framework_measure_text",
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Check(
            "key_question_results",
            "ExpectColumnPairValuesToBeEqual",
            "question_text is the framework's wording",
            "The key question's wording differs from the framework's (published) wording.",
            {
                "column_A": "question_text",
                "column_B": "framework_question_text",
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Check(
            t,
            "ExpectColumnValuesToBeInSet",
            "prompt_id belongs to the framework",
            "The prompt id is not one of the inspection's framework's prompts.",
            {"column": "framework_prompt", "value_set": facts.keys("prompts", "framework", "prompt_id")},
            show=("prompt_id",),
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "question_id matches prompt_id",
            "The key question id is not the one the framework puts this prompt under.",
            {
                "column_A": "question_id",
                "column_B": "framework_prompt_question_id",
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "prompt_text is the framework's wording",
            "The prompt's wording differs from the framework's.",
            {
                "column_A": "prompt_text",
                "column_B": "framework_prompt_text",
                "ignore_row_if": "either_value_is_missing",
            },
        ),
    ]


def _in_framework_characteristics(t: str, facts: Facts) -> Check:
    """The row's characteristic and category are ones its framework defines."""
    return Check(
        t,
        "ExpectColumnValuesToBeInSet",
        "dimension and category belong to the framework",
        "The characteristic or its category is not one the inspection's framework defines.",
        {
            "column": "framework_dimension_category",
            "value_set": facts.keys("characteristics", "framework", "dimension", "category"),
        },
    )


def breakdowns(facts: Facts) -> list[Check]:
    """Suppressed cells disclose nothing, the others show their counts, which add up to their category."""
    t = "breakdowns"
    return [
        *(
            Check(
                t,
                "ExpectColumnValuesToBeNull",
                f"suppressed cells have no {column}",
                f"A suppressed cell must not show its {column} (it would disclose small numbers).",
                {"column": column},
                when=("suppressed", True),
            )
            for column in SUPPRESSED_MEASURES
        ),
        *(
            Check(
                t,
                "ExpectColumnValuesToNotBeNull",
                f"unsuppressed cells show {column}",
                f"A cell that is not suppressed must show its {column}.",
                {"column": column},
                when=("suppressed", False),
            )
            for column in ("yes", "no", "not_applicable", "relevant_cases")
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "answers equal the category's cases",
            "In a cell that is not suppressed, Yes + No + N/A should equal the cases in that category "
            "(sample_profile).",
            {"column_A": "answers", "column_B": "category_cases"},
        ),
        _in_framework_characteristics(t, facts),
    ]


def sample_profile(facts: Facts) -> list[Check]:
    """Categories hold no negative counts and add up to the inspection's cases."""
    t = "sample_profile"
    return [
        Check(
            t,
            "ExpectColumnValuesToBeBetween",
            "cases is not negative",
            "A category cannot have a negative number of cases.",
            {"column": "cases", "min_value": 0},
        ),
        Check(
            t,
            "ExpectColumnPairValuesToBeEqual",
            "categories add up to the inspection's cases",
            "The cases in a characteristic's categories should add up to the cases inspected.",
            {"column_A": "dimension_total", "column_B": "inspection_cases", "ignore_row_if": "either_value_is_missing"},
        ),
        _in_framework_characteristics(t, facts),
    ]
