"""Framework files are data, and a broken one is refused with a clear message."""

from __future__ import annotations

import pytest

from transforms.framework import FrameworkError, cached_loader, framework_path, load_framework, parse_framework

TEXT = framework_path("probation-pdu-2023").read_text()


def test_bundled_framework_loads_with_published_structure():
    framework = load_framework("probation-pdu-2023")
    assert framework.standards["standard_id"].to_list() == ["P1.1", "P1.2", "P1.3", "P2.1", "P2.2", "P2.3", "P2.4"]
    assert framework.judged_standard_ids == ["P1.1", "P1.2", "P1.3"]
    assert len(framework.question_ids) == 12
    assert framework.question_ids[2] == "P2.1.3"
    assert framework.key_questions.row(2, named=True)["question_text"] == (
        "Does assessment focus sufficiently on keeping other people safe?"
    )
    assert framework.max_score == 21
    assert framework.banding_basis == "published"


def _edited(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min = 65\nmax = 79", "min = 64\nmax = 79", "overlap"),
        ("min = 65\nmax = 79", "min = 66\nmax = 79", "gap"),
        ('id = "P2.1.2"', 'id = "P2.1.1"', "'P2.1.1' is used more than once"),
        ('rating = "Good"\nmin = 11', 'rating = "Good"\nmin = 12', "overall_bands: gap"),
        ('rating = "Inadequate"\nmin = 0\nmax = 49', 'rating = "Poor"\nmin = 0\nmax = 49', "unknown rating 'Poor'"),
        ('basis = "published"', 'basis = "nearest"', "banding.basis 'nearest'"),
    ],
)
def test_broken_framework_is_rejected_naming_the_problem(old, new, message):
    with pytest.raises(FrameworkError, match=message.replace("(", r"\(")):
        parse_framework(_edited(old, new), source="edited.toml")


def test_case_sample_standard_without_questions_is_rejected():
    text = TEXT + '\n[[standards]]\nid = "P2.5"\nname = "Extra"\nrated_by = "case_sample"\n'
    with pytest.raises(FrameworkError, match="P2.5 is rated from the case sample but has no key questions"):
        parse_framework(text)


def test_unknown_framework_lists_the_known_ones():
    with pytest.raises(FrameworkError, match=r"unknown framework 'youth-2030' \(known: probation-pdu-2023\)"):
        load_framework("youth-2030")


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            'version = "1.0.0"',
            'version = "1.0.0"\nmystery_setting = 1',
            "unknown key 'mystery_setting' in the top level",
        ),
        (
            'denominator = "yes_plus_no"',
            'denominator = "all_cases"',
            "percentages.denominator 'all_cases' is not supported",
        ),
        (
            'driver = "lowest_key_question"',
            'driver = "mean_of_key_questions"',
            "banding.driver 'mean_of_key_questions' is not supported",
        ),
        ('rounding = "half_up"', 'rounding = "half_up"\ndecimals = 1', "unknown key 'decimals' in [percentages]"),
        ('name = "Leadership"', 'name = "Leadership"\ncolour = "blue"', "unknown key 'colour' in [[standards]] P1.1"),
        ('  id = "P2.1.1"', '  id = "P2.1.1"\n  weight = 2', "unknown key 'weight' in key question P2.1.1"),
        ('{ id = "P2.1.1.a", text', '{ id = "P2.1.1.a", weight = 2, text', "unknown key 'weight' in prompt P2.1.1.a"),
        ('basis_source = "assumed"', 'basis_source = "folklore"', "basis_source 'folklore' is not one of"),
    ],
)
def test_a_key_the_code_does_not_read_is_refused_by_name(old, new, named):
    with pytest.raises(FrameworkError, match="x.toml") as error:
        parse_framework(_edited(old, new), source="x.toml")
    assert named in str(error.value)


def test_settings_are_read_from_the_file():
    framework = load_framework("probation-pdu-2023")
    assert (framework.rounding, framework.denominator, framework.driver) == (
        "half_up",
        "yes_plus_no",
        "lowest_key_question",
    )


def test_cached_loader_reads_each_framework_once_per_folder(tmp_path):
    (tmp_path / "probation-pdu-2023.toml").write_text(TEXT)
    load = cached_loader(str(tmp_path))
    first = load("probation-pdu-2023")
    (tmp_path / "probation-pdu-2023.toml").write_text("not toml at all [")
    assert load("probation-pdu-2023") is first
    with pytest.raises(FrameworkError, match="unknown framework 'nope'"):
        load("nope")
