"""Fixtures shared by the renderer tests: the publication settings, the Dyfed Powys tables and a headless browser."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flows.config import DEFAULT_PUBLICATION
from tests.flows.render.variants import RELEASE
from tests.sample_tables import sample_tables

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def publication() -> dict:
    return tomllib.loads(Path(DEFAULT_PUBLICATION).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def released(publication) -> dict:
    """The publication settings with this inspection's release facts, as the lead's code supplies them."""
    return publication | {"release": RELEASE}


@pytest.fixture(scope="module")
def dyfed():
    return sample_tables("dyfed-powys-2025")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("needs Chromium: apt-get install -y chromium chromium-driver (gives /usr/bin/chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
