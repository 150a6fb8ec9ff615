"""Reading reports: text as it is, HTML as lines of text, Word and PDF refused with advice."""

from __future__ import annotations

import pytest

from flows.factcheck.reader import FactcheckUsageError, html_to_text, read_report


def test_html_blocks_become_lines_and_scripts_are_dropped():
    html = "<html><head><style>p{}</style></head><body><h2>Ratings</h2><p>Score 4/21</p>"
    html += "<table><tr><td>Does x?</td><td>82%</td></tr></table><script>var a = 1;</script></body></html>"
    text = html_to_text(html)
    assert text.splitlines() == ["Ratings", "", "Score 4/21", "", "Does x?82%"]


def test_a_text_file_is_read_as_it_is(tmp_path):
    report = tmp_path / "report.txt"
    report.write_text("line one\r\nline two\n", encoding="utf-8")
    assert read_report(report) == "line one\nline two\n"


def test_an_html_file_is_read_as_text(tmp_path):
    report = tmp_path / "report.html"
    report.write_text("<p>Ten of the 12 cases</p>", encoding="utf-8")
    assert read_report(report).strip() == "Ten of the 12 cases"


@pytest.mark.parametrize("name", ["report.docx", "report.pdf"])
def test_word_and_pdf_are_usage_errors(tmp_path, name):
    (tmp_path / name).write_bytes(b"PK")
    with pytest.raises(FactcheckUsageError, match="save the report as text or HTML"):
        read_report(tmp_path / name)


def test_a_missing_or_binary_file_is_a_usage_error(tmp_path):
    with pytest.raises(FactcheckUsageError, match="no such file"):
        read_report(tmp_path / "absent.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(FactcheckUsageError, match="UTF-8"):
        read_report(tmp_path / "binary.txt")
