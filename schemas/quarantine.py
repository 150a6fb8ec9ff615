"""The quarantine: one row per problem that stops an inspection from being published, and every way to raise one."""

from __future__ import annotations

import polars as pl

from schemas.tables import TABLES

QUARANTINE = TABLES["quarantine"]
# A problem as raised, before the run knows the fingerprint of the inputs it was found in.
PROBLEM_SCHEMA = pl.Schema({c.name: c.dtype for c in QUARANTINE.columns if c.name != "fingerprint"})


def problem(
    inspection_id: str, file: str, check: str, message: str, *, row=None, case_id=None, column=None, value=None
) -> dict:
    """One quarantine row."""
    return {
        "inspection_id": inspection_id,
        "file": file,
        "row": row,
        "case_id": case_id,
        "column": column,
        "value": None if value is None else str(value),
        "check": check,
        "message": message,
    }


def problems_frame(problems: list[dict]) -> pl.DataFrame:
    """Problems as a frame (possibly empty)."""
    return pl.DataFrame(problems, schema=PROBLEM_SCHEMA)


def quarantine_rows(problems: list[dict] | pl.DataFrame, fingerprint: str | None) -> pl.DataFrame:
    """Problems as rows of the published quarantine table, stamped with the inputs' fingerprint."""
    frame = problems if isinstance(problems, pl.DataFrame) else problems_frame(problems)
    return QUARANTINE.conform(frame.with_columns(fingerprint=pl.lit(fingerprint, dtype=pl.String)))


def empty_quarantine() -> pl.DataFrame:
    """A quarantine table with no rows."""
    return pl.DataFrame(schema=QUARANTINE.polars_schema)


def quality_problems(failures: pl.DataFrame) -> list[dict]:
    """Quality-gate failures (inspection_id, table, expectation, message, offending_rows) as problems."""
    return [
        problem(
            f["inspection_id"],
            f"(computed) {f['table']}",
            f["expectation"].split(":")[0],
            f"quality gate: {f['message']} (offending rows: {f['offending_rows']})",
        )
        for f in failures.iter_rows(named=True)
    ]
