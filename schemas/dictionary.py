"""The data dictionary, generated from the published table specs (markdown and JSON)."""

from __future__ import annotations

import json

from schemas.comparison_tables import COMPARISON_TABLES
from schemas.tables import RUNS, SCHEMA_VERSION, TABLES, TableSpec

READING = """## Reading the tables

Each table is Parquet, partitioned by inspection (hive style): `annexe/<table>/inspection_id=<id>/part-*.parquet`.
The tables comparing inspections (national_results, regional_results, benchmarks, trends) are partitioned by
financial year instead, `annexe/<table>/period=<YYYY-YY>/part-*.parquet` (trends by that of the later inspection).
The partition column is not repeated inside the files. `datapackage.json` at the top of the warehouse lists
every committed file with its sha256; read through it (or `flows.warehouse.read_table`) to be sure of never
seeing an inspection that is being replaced.

```python
import polars as pl
pl.scan_parquet("annexe/key_question_results/**/*.parquet", hive_partitioning=True,
                hive_schema={"inspection_id": pl.String}).collect()

import pyarrow.dataset as ds, pyarrow as pa
ds.dataset("annexe/key_question_results", format="parquet",
           partitioning=ds.partitioning(pa.schema([("inspection_id", pa.string())]), flavor="hive")).to_table()
```

```sql
SELECT * FROM read_parquet('annexe/key_question_results/*/*.parquet', hive_partitioning = true);
```
"""


def _tables() -> list[TableSpec]:
    return [*TABLES.values(), *COMPARISON_TABLES.values(), RUNS]


def dictionary_json() -> str:
    """Machine-readable dictionary: every table, its grain and columns with types and descriptions."""
    return (
        json.dumps(
            {
                "schema_version": SCHEMA_VERSION,
                "tables": [
                    {
                        "name": t.name,
                        "description": t.description,
                        "grain": t.grain,
                        "columns": [
                            {"name": c.name, "type": str(c.dtype), "nullable": c.nullable, "description": c.description}
                            for c in t.columns
                        ],
                    }
                    for t in _tables()
                ],
            },
            indent=2,
        )
        + "\n"
    )


def dictionary_markdown() -> str:
    """Human-readable dictionary of the published tables."""
    lines = ["# Data dictionary", "", f"Schema version {SCHEMA_VERSION}. Generated from `schemas/tables.py`.", ""]
    for table in _tables():
        lines += [
            f"## `{table.name}`",
            "",
            table.description,
            "",
            f"One row per {table.grain}.",
            "",
            "| column | type | nullable | description |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{c.name}` | {c.dtype} | {'yes' if c.nullable else 'no'} | {c.description} |" for c in table.columns
        ]
        lines.append("")
    return "\n".join(lines) + "\n" + READING
