"""What the HTML tests read from a page without a browser: its elements, texts, links and tables."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class Outline(HTMLParser):
    """What the checks need from a page: elements in order, with their attributes, and the text in each."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str]] = []  # (innermost open element, text)
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in {"meta", "link", "br", "img", "input", "hr"}:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data):
        self.texts.append((self.open[-1] if self.open else "", data))


def outline(page: str) -> list[tuple[str, dict]]:
    parser = Outline()
    parser.feed(page)
    return parser.elements


def texts(page: str) -> list[tuple[str, str]]:
    parser = Outline()
    parser.feed(page)
    return parser.texts


def assert_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert_no_external_references(page)


def assert_no_external_references(page: str) -> None:
    """Nothing in the page loads or runs anything: no scripts, no addresses elsewhere but mailto links."""
    assert not re.search(r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower()
    assert "@import" not in page and "url(" not in page
    for _, attrs in outline(page):
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", value) or value.startswith("mailto:"), value


def assert_accessible_tables(page: str) -> int:
    elements = outline(page)
    tables = 0
    for n, (tag, attrs) in enumerate(elements):
        if tag == "table":
            tables += 1
            assert elements[n + 1][0] == "caption", f"table {attrs.get('id', n)} needs a caption first"
        if tag == "th":
            assert attrs.get("scope") in {"col", "row", "colgroup", "rowgroup"}, f"th without scope: {attrs}"
    return tables
