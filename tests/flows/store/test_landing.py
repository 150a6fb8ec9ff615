"""The landing zone: inspection folders found, read without writing, and fingerprinted by their inputs."""

from __future__ import annotations

import os
import shutil
import signal
import threading

from flows.config import DEFAULT_FRAMEWORKS
from flows.store import cases_reader
from flows.store.landing import STAND_IN, discover, discover_report, inspection_fingerprint, read_extract, stand_in
from schemas.contract import INSPECTION_ID, MAX_ID_LENGTH
from tests.conftest import LANDING, SAMPLES, tree_hashes


def test_discover_lists_inspection_folders_only(tmp_path):
    shutil.copytree(LANDING, tmp_path / "landing")
    (tmp_path / "landing" / "README.txt").write_text("not an inspection")
    (tmp_path / "landing" / ".hidden-2025").mkdir()
    assert discover(str(tmp_path / "landing")) == SAMPLES


def test_each_cases_format_reads_as_text_with_its_header_rows():
    for inspection_id, name, header_rows in (
        ("dyfed-powys-2025", "cases.csv", 1),
        ("north-shire-2025", "cases.xlsx", 1),
        ("east-vale-2024", "cases.parquet", 0),
    ):
        extract = read_extract(str(LANDING), inspection_id, DEFAULT_FRAMEWORKS)
        assert extract.problems == []
        assert extract.cases_file == f"{inspection_id}/{name}"
        assert extract.header_rows == header_rows
        assert set(extract.cases.dtypes) == {__import__("polars").String}
        assert extract.manifest["inspection_id"] == inspection_id


def test_fingerprint_follows_every_input_and_not_the_folder_times(landing):
    before, _ = inspection_fingerprint(str(landing), "dyfed-powys-2025", DEFAULT_FRAMEWORKS)
    assert read_extract(str(landing), "dyfed-powys-2025", DEFAULT_FRAMEWORKS).fingerprint == before
    (landing / "dyfed-powys-2025" / "cases.csv").touch()
    assert inspection_fingerprint(str(landing), "dyfed-powys-2025", DEFAULT_FRAMEWORKS)[0] == before
    manifest = landing / "dyfed-powys-2025" / "inspection.toml"
    manifest.write_text(manifest.read_text().replace('pdu = "Dyfed Powys"', 'pdu = "Dyfed-Powys"'))
    assert inspection_fingerprint(str(landing), "dyfed-powys-2025", DEFAULT_FRAMEWORKS)[0] != before


def test_reading_never_writes_to_the_landing_zone(landing):
    before = tree_hashes(landing)
    for inspection_id in SAMPLES:
        read_extract(str(landing), inspection_id, DEFAULT_FRAMEWORKS)
    assert tree_hashes(landing) == before


def test_folders_not_read_are_reported_and_invalid_names_get_a_safe_stand_in(landing):
    (landing / ".hidden-2025").mkdir()
    (landing / "_drafts").mkdir()
    (landing / "linked-2025").symlink_to(landing / "dyfed-powys-2025", target_is_directory=True)
    long_valid_pattern = "a" * 245  # matches the id pattern but is too long to be a warehouse path component
    for name in (long_valid_pattern, "x" * 255, "Bad Name!", "a--b"):
        (landing / name).mkdir()
    found = discover_report(str(landing))
    assert {a["folder"] for a in found.set_aside} == {".hidden-2025", "_drafts", "linked-2025"}
    assert all("not read" in a["reason"] for a in found.set_aside)
    stand_ins = sorted(set(found.inspection_ids) - set(SAMPLES))
    assert len(stand_ins) == 4 and all(i.startswith(STAND_IN) and len(i) <= MAX_ID_LENGTH for i in stand_ins)
    assert all(INSPECTION_ID.match(i) is None for i in stand_ins)  # "--": no folder can be named like a stand-in
    assert discover(str(landing)) == found.inspection_ids


def test_a_folder_with_an_invalid_name_is_reported_without_reading_it(landing):
    name = "x" * 255
    shutil.copytree(landing / "dyfed-powys-2025", landing / name)
    extract = read_extract(str(landing), stand_in(name), DEFAULT_FRAMEWORKS)
    assert extract.manifest is None and extract.cases is None
    [found] = extract.problems
    assert (found["inspection_id"], found["check"]) == (stand_in(name), "folder_name")
    assert len(found["file"]) < 100 and "is not a valid inspection id" in found["message"]
    assert inspection_fingerprint(str(landing), stand_in(name), DEFAULT_FRAMEWORKS)[0] == extract.fingerprint


def test_a_symbolic_link_inside_the_landing_zone_is_followed(landing):
    folder = landing / "dyfed-powys-2025"
    (landing / "shared.csv").write_bytes((folder / "cases.csv").read_bytes())
    (folder / "cases.csv").unlink()
    (folder / "cases.csv").symlink_to(landing / "shared.csv")
    extract = read_extract(str(landing), "dyfed-powys-2025", DEFAULT_FRAMEWORKS)
    assert extract.problems == [] and extract.cases.height == 45


def test_a_named_pipe_is_refused_without_waiting_on_it(landing):
    folder = landing / "dyfed-powys-2025"
    (folder / "cases.csv").unlink()
    os.mkfifo(folder / "cases.csv")
    extract = read_extract(str(landing), "dyfed-powys-2025", DEFAULT_FRAMEWORKS)
    assert [(p["check"], p["file"]) for p in extract.problems] == [("regular_file", "dyfed-powys-2025/cases.csv")]


def test_a_stopped_reader_has_ended_and_the_next_read_starts_another():
    data = (LANDING / "dyfed-powys-2025" / "cases.csv").read_bytes()
    assert cases_reader.read_cases(data, "cases.csv").frame.height == 45
    first = cases_reader._child.process

    cases_reader.stop()

    assert first.returncode is not None and cases_reader._child is None  # ended and waited for: no zombie
    assert cases_reader.read_cases(data, "cases.csv").frame.height == 45
    assert cases_reader._child.process.pid != first.pid and cases_reader._child.process.poll() is None
    cases_reader.stop()
    cases_reader.stop()  # stopping twice, or with no reader, is harmless
    assert cases_reader._child is None


def test_a_reader_that_dies_on_a_file_loses_only_that_file():
    data = (LANDING / "dyfed-powys-2025" / "cases.csv").read_bytes()
    assert cases_reader.read_cases(data, "cases.csv").frame.height == 45  # the child is running
    pid = cases_reader._child.process.pid
    os.kill(pid, signal.SIGSTOP)  # it cannot answer: the kill below stands for a native crash mid-file
    threading.Timer(0.2, os.kill, (pid, signal.SIGKILL)).start()
    stopped = cases_reader.read_cases(data, "cases.csv")
    assert stopped.frame is None
    assert [p["check"] for p in stopped.problems] == ["readable"]
    assert "the reader stopped on it (SIGKILL)" in stopped.problems[0]["message"]
    assert cases_reader.read_cases(data, "cases.csv").frame.height == 45  # a new child reads the next file
