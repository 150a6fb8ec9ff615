"""Where the pipeline runs and stores: landing zone and warehouse on S3 (moto's server), tasks on a Dask cluster.

Both compare what they publish with the same inputs published locally by a thread-pool run (shared with
test_operations.py: one run per session).
"""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

import fsspec
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.store.manifest import MANIFEST
from flows.store.warehouse import read_table
from schemas.tables import COMPUTED_TABLES
from tests.broken import BREAKAGES, make_broken
from tests.conftest import LANDING, SAMPLES
from tests.flows.test_operations import BROKEN, DATA_TABLES, all_tables, assert_consistent, publish_samples

BUCKETS = ("landing", "warehouse")
S3_LANDING, S3_WAREHOUSE = "s3://landing/extracts", "s3://warehouse/annexe-warehouse"


@pytest.fixture(scope="module")
def reference(prefect_api, tmp_path_factory) -> dict:
    """The same landing zone published locally by the default thread-pool task runner."""
    return publish_samples(tmp_path_factory)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free local port, with credentials and endpoint set the way a deployment would."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = fsspec.config.conf.get("s3")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        # flows.landing.filesystem() calls fsspec.core.url_to_fs(url) with no options; fsspec applies its
        # config to every new filesystem (same as env FSSPEC_S3_ENDPOINT_URL=... set before import).
        fsspec.config.conf["s3"] = {"endpoint_url": endpoint}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        for bucket in BUCKETS:
            client.create_bucket(Bucket=bucket)
        try:
            yield {"endpoint": endpoint, "client": client}
        finally:
            if saved is None:
                fsspec.config.conf.pop("s3", None)
            else:
                fsspec.config.conf["s3"] = saved
            import s3fs

            s3fs.S3FileSystem.clear_instance_cache()
            server.stop()


def objects(client, bucket: str) -> dict[str, tuple[str, object, int]]:
    """Every object in a bucket: ETag, LastModified and size, straight from the S3 API (no fsspec cache)."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = (item["ETag"], item["LastModified"], item["Size"])
    return found


def upload(client, folder: Path, bucket: str, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{path.relative_to(folder)}", Body=path.read_bytes())


def test_nightly_with_landing_zone_and_warehouse_on_s3(s3, reference, tmp_path):
    from flows.pipeline import nightly, run_summary

    client = s3["client"]
    landing = tmp_path / "landing"
    shutil.copytree(LANDING, landing)
    make_broken(landing, next(b for b in BREAKAGES if b.name == "bad-answer"))
    upload(client, landing, "landing", "extracts")
    landing_before = objects(client, "landing")
    assert len(landing_before) == 2 * (len(SAMPLES) + 1)

    summary = run_summary(nightly, landing=S3_LANDING, warehouse=S3_WAREHOUSE)

    assert sorted((o["inspection_id"], o["outcome"]) for o in summary["outcomes"]) == sorted(
        [(s, "published") for s in SAMPLES] + [(BROKEN, "rejected")]
    )
    stored = objects(client, "warehouse")
    prefix = "annexe-warehouse/"
    assert f"{prefix}{MANIFEST}" in stored
    for inspection_id in SAMPLES:
        for table in COMPUTED_TABLES:
            assert (
                len(
                    [
                        k
                        for k in stored
                        if k.startswith(f"{prefix}annexe/{table}/inspection_id={inspection_id}/")
                        and k.endswith(".parquet")
                    ]
                )
                == 1
            )
        assert f"{prefix}annexe/files/{inspection_id}/data-annexe.xlsx" in stored
    assert not [k for k in stored if "/.pending/" in k or "/_locks/" in k or "/_staging/" in k]
    assert [k for k in stored if k.startswith(f"{prefix}ledger/runs/")] == [
        f"{prefix}ledger/runs/run_id={summary['run_id']}/part-0.parquet"
    ]

    # read back through the manifest from S3: the same rows as the local run, quarantine included
    tables = all_tables(S3_WAREHOUSE)
    for table in DATA_TABLES:
        assert_frame_equal(tables[table], reference["tables"][table])
    quarantine = tables["quarantine"]
    assert quarantine["inspection_id"].unique().to_list() == [BROKEN]
    assert quarantine.filter(pl.col("check") == "allowed_values").select("row", "column", "value").rows() == [
        (4, "P2.1.1", "Maybe")
    ]

    # a second run over the unchanged landing zone rewrites no published object: only its ledger entry and the
    # manifest's package part that lists it
    again = run_summary(nightly, landing=S3_LANDING, warehouse=S3_WAREHOUSE)
    assert again["outcomes"] == [] and again["still_rejected"] == [BROKEN]
    after = objects(client, "warehouse")
    changed = sorted(k for k in set(after) | set(stored) if after.get(k) != stored.get(k))
    assert changed == [f"{prefix}ledger/runs/run_id={again['run_id']}/part-0.parquet", f"{prefix}manifest/package.json"]
    assert objects(client, "landing") == landing_before  # the landing zone is only read


def test_s3_run_sees_an_extract_added_since_the_last_run_in_this_process(s3, reference, tmp_path):
    """A long-lived process (a worker, `annexe serve`, a notebook) runs the flow again after new data lands.

    The new extract is uploaded by another S3 client, as the inspectorate's upload would be.
    """
    from flows.pipeline import nightly, run_summary

    client = s3["client"]
    landing = tmp_path / "landing"
    shutil.copytree(LANDING / "south-moor-2025", landing / "south-moor-2025")
    upload(client, landing, "landing", "second")
    first = run_summary(nightly, landing="s3://landing/second", warehouse="s3://warehouse/second")
    assert [o["inspection_id"] for o in first["outcomes"]] == ["south-moor-2025"]

    shutil.copytree(LANDING / "east-vale-2024", landing / "east-vale-2024")
    upload(client, landing / "east-vale-2024", "landing", "second/east-vale-2024")
    second = run_summary(nightly, landing="s3://landing/second", warehouse="s3://warehouse/second")

    assert [(o["inspection_id"], o["outcome"]) for o in second["outcomes"]] == [("east-vale-2024", "published")]
    assert sorted(read_table("s3://warehouse/second", "inspections")["inspection_id"]) == [
        "east-vale-2024",
        "south-moor-2025",
    ]


def test_nightly_on_a_dask_cluster_publishes_what_the_thread_pool_publishes(reference, tmp_path):
    from distributed import LocalCluster

    from flows.pipeline import nightly, run_summary, with_task_runner

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(reference["landing"], landing)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        summary = run_summary(
            with_task_runner(nightly, cluster.scheduler_address), landing=str(landing), warehouse=str(warehouse)
        )
        ran_on_dask = sum(len(w.data) + w.state.executed_count for w in cluster.workers.values())

    assert ran_on_dask > 0
    assert sorted((o["inspection_id"], o["outcome"]) for o in summary["outcomes"]) == sorted(
        [(s, "published") for s in SAMPLES] + [(BROKEN, "rejected")]
    )
    assert_consistent(warehouse)
    tables = all_tables(warehouse)
    for table in DATA_TABLES:
        assert_frame_equal(tables[table], reference["tables"][table])
    assert sorted(tables["inspections"]["inspection_id"]) == SAMPLES
