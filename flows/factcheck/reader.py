"""Reading a report as plain text: text files as they are, HTML with its tags dropped and its blocks as lines."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

# Word and PDF need libraries this project does not install (checked with `uv pip list`): refused with advice.
UNREADABLE = {".docx": "Word", ".doc": "Word", ".pdf": "PDF", ".odt": "OpenDocument"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MAX_BYTES = 16 * 1024 * 1024
BLOCKS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "table", "ul", "ol", "header", "footer", "blockquote", "dd", "dt",
}  # fmt: skip
SKIPPED = {"script", "style", "head", "template", "noscript"}


class FactcheckUsageError(ValueError):
    """The fact-check cannot start: an unreadable report or an inspection the warehouse has not published."""


class _Text(HTMLParser):
    """Collects an HTML page's text: a block element starts a new line, table cells run together as in print."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(" ".join(data.split("\n")) if data.strip() else data.replace("\n", ""))


def html_to_text(html: str) -> str:
    """The text of an HTML page, one block a line, with no run of blank lines longer than one."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


def read_report(path: str | Path) -> str:
    """A report's text; FactcheckUsageError when it is missing, too large, or in a format not read."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix in UNREADABLE:
        raise FactcheckUsageError(
            f"{file}: {UNREADABLE[suffix]} files are not read (no library for them is installed); "
            "save the report as text or HTML and check that"
        )
    if not file.is_file():
        raise FactcheckUsageError(f"{file}: no such file")
    if file.stat().st_size > MAX_BYTES:
        raise FactcheckUsageError(f"{file}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not a report")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise FactcheckUsageError(f"{file}: cannot be read as UTF-8 text ({error})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix in HTML_SUFFIXES or text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        return html_to_text(text)
    return text
