"""The `annexe` command: what each command prints and its exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flows.cli import app


def test_open_prints_where_the_annexe_files_are(broken_run):
    result = CliRunner().invoke(
        app, ["open", "dyfed-powys-2025", "--warehouse", str(broken_run["warehouse"])], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0
    printed = result.output.split()
    assert str(broken_run["warehouse"] / "annexe/files/dyfed-powys-2025/data-annexe.xlsx") in printed
    assert str(broken_run["warehouse"] / "annexe/files/dyfed-powys-2025/data-annexe.html") in printed
    missing = CliRunner().invoke(app, ["open", "broken-bad-answer", "--warehouse", str(broken_run["warehouse"])])
    assert missing.exit_code == 1


def test_status_shows_what_is_published_and_what_is_quarantined_and_why(broken_run):
    result = CliRunner().invoke(app, ["status", "--warehouse", str(broken_run["warehouse"])], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    output = " ".join(result.output.split())
    assert "dyfed-powys-2025" in output and "4/21" in output and "Requires improvement" in output
    assert "broken-bad-answer: not published" in output
    assert "'Maybe' is not allowed in P2.1.1" in output
    as_json = json.loads(
        CliRunner()
        .invoke(app, ["status", "--json", "--warehouse", str(broken_run["warehouse"])], env={"COLUMNS": "300"})
        .output
    )
    dyfed = next(i for i in as_json["inspections"] if i["inspection_id"] == "dyfed-powys-2025")
    assert (dyfed["pdu"], dyfed["fieldwork_start"], dyfed["score"], dyfed["overall_rating"], dyfed["state"]) == (
        "Dyfed Powys",
        "2025-08-11",
        4,
        "Requires improvement",
        "current",
    )
    assert dyfed["run_id"] and dyfed["first_published"]
    assert {"broken-bad-answer", "broken-empty-file"} <= {q["inspection_id"] for q in as_json["quarantine"]}


def test_every_command_has_help():
    for command in ("run", "backfill", "validate", "status", "open", "verify", "serve", "synth"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        assert "Usage" in result.output


def test_synth_writes_a_landing_zone_that_validates(tmp_path):
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "landing"), "--inspections", "2", "--cases", "12"])
    assert result.exit_code == 0, result.output
    folders = sorted(p for p in (tmp_path / "landing").iterdir())
    assert len(folders) == 2
    checked = CliRunner().invoke(app, ["validate", str(folders[0])], env={"COLUMNS": "200"})
    assert checked.exit_code == 0 and "valid (12 cases" in checked.output


def _usage(arguments: list[str]) -> str:
    """The command's one-line complaint, after checking it exited 2 having done nothing."""
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 2, (arguments, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_wrong_uses_exit_2_with_one_line_and_do_nothing(tmp_path, landing):
    warehouse = str(tmp_path / "warehouse")
    assert "no landing zone at /no/such/dir" in _usage(["run", "--landing", "/no/such/dir", "--warehouse", warehouse])
    assert "--batch-size must be at least 1" in _usage(
        ["run", "--landing", str(landing), "--warehouse", warehouse, "--batch-size", "0"]
    )
    assert "--workers must be at least 1" in _usage(
        ["run", "--landing", str(landing), "--warehouse", warehouse, "--workers", "0"]
    )
    assert "cannot create the warehouse" in _usage(
        ["run", "--landing", str(landing), "--warehouse", str(tmp_path / "no" / "such" / "warehouse")]
    )
    assert "say which inspections" in _usage(["backfill", "--landing", str(landing), "--warehouse", warehouse])
    assert "not in the landing zone" in _usage(
        ["backfill", "no-such-id", "--landing", str(landing), "--warehouse", warehouse]
    )
    assert "unknown framework 'no-such-fw'" in _usage(
        ["backfill", "--all", "--framework", "no-such-fw", "--landing", str(landing), "--warehouse", warehouse]
    )
    assert "is after --fieldwork-to" in _usage(
        [
            "backfill",
            "--fieldwork-from",
            "2025-12-01",
            "--fieldwork-to",
            "2025-01-01",
            "--landing",
            str(landing),
            "--warehouse",
            warehouse,
        ]
    )
    assert "no warehouse at" in _usage(["status", "--warehouse", warehouse])
    assert "no warehouse at" in _usage(["open", "dyfed-powys-2025", "--warehouse", warehouse])
    assert "is not a folder" in _usage(["validate", str(tmp_path / "nothing-here")])
    assert not (tmp_path / "warehouse").exists()


def test_dry_run_lists_what_would_be_processed_and_why_and_writes_nothing(tmp_path, landing):
    warehouse = tmp_path / "warehouse"
    result = CliRunner().invoke(app, ["run", "--landing", str(landing), "--warehouse", str(warehouse), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would process dyfed-powys-2025: new" in result.output
    assert "5 to process, 0 unchanged" in result.output and "nothing was written" in result.output
    assert not warehouse.exists()
    as_json = json.loads(
        CliRunner()
        .invoke(
            app,
            [
                "backfill",
                "--all",
                "--force",
                "--dry-run",
                "--json",
                "--landing",
                str(landing),
                "--warehouse",
                str(warehouse),
            ],
        )
        .output
    )
    assert as_json["process"]["east-vale-2024"] == "new" and not warehouse.exists()


def test_validate_on_a_landing_zone_validates_every_inspection_in_it(landing):
    result = CliRunner().invoke(app, ["validate", str(landing)])
    assert result.exit_code == 0, result.output
    assert "validating its 5 inspection folder(s)" in result.output and "5 valid, 0 with problems." in result.output
    (landing / "east-vale-2024" / "inspection.toml").unlink()
    result = CliRunner().invoke(app, ["validate", str(landing)])
    assert result.exit_code == 1 and "4 valid, 1 with problems." in result.output


def test_an_unchanged_run_starts_no_prefect_api_and_is_ledgered(broken_run, tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import polars as pl

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(broken_run["landing"], landing, symlinks=True)  # links that point outside stay links
    shutil.copytree(broken_run["warehouse"], warehouse)
    # Nothing answers on this address: a run that tried to use Prefect would fail with exit 3.
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    command = [
        str(Path(sys.executable).with_name("annexe")),
        "run",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr  # 1: rejected extracts are still in quarantine
    assert "Nothing to process" in result.stdout and "no Prefect API started" in result.stdout
    assert "Still in quarantine, extract unchanged: broken-" in result.stdout
    runs = pl.read_parquet(warehouse / "ledger/runs/*/part-0.parquet", hive_partitioning=True)
    assert runs.filter(pl.col("outcome") == "idle").height == 1


def test_piped_output_is_plain_lines_and_hostile_text_stays_text(broken_run):
    result = CliRunner().invoke(app, ["status", "--warehouse", str(broken_run["warehouse"])], env={"COLUMNS": "40"})
    line = next(x for x in result.output.splitlines() if "'Maybe' is not allowed in P2.1.1" in x)
    assert "file: broken-bad-answer/cases.csv" in line and "row: 4" in line  # one unwrapped line per problem
    assert "\x1b[" not in result.output and "│" not in result.output  # no colours or boxes when piped
