"""`annexe status` and `annexe open` answered from the manifest alone, without the table readers or typer."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl

from flows.cli.quick import dispatch
from flows.store.warehouse import read_table

HEAVY = ("polars", "pyarrow", "typer", "pandera", "pandas", "prefect", "great_expectations", "fsspec", "rich")


def _run_alone(args: list[str]) -> dict:
    """Run the `annexe` entry point in a fresh interpreter; return its output, exit code and the heavy imports."""
    probe = (
        "import json, sys\n"
        "from flows.cli import main\n"
        f"sys.argv = ['annexe', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        f"print(json.dumps({{'code': code, 'heavy': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *printed, verdict = done.stdout.strip().splitlines()
    return {**json.loads(verdict), "printed": printed, "stderr": done.stderr}


def test_status_and_open_answer_without_importing_any_heavy_library(broken_run):
    warehouse = str(broken_run["warehouse"])
    opened = _run_alone(["open", "dyfed-powys-2025", "--warehouse", warehouse])
    assert opened["code"] == 0 and opened["heavy"] == []
    assert opened["printed"] == [
        f"{warehouse}/annexe/files/dyfed-powys-2025/data-annexe.html",
        f"{warehouse}/annexe/files/dyfed-powys-2025/data-annexe.xlsx",
    ]
    # The quarantine holds rows here, so only pyarrow is read for them; a clean warehouse needs nothing.
    status = _run_alone(["status", "--json", f"--warehouse={warehouse}"])
    assert status["code"] == 0 and status["heavy"] == ["pyarrow"]


def test_status_from_the_manifest_equals_the_published_inspections_table(broken_run, capsys):
    assert dispatch(["status", "--json", "--warehouse", str(broken_run["warehouse"])]) == 0
    shown = json.loads(capsys.readouterr().out)
    columns = ["inspection_id", "pdu", "region", "fieldwork_start", "score", "max_score", "overall_rating"]
    from_manifest = pl.DataFrame([{k: i[k] for k in columns} for i in shown["inspections"]]).sort("inspection_id")
    table = read_table(str(broken_run["warehouse"]), "inspections").select(columns).sort("inspection_id")
    assert from_manifest.to_dicts() == table.with_columns(pl.col("fieldwork_start").cast(pl.String)).to_dicts()
    quarantine = read_table(str(broken_run["warehouse"]), "quarantine")
    assert len(shown["quarantine"]) == quarantine.height > 0
    assert sorted((q["inspection_id"], q["message"]) for q in shown["quarantine"]) == sorted(
        quarantine.select("inspection_id", "message").iter_rows()
    )


def test_a_warehouse_published_before_the_manifest_carried_scores_is_read_from_its_table(broken_run, tmp_path, capsys):
    import shutil

    old = tmp_path / "warehouse"
    shutil.copytree(broken_run["warehouse"], old)
    manifest = json.loads((old / "datapackage.json").read_text())
    for state in manifest["inspections"].values():
        for key in ("score", "max_score", "overall_rating"):
            state.pop(key, None)
    (old / "datapackage.json").write_text(json.dumps(manifest))
    assert dispatch(["status", "--json", "--warehouse", str(old)]) == 0
    shown = json.loads(capsys.readouterr().out)["inspections"]
    dyfed = next(i for i in shown if i["inspection_id"] == "dyfed-powys-2025")
    assert (dyfed["score"], dyfed["max_score"], dyfed["overall_rating"]) == (4, 21, "Requires improvement")


def test_what_the_quick_path_does_not_understand_is_left_to_the_full_command_line(tmp_path, capsys):
    for argv in (
        ["status", "--help"],
        ["open", "-h"],
        ["status", "--no-such-option"],
        ["open"],
        ["status", "--warehouse"],
        ["verify"],
        ["run"],
        [],
    ):
        assert dispatch(argv) is None, argv
    assert dispatch(["status", "--warehouse", str(tmp_path / "nowhere")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    assert dispatch(["open", "../etc", "--warehouse", str(tmp_path)]) == 1
