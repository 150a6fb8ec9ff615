"""Extract contract v1: the names, patterns and limits an inspection folder must follow (docs/extract-contract.md)."""

from __future__ import annotations

import re

MANIFEST_FILE = "inspection.toml"
CASES_FILES = ("cases.csv", "cases.xlsx", "cases.parquet")
# An id is a path component of the warehouse (annexe/<table>/inspection_id=<id>/...), so its length is bounded.
MAX_ID_LENGTH = 64
# "national" names the folder of the national overviews (annexe/files/national/), so no inspection may take it.
RESERVED_IDS = ("national",)
INSPECTION_ID = re.compile(rf"^(?!(?:{'|'.join(RESERVED_IDS)})$)(?=.{{1,{MAX_ID_LENGTH}}}$)[a-z0-9]+(-[a-z0-9]+)*$")
MANIFEST_KEYS = ("inspection_id", "framework", "pdu", "region", "fieldwork_start", "organisational_ratings")

# The work one file may cause. Samples are tens to a few hundred cases of some forty columns; these allow ten
# times that and refuse, with the limit named, anything that would cost a run its memory or its night.
MAX_MANIFEST_BYTES = 64 * 1024
MAX_MANIFEST_DEPTH = 4  # tables and arrays nested in inspection.toml (the contract's is 2)
MAX_TEXT_LENGTH = 200  # characters in pdu and region
MAX_CASES_BYTES = 8 * 1024 * 1024
MAX_ROWS = 2000  # cases, not counting the header row
MAX_COLUMNS = 200
MAX_XLSX_SHEETS = 16
MAX_XLSX_MEMBERS = 100  # files inside the xlsx zip (a plain workbook has about ten)
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # what an xlsx unzips to, or a parquet file's pages decompress to
# The reader runs in a child process with these bounds, so that a file no check foresaw loses only itself.
READ_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
READ_SECONDS = 120
