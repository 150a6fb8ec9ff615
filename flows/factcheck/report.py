"""Showing findings: a plain-text table for the terminal, JSON for machines, and the report as annotated HTML."""

from __future__ import annotations

import json
from collections import Counter
from html import escape

STATUSES = ("match", "mismatch", "unmatched")
EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2
COLUMNS = (("line", 5), ("status", 9), ("measure", 14), ("claimed", 22), ("published", 22), ("text", 0))
TEXT_WIDTH = 70


def exit_code(findings: list[dict]) -> int:
    """0 when no claim contradicts the published figures, 1 when one does (2 is a usage error, raised earlier)."""
    return EXIT_MISMATCH if any(f["status"] == "mismatch" for f in findings) else EXIT_OK


def summary(findings: list[dict]) -> str:
    """Counts by status in words, e.g. "30 match, 0 mismatch, 41 unmatched"."""
    counts = Counter(f["status"] for f in findings)
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def _cell(value, width: int) -> str:
    text = "-" if value is None else " ".join(str(value).split())
    if width == 0:
        return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 3] + "..."
    return (text if len(text) <= width else text[: width - 3] + "...").ljust(width)


def findings_table_lines(findings: list[dict]) -> list[str]:
    """One line a finding under a header, then the counts by status (plain text, no colour)."""
    lines = ["  ".join(_cell(name, width) for name, width in COLUMNS).rstrip()]
    for f in findings:
        lines.append("  ".join(_cell(f.get(name), width) for name, width in COLUMNS).rstrip())
    lines.append(summary(findings))
    return lines


def findings_json(findings: list[dict]) -> str:
    """The findings as a JSON array (UTF-8 text, one object a finding)."""
    return json.dumps(findings, indent=2, ensure_ascii=False) + "\n"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
pre { white-space: pre-wrap; font-family: inherit; }
mark { padding: 0 .1em; }
mark.match { background: #d4edda; }
mark.mismatch { background: #f8d7da; outline: 2px solid #842029; }
mark.unmatched { background: #e2e3e5; }
.tag { font-size: .8em; font-weight: bold; }
table { border-collapse: collapse; } th, td { border: 1px solid #555; padding: .2rem .4rem; text-align: left; }
"""


def _tag(finding: dict) -> str:
    """The status in words after a highlighted claim, so that colour is never the only signal."""
    published = f"; published {finding['published']}" if finding.get("published") else ""
    measure = f" {finding['measure']}" if finding.get("measure") else ""
    return f'<span class="tag">[{finding["status"]}{escape(measure)}{escape(published)}]</span>'


def _annotated_line(line: str, findings: list[dict]) -> str:
    """One line of the report with its claims marked."""
    out, at = [], 0
    for f in sorted(findings, key=lambda f: f["column"]):
        start = f["column"] - 1
        end = min(len(line), start + len(f["text"]))
        if start < at:  # overlapping claims: the first one is marked, the other still listed in the table
            continue
        out += [escape(line[at:start]), f'<mark class="{f["status"]}">{escape(line[start:end])}</mark>', _tag(f)]
        at = end
    out.append(escape(line[at:]))
    return "".join(out)


def findings_html(text: str, findings: list[dict]) -> str:
    """A standalone HTML page: the counts, a table of findings, and the report with each claim marked."""
    by_line: dict[int, list[dict]] = {}
    for f in findings:
        by_line.setdefault(f["line"], []).append(f)
    body = "\n".join(_annotated_line(line, by_line.get(n, [])) for n, line in enumerate(text.split("\n"), start=1))
    head = "".join(
        f'<th scope="col">{name}</th>' for name in ("Line", "Status", "Measure", "Claimed", "Published", "Claim")
    )
    rows = "\n".join(
        "<tr>" + "".join(
            f"<td>{escape(str(f.get(k) if f.get(k) is not None else '-'))}</td>"
            for k in ("line", "status", "measure", "claimed", "published", "text")
        ) + "</tr>"
        for f in findings
    )  # fmt: skip
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Fact-check of the report</title><style>{STYLE}</style></head>
<body>
<main>
<h1>Fact-check of the report</h1>
<p>{escape(summary(findings))}. A <strong>mismatch</strong> contradicts the published figures;
<strong>unmatched</strong> claims could not be tied to a published figure and were not checked.</p>
<h2>Findings</h2>
<table>
<caption>Every claim found, in reading order</caption>
<thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
<h2>The report</h2>
<pre>{body}</pre>
</main>
</body>
</html>
"""
