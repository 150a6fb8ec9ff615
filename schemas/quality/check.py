"""What a quality check is: one expectation on one table, and the key columns its offending rows are named by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.quality.derive import FRAMEWORK_HELPERS

KEY_COLUMNS = {
    "inspections": ["inspection_id"],
    "standard_ratings": ["inspection_id", "standard_id"],
    "key_question_results": ["inspection_id", "question_id"],
    "prompt_results": ["inspection_id", "prompt_id"],
    "unrated_results": ["inspection_id", "measure_id"],
    "breakdowns": ["inspection_id", "dimension", "category", "question_id"],
    "sample_profile": ["inspection_id", "dimension", "category"],
}


@dataclass(frozen=True)
class Check:
    """One expectation on one table, with the words a data-team member sees when it fails."""

    table: str
    gx_class: str  # class in great_expectations.expectations
    name: str  # short name, after the expectation type
    message: str  # what should hold, in plain words
    kwargs: dict[str, Any]
    show: tuple[str, ...] = ()  # extra columns for offending rows (expectation columns are shown anyway)
    when: tuple[str, Any] | None = None  # row condition: (column, value) the rule is limited to

    def columns(self) -> list[str]:
        """Columns the expectation reads, then extra columns to show."""
        named = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        listed = list(self.kwargs.get("column_list", []))
        condition = [self.when[0]] if self.when else []
        return [c for c in [*named, *listed, *condition, *self.show] if c]

    @property
    def needs_framework(self) -> bool:
        """Whether the check compares against something derived from the inspection's framework."""
        return any(c in FRAMEWORK_HELPERS for c in self.columns())
