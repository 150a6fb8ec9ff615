"""Run settings: command-line values, then environment variables, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_LANDING = str(PROJECT / "data" / "landing")
DEFAULT_WAREHOUSE = str(PROJECT / "warehouse")
DEFAULT_FRAMEWORKS = str(PROJECT / "data" / "frameworks")
DEFAULT_PUBLICATION = str(PROJECT / "data" / "publication.toml")
# Part of every inspection's fingerprint: a new version of the pipeline reprocesses what it publishes.
PIPELINE_VERSION = version("annexe")


def prefect_defaults() -> None:
    """Prefect's environment defaults; moved to flows.prefect_runtime.configure(), this wrapper is to go."""
    from flows import prefect_runtime

    prefect_runtime.configure()


@dataclass(frozen=True)
class Settings:
    """Where to read, where to write, and the publication settings."""

    landing: str
    warehouse: str
    frameworks_dir: str
    publication: dict

    @property
    def suppression_threshold(self) -> int:
        """Fewest relevant cases a published breakdown cell may have (data/publication.toml)."""
        return int(self.publication["suppression"]["threshold"])

    @property
    def minimum_cases(self) -> int:
        """Fewest cases an inspection's sample must have to be published (data/publication.toml)."""
        return int(self.publication["sample"]["minimum_cases"])


def settings(
    landing: str | None = None,
    warehouse: str | None = None,
    frameworks_dir: str | None = None,
    suppression_threshold: int | None = None,
) -> Settings:
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
