"""The deployments in deployments/prefect.yaml: what they schedule and run, checked without a Prefect server."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import prefect
import pytest
import yaml
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import SignatureMismatchError
from prefect.flows import load_flow_from_entrypoint
from prefect.server.schemas.schedules import CronSchedule  # the schedule the server computes dates with

from deployments.serve import DEFINITIONS, deployment_definitions, serve_all
from flows import pipeline
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def definitions() -> dict[str, dict]:
    return {d["name"]: d for d in deployment_definitions()}


def test_project_file_names_both_deployments_for_this_prefect(definitions):
    project = yaml.safe_load(DEFINITIONS.read_text(encoding="utf-8"))
    assert project["prefect-version"] == prefect.__version__
    assert list(definitions) == ["annexe-nightly", "annexe-backfill"]
    for definition in definitions.values():
        assert definition["work_pool"]["name"] == "annexe-process"
        assert definition["description"]


def test_nightly_runs_at_two_in_the_morning_uk_time(definitions):
    nightly = definitions["annexe-nightly"]
    assert nightly["entrypoint"] == "flows/pipeline.py:nightly"
    assert nightly["schedules"] == [{"cron": "0 2 * * *", "timezone": "Europe/London", "active": True}]
    assert nightly["parameters"] == {"trigger": "schedule"}
    schedule = CronSchedule(cron=nightly["schedules"][0]["cron"], timezone=nightly["schedules"][0]["timezone"])
    london = zoneinfo.ZoneInfo("Europe/London")
    # 02:00 on the clocks in London in winter (GMT) and in summer (BST), i.e. 02:00 and 01:00 UTC
    for day, utc_hour in ((dt.date(2026, 1, 15), 2), (dt.date(2026, 7, 15), 1)):
        start = dt.datetime.combine(day, dt.time(12), tzinfo=london)
        (first,) = list(schedule._get_dates_generator(n=1, start=start))
        assert first.astimezone(london).timetuple()[3:5] == (2, 0)
        assert first.astimezone(dt.UTC).hour == utc_hour


def test_backfill_is_unscheduled_with_parameters_the_flow_accepts(definitions):
    backfill = definitions["annexe-backfill"]
    assert backfill["entrypoint"] == "flows/pipeline.py:backfill"
    assert not backfill["schedules"]
    assert backfill["parameters"] == {"inspection_ids": None, "force": False, "framework": None}


@pytest.mark.parametrize("name", ["annexe-nightly", "annexe-backfill"])
def test_entrypoint_loads_the_flow_and_its_parameters_fit_the_signature(definitions, name):
    definition = definitions[name]
    path, function = definition["entrypoint"].split(":")
    assert (PROJECT / path).is_file()
    flow = load_flow_from_entrypoint(f"{PROJECT / path}:{function}")
    assert flow.name == name == getattr(pipeline, function).name
    validated = flow.validate_parameters(dict(definition["parameters"]))
    for key, value in definition["parameters"].items():
        assert validated[key] == value
    with pytest.raises(SignatureMismatchError):
        flow.validate_parameters({**definition["parameters"], "no_such_parameter": 1})


def test_backfill_parameters_a_data_team_member_would_give_are_accepted():
    validated = pipeline.backfill.validate_parameters(
        {
            "inspection_ids": ["dyfed-powys-2025"],
            "force": True,
            "framework": "probation-pdu-2023",
            "fieldwork_from": "2025-01-01",
        }
    )
    assert validated["inspection_ids"] == ["dyfed-powys-2025"] and validated["force"] is True
    assert validated["fieldwork_from"] == dt.date(2025, 1, 1)


def test_serve_all_serves_both_deployments_as_declared(definitions, monkeypatch):
    served = []
    monkeypatch.setattr(prefect, "serve", lambda *runnables, **kwargs: served.extend(runnables))
    serve_all()

    assert all(isinstance(d, RunnerDeployment) for d in served)
    by_name = {d.name: d for d in served}
    assert list(by_name) == ["annexe-nightly", "annexe-backfill"]
    for name, deployment in by_name.items():
        definition = definitions[name]
        assert deployment.flow_name == name
        assert deployment.entrypoint == definition["entrypoint"]
        assert sorted(deployment.tags) == sorted(definition["tags"])
        assert deployment.description == definition["description"]
        schema = deployment._parameter_openapi_schema.properties
        assert set(definition["parameters"]) <= set(schema)

    nightly, backfill = by_name["annexe-nightly"], by_name["annexe-backfill"]
    assert nightly.parameters == {"trigger": "schedule"}
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in nightly.schedules] == [
        ("0 2 * * *", "Europe/London", True)
    ]
    assert not backfill.schedules
    assert backfill.parameters == {"force": False}  # nulls left to the flow's own defaults
    assert pipeline.backfill.validate_parameters(backfill.parameters)["inspection_ids"] is None
