"""Run settings: command-line values, then environment variables, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_LANDING = str(PROJECT / "data" / "landing")
DEFAULT_WAREHOUSE = str(PROJECT / "warehouse")
DEFAULT_FRAMEWORKS = str(PROJECT / "data" / "frameworks")
DEFAULT_PUBLICATION = str(PROJECT / "data" / "publication.toml")


def prefect_defaults() -> None:
    """Keep Prefect offline, quiet and inside the project's working folder unless told otherwise."""
    os.environ.setdefault("PREFECT_HOME", str(PROJECT / ".prefect"))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)


@dataclass(frozen=True)
class Settings:
    """Where to read, where to write, and the publication settings."""

    landing: str
    warehouse: str
    frameworks_dir: str
    publication: dict

    @property
    def suppression_threshold(self) -> int:
        return int(self.publication.get("suppression", {}).get("threshold", 5))


def settings(landing: str | None = None, warehouse: str | None = None, frameworks_dir: str | None = None,
             suppression_threshold: int | None = None) -> Settings:
    """Resolve settings from arguments, ANNEXE_* environment variables and defaults."""
    publication_path = os.environ.get("ANNEXE_PUBLICATION", DEFAULT_PUBLICATION)
    publication = tomllib.loads(Path(publication_path).read_text(encoding="utf-8"))
    if suppression_threshold is not None:
        publication.setdefault("suppression", {})["threshold"] = suppression_threshold
    return Settings(
        landing=landing or os.environ.get("ANNEXE_LANDING", DEFAULT_LANDING),
        warehouse=warehouse or os.environ.get("ANNEXE_WAREHOUSE", DEFAULT_WAREHOUSE),
        frameworks_dir=frameworks_dir or os.environ.get("ANNEXE_FRAMEWORKS", DEFAULT_FRAMEWORKS),
        publication=publication,
    )
