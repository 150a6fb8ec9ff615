"""Build published tables straight from a bundled sample inspection, for tests of what consumes them."""

from __future__ import annotations

import polars as pl

from flows.config import DEFAULT_LANDING
from flows.store.landing import read_extract
from transforms.framework import Framework, load_framework
from transforms.tables import build_tables


def sample_tables(
    inspection_id: str = "dyfed-powys-2025", threshold: int = 5
) -> tuple[dict[str, pl.DataFrame], Framework]:
    """All published tables (but quarantine) for one bundled sample inspection, and its framework."""
    extract = read_extract(DEFAULT_LANDING, inspection_id)
    manifest = extract.manifest
    framework = load_framework(manifest["framework"])
    cases = extract.cases.with_columns(inspection_id=pl.lit(inspection_id))
    manifests = pl.DataFrame(
        {
            "inspection_id": [inspection_id],
            "framework": [manifest["framework"]],
            "pdu": [manifest["pdu"]],
            "region": [manifest["region"]],
            "fieldwork_start": [manifest["fieldwork_start"]],
            "fingerprint": [extract.fingerprint],
        }
    )
    ratings = manifest["organisational_ratings"]
    organisational = pl.DataFrame(
        {"inspection_id": inspection_id, "standard_id": list(ratings), "rating": list(ratings.values())}
    )
    return build_tables(cases, manifests, organisational, framework, threshold), framework
