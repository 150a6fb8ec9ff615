"""Fixtures of the end-to-end tests of flows/: one published warehouse per session, read only."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def published(prefect_api, tmp_path_factory) -> dict:
    """The five samples and one rejected extract, published by a nightly run (tests change only copies)."""
    from tests.flows.test_operations import publish_samples

    return publish_samples(tmp_path_factory)
