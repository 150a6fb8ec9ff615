"""Quality gate: Great Expectations checks that the published tables agree with their framework and each other.

`quality_failures(tables, frameworks)` validates every published table of a batch of inspections (any
number, any mix of frameworks) in one ephemeral GX context and returns one row per inspection, table
and failed expectation, with the offending rows. An empty frame means the batch may be published.

Values an expectation needs that are not in the table itself (the half-up published percentage, the
rating the framework's bands give, the inspection's number of cases, the sum of points ...) are
derived here in polars, independently of transforms/, as helper columns named `expected_*`,
`inspection_cases` and so on; GX then compares columns. Helper columns appear in the offending rows
and in the Data Docs.
"""

from schemas.quality.check import KEY_COLUMNS, Check
from schemas.quality.derive import COUNT_TABLES, FRAMEWORK_HELPERS, QUALITY_TABLES
from schemas.quality.expectations import GRAIN
from schemas.quality.gate import DOCS_SITE, FAILURE_SCHEMA, MAX_OFFENDING_ROWS, SUITE_PREFIX, quality_failures
from transforms.suppression import SUPPRESSED_MEASURES

__all__ = [
    "COUNT_TABLES",
    "DOCS_SITE",
    "FAILURE_SCHEMA",
    "FRAMEWORK_HELPERS",
    "GRAIN",
    "KEY_COLUMNS",
    "MAX_OFFENDING_ROWS",
    "QUALITY_TABLES",
    "SUITE_PREFIX",
    "SUPPRESSED_MEASURES",
    "Check",
    "quality_failures",
]
