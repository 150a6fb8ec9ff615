"""Fixtures shared by the renderer tests: the publication settings and the Dyfed Powys tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flows.config import DEFAULT_PUBLICATION
from tests.sample_tables import sample_tables


@pytest.fixture(scope="module")
def publication() -> dict:
    return tomllib.loads(Path(DEFAULT_PUBLICATION).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dyfed():
    return sample_tables("dyfed-powys-2025")
