"""Serve the deployments in prefect.yaml from one long-running process (single-box install)."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows import prefect_runtime

DEFINITIONS = Path(__file__).resolve().parent / "prefect.yaml"


def deployment_definitions(path: Path = DEFINITIONS) -> list[dict]:
    """The deployments declared in prefect.yaml."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"]


def serve_all(path: Path = DEFINITIONS) -> None:
    """Serve every deployment in prefect.yaml, with its schedule and parameters, until stopped."""
    prefect_runtime.prepare()  # before anything imports prefect
    from prefect import serve
    from prefect.schedules import Cron

    from flows import pipeline

    runnables = []
    for definition in deployment_definitions(path):
        flow = getattr(pipeline, definition["entrypoint"].rsplit(":", 1)[1])
        schedules = [Cron(s["cron"], timezone=s.get("timezone")) for s in definition.get("schedules") or []]
        runnables.append(
            flow.to_deployment(
                name=definition["name"],
                description=definition.get("description"),
                tags=definition.get("tags"),
                parameters={k: v for k, v in (definition.get("parameters") or {}).items() if v is not None},
                schedules=schedules or None,
            )
        )
    serve(*runnables)
