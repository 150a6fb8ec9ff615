"""Fact-checking an inspection report's figures against the published tables (`annexe factcheck`)."""

from flows.factcheck.check import factcheck
from flows.factcheck.reader import FactcheckUsageError
from flows.factcheck.report import (
    EXIT_MISMATCH,
    EXIT_OK,
    EXIT_USAGE,
    exit_code,
    findings_html,
    findings_json,
    findings_table_lines,
    summary,
)

__all__ = [
    "EXIT_MISMATCH",
    "EXIT_OK",
    "EXIT_USAGE",
    "FactcheckUsageError",
    "exit_code",
    "factcheck",
    "findings_html",
    "findings_json",
    "findings_table_lines",
    "summary",
]
