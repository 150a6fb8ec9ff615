"""Faster xlsx writers (Rust-backed and pure Python) against the annexe's xlsxwriter workbook: speed, and cell by cell.

Issue 13 asked to keep whichever writer gives the same workbook faster. The candidates are not project
dependencies, so they are installed beside the project, in a virtual environment of their own:

    python3 -m pip install --quiet uv==0.13.8
    uv venv -p 3.11 /tmp/xlsxeval/.venv
    uv pip install -p /tmp/xlsxeval/.venv 'xlsxwriter==3.*' polars openpyxl \\
        rustpy-xlsxwriter jetxl fastxlsx pyexcelerate
    /tmp/xlsxeval/.venv/bin/python -m benchmarks.xlsx_writers     # from the project folder

It builds a workbook of the annexe's shape (11 sheets, about 2,900 cells, one Excel table a sheet, titles above
each table, links, a date, shorthand among numbers, a text starting with "=") with flows/render/xlsx_writer.py and
with each candidate, as far as the candidate can; times each (best of 20), and compares every cell with openpyxl
(values, types, formats, fonts, tables, widths, links, document properties). Outputs go to /tmp/xlsxeval/out.
Results of 2026-12-01 are in the README.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import os
import random
import sys
import time
from pathlib import Path

import openpyxl

# The project's writer module by its path: the flows.render package would load the HTML renderer's dependencies.
_SPEC = importlib.util.spec_from_file_location(
    "annexe_xlsx_writer", Path(__file__).resolve().parent.parent / "flows" / "render" / "xlsx_writer.py"
)
ref = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = ref  # dataclasses look their module up by name
_SPEC.loader.exec_module(ref)
Cover, Link, Sheet = ref.Cover, ref.Link, ref.Sheet

OUT = "/tmp/xlsxeval/out"
os.makedirs(OUT, exist_ok=True)
REPEATS = 20
DATE_FORMAT = {"num_format": "d mmmm yyyy"}
PROPS = {
    "title": "Probation inspection data annexe",
    "author": "HM Inspectorate",
    "subject": "Probation inspection data annexe: X1",
    "keywords": "probation, inspection, ratings, data annexe",
    "comments": "Data fingerprint (sha256): abc",
    "created": dt.datetime(2026, 1, 5),
}


# ----------------------------------------------------------------------------------------------- data
def build():
    rnd = random.Random(1)
    words = "case yes no relevant standard domain quality assessment planning delivery review region".split()

    def text(n):
        return " ".join(rnd.choice(words) for _ in range(n)).capitalize()

    def count():
        return "[c]" if rnd.random() < 0.1 else rnd.randint(0, 60)

    def pct():
        return "[c]" if rnd.random() < 0.1 else round(rnd.random() * 100, 1)

    INSTR = "This worksheet contains one table. Notes referred to as [note n] in the title are on the Notes worksheet."
    sheets: dict[str, Sheet] = {}

    def add(name, tname, headers, rows, fmts=None, legend=("[c] = withheld.",)):
        sheets[name] = Sheet(
            tname,
            f"{name}: table title [note 1]",
            ["Subtitle line."],
            list(legend),
            headers,
            rows,
            INSTR,
            fmts or {},
            description=f"{name} description",
        )

    add(
        "Summary",
        "inspection_summary",
        [
            "Inspection id",
            "PDU",
            "Region",
            "Fieldwork started",
            "Cases inspected",
            "Community orders",
            "Releases on licence",
            "Score",
            "Maximum score",
            "Overall rating",
            "Framework",
        ],
        [["X1", "Northtown", "North", dt.datetime(2025, 3, 3), 60, 35, 25, 14, 24, "Requires improvement", "2024"]],
        {3: DATE_FORMAT},
        legend=(),
    )
    add(
        "Ratings",
        "ratings",
        [
            "Standard id",
            "Standard",
            "Domain",
            "Rated by",
            "Rating",
            "Points",
            "Lowest key question",
            "Lowest percentage Yes\n(%)",
            "Given the sample size",
        ],
        [
            [f"P{i}", text(3), text(2), "Case sample", "Good", rnd.randint(0, 3), f"P{i}.1", pct(), text(4)]
            for i in range(10)
        ],
    )
    for s in range(4):
        add(
            f"P{s}_Standard",
            f"key_questions_P{s}",
            [
                "Key question id",
                "Key question",
                "Yes",
                "No",
                "N/A",
                "Relevant cases",
                "Percentage Yes\n(%)",
                "95% interval, lower\n(%)",
                "95% interval, upper\n(%)",
                "Drives the rating",
            ],
            [
                [
                    f"P{s}.{q}",
                    text(8),
                    count(),
                    count(),
                    count(),
                    count(),
                    pct(),
                    pct(),
                    pct(),
                    rnd.choice(["Yes", "No"]),
                ]
                for q in range(6)
            ],
        )
    add(
        "Sample",
        "sample_characteristics",
        ["Characteristic", "Category", "Cases"],
        [[text(1), text(2), count()] for _ in range(20)],
    )
    add(
        "Breakdowns",
        "breakdowns",
        [
            "Characteristic",
            "Category",
            "Standard id",
            "Key question id",
            "Yes",
            "No",
            "N/A",
            "Relevant cases",
            "Percentage Yes\n(%)",
        ],
        [
            [text(1), text(2), f"P{r % 4}", f"P{r % 4}.{r % 6}", count(), count(), count(), count(), pct()]
            for r in range(260)
        ],
    )
    notes = Sheet(
        "notes_table",
        "Notes",
        [],
        [],
        ["Note number", "Note title", "Note text"],
        [[n, text(3), "=" + text(20) if n == 1 else text(20)] for n in range(1, 13)],  # a '=' string
        "This worksheet contains one table.",
    )
    contents = Sheet(
        "contents_table",
        "Table of contents",
        [],
        [],
        ["Sheet name", "Table description"],
        [[Link(n, f"internal:'{n}'!A1"), s.description] for n, s in sheets.items()],
        "This worksheet contains one table. Select a sheet name to go to it.",
    )
    cover = Cover(
        "Probation inspection data annexe: Northtown",
        [
            ("Introductory information", [text(15), text(10), "http://not-a-link.example"]),
            (
                "Release",
                [
                    "Published: 5 January 2026",
                    Link("Inspection report: https://example.org/r", "https://example.org/r"),
                ],
            ),
            ("About these data", [text(12) for _ in range(5)]),
            ("Contact", ["Data team", Link("Email: data@example.org", "mailto:data@example.org")]),
        ],
    )
    return cover, {"Contents": contents, "Notes": notes, **sheets}


COVER, SHEETS = build()


def layout(sheet: Sheet):
    """Shared derived layout, mirroring ref.Writer.sheet: title lines, per-column props and pixel widths."""
    lines = (
        [(sheet.title, ref.TITLE)]
        + [(s, ref.SUBTITLE) for s in sheet.subtitles if s]
        + [(t, ref.TEXT) for t in [sheet.instructions, *sheet.legend] if t]
    )
    cols = []
    for col, (header, values) in enumerate(zip(sheet.headers, zip(*sheet.rows, strict=False), strict=False)):
        align = {"align": "right" if col and ref._numeric(values) else "left"}
        extra = sheet.column_formats.get(col, {})
        texts = [v.text if isinstance(v, Link) else str(v) for v in values]
        width = min(max(ref._width(header, True), *(ref._width(t, False) for t in texts)), ref.MAX_COLUMN_PIXELS)
        cols.append((ref.COLUMN_HEADING | align | extra, ref.DATA | align | extra, width))
    return lines, cols


def px_to_chars(px):  # xlsxwriter's set_column_pixels conversion
    return px / 12 if px <= 12 else (px - 5) / 7


def cover_lines():
    out = [(COVER.title, ref.COVER_TITLE)]
    for heading, texts in COVER.sections:
        out.append((heading, ref.COVER_HEADING))
        out += [(t, ref.COVER_TEXT) for t in texts if t]
    return out


def n_cells():
    n = len(cover_lines())
    for s in SHEETS.values():
        lines, _ = layout(s)
        n += len(lines) + len(s.headers) * (1 + len(s.rows))
    return n


# ----------------------------------------------------------------------------------------------- writers
def w_xlsxwriter_full():
    return ref.workbook_bytes(COVER, SHEETS, PROPS, "en-GB")


def w_xlsxwriter_core():  # same, without the dc:language zip rewrite
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, ref.WORKBOOK_OPTIONS)
    w = ref.Writer(wb)
    w.cover(COVER)
    for name, sheet in SHEETS.items():
        w.sheet(name, sheet)
    wb.set_properties(PROPS)
    wb.close()
    return buf.getvalue()


def w_rustpy():
    """rustpy-xlsxwriter 0.8: FastExcel builder. No tables, no doc properties, no unmerged cells above the
    header (titles must be merged ranges of >= 2 cells: A:B here), one header format per sheet, links only
    from a url column with display text taken from ANOTHER column (so Contents gets an extra column)."""
    import rustpy_xlsxwriter as R

    def fmt(p):
        f = R.Format()
        if "font_name" in p:
            f.set_font_name(p["font_name"])
        if "font_size" in p:
            f.set_font_size(p["font_size"])
        if p.get("bold"):
            f.set_bold()
        if p.get("text_wrap"):
            f.set_text_wrap()
        if p.get("bottom"):
            f.set_border_bottom("thin")
        if "valign" in p:
            f.set_align(p["valign"])
        if "align" in p:
            f.set_align(p["align"])
        if "num_format" in p:
            f.set_num_format(p["num_format"])
        if p.get("underline"):
            f.set_underline("single")
        if p.get("font_color") == "blue":
            f.set_font_color("blue")
        return f

    buf = io.BytesIO()
    fx = R.FastExcel(buf).format(datetime_format="d mmmm yyyy")
    cl = cover_lines()
    cover_rows = [{COVER.title: (t.text if isinstance(t, Link) else t)} for t, _ in cl[1:]]
    fx.sheet(
        "Cover",
        cover_rows,
        header_format=fmt(ref.COVER_TITLE),
        column_widths=[ref.COVER_WIDTH],
        row_formats={i + 1: fmt(p) for i, (_, p) in enumerate(cl[1:])},
        sheet_view={"gridlines": False},
    )
    for name, sheet in SHEETS.items():
        lines, cols = layout(sheet)
        headers = list(sheet.headers)
        links = any(isinstance(v, Link) for r in sheet.rows for v in r)
        recs = []
        for r in sheet.rows:
            d = {}
            for h, v in zip(headers, r, strict=False):
                if isinstance(v, Link):
                    d[h], d["_text"] = v.url, v.text
                else:
                    d[h] = v
            recs.append(d)
        fx.sheet(
            name,
            recs,
            header_row=len(lines),
            header_format=fmt(cols[0][0]),
            merge_ranges=[(i, 0, i, 1, t, fmt(p)) for i, (t, p) in enumerate(lines)],
            column_formats=[fmt(c[1]) for c in cols] + ([fmt(ref.DATA)] if links else []),
            column_widths=[px_to_chars(c[2]) for c in cols],
            url_columns={headers[0]: "_text"} if links else None,
            sheet_view={"gridlines": False},
        )
    fx.save()
    return buf.getvalue()


def jet_style(r1, c, p):
    s = {
        "row": r1,
        "col": c,
        "font": {"name": p["font_name"], "size": float(p["font_size"]), "bold": bool(p.get("bold"))},
        "alignment": {"horizontal": p.get("align", "left"), "wrap_text": bool(p.get("text_wrap"))},
    }
    if "valign" in p:
        s["alignment"]["vertical"] = p["valign"]
    if p.get("bottom"):
        s["border"] = {"bottom": {"style": "thin"}}
    if "num_format" in p:
        s["number_format"] = "d\\ mmmm\\ yyyy"  # jetxl rejects 'd mmmm yyyy'
    return s


def w_jetxl():
    """jetxl 0.3.1 subset: Arrow columns (mixed number/[c] columns cast to str), header on row 1 (title lines
    cannot be placed: header_content is ignored by the multi-sheet writer and garbles the single-sheet one),
    table with forced autofilter + style, per-cell styles, widths, gridlines off. No cover sheet text formats
    beyond cell_styles, no doc properties, internal links unsupported (written as external) -> links omitted."""
    import jetxl
    import polars as pl

    cfgs = []
    cl = cover_lines()
    cfgs.append(
        {
            "data": pl.DataFrame({COVER.title: [t.text if isinstance(t, Link) else t for t, _ in cl[1:]]}),
            "name": "Cover",
            "gridlines_visible": False,
            "column_widths": {COVER.title: float(ref.COVER_WIDTH)},
            "cell_styles": [jet_style(i + 1, 0, p) for i, (_, p) in enumerate(cl)],
        }
    )
    for name, sheet in SHEETS.items():
        _, cols = layout(sheet)
        data = {}
        for h, vals in zip(sheet.headers, zip(*sheet.rows, strict=False), strict=False):
            vals = [v.text if isinstance(v, Link) else v for v in vals]
            kinds = {type(v) for v in vals}
            data[h] = vals if len(kinds) == 1 else [str(v) for v in vals]
        df = pl.DataFrame(data, strict=False)
        n = len(sheet.rows)
        styles = [jet_style(1, c, col[0]) for c, col in enumerate(cols)]
        styles += [jet_style(r, c, col[1]) for r in range(2, n + 2) for c, col in enumerate(cols)]
        cfgs.append(
            {
                "data": df,
                "name": name,
                "gridlines_visible": False,
                "cell_styles": styles,
                "column_widths": {h: px_to_chars(c[2]) for h, c in zip(sheet.headers, cols, strict=False)},
                "tables": [
                    {
                        "name": sheet.table_name,
                        "start_row": 1,
                        "start_col": 0,
                        "end_row": n + 1,
                        "end_col": len(cols) - 1,
                        "show_row_stripes": False,
                    }
                ],
            }
        )
    return jetxl.write_sheets_arrow_to_bytes(cfgs, num_threads=1)


def w_fastxlsx():
    """fastxlsx 0.2.0: values only (no formats, tables, widths, links, gridlines, properties); path only."""
    import fastxlsx

    wb = fastxlsx.WriteOnlyWorkbook()
    ws = wb.create_sheet("Cover")
    for i, (t, _) in enumerate(cover_lines()):
        ws.write_cell((i, 0), t.text if isinstance(t, Link) else t, dtype=fastxlsx.DType.Str)
    for name, sheet in SHEETS.items():
        ws = wb.create_sheet(name)
        lines, _ = layout(sheet)
        for i, (t, _) in enumerate(lines):
            ws.write_cell((i, 0), t, dtype=fastxlsx.DType.Str)
        rows = [list(sheet.headers)] + [[v.text if isinstance(v, Link) else v for v in r] for r in sheet.rows]
        ws.write_matrix((len(lines), 0), rows, dtype=fastxlsx.DType.Any)
    path = f"{OUT}/fastxlsx_tmp.xlsx"
    wb.save(path)
    with open(path, "rb") as f:
        return f.read()


def w_pyexcelerate():
    """pyexcelerate 0.13 (pure Python): values + styles + widths + gridlines. No tables, no hyperlinks, no doc
    properties, and any string starting with '=' is written as a formula (no way to turn that off)."""
    from pyexcelerate import Alignment, Font, Format, Style, Workbook
    from pyexcelerate.Border import Border
    from pyexcelerate.Borders import Borders

    cache = {}

    def style(p):
        k = tuple(sorted(p.items()))
        if k not in cache:
            cache[k] = Style(
                font=Font(
                    bold=bool(p.get("bold")),
                    family=p["font_name"],
                    size=p["font_size"],
                    underline=bool(p.get("underline")),
                ),
                alignment=Alignment(
                    horizontal=p.get("align", "left"),
                    vertical=p.get("valign", "bottom"),
                    wrap_text=bool(p.get("text_wrap")),
                ),
                borders=Borders(bottom=Border(style="thin")) if p.get("bottom") else None,
                format=Format(p["num_format"]) if "num_format" in p else None,
            )
        return cache[k]

    wb = Workbook()
    ws = wb.new_sheet("Cover")
    ws.show_grid_lines = False
    for i, (t, p) in enumerate(cover_lines(), start=1):
        ws.set_cell_value(i, 1, t.text if isinstance(t, Link) else t)
        ws.set_cell_style(i, 1, style(p))
    ws.set_col_style(1, Style(size=ref.COVER_WIDTH))
    for name, sheet in SHEETS.items():
        ws = wb.new_sheet(name)
        ws.show_grid_lines = False
        lines, cols = layout(sheet)
        for i, (t, p) in enumerate(lines, start=1):
            ws.set_cell_value(i, 1, t)
            ws.set_cell_style(i, 1, style(p))
        h = len(lines) + 1
        for c, (hp, dp, px) in enumerate(cols, start=1):
            ws.set_col_style(c, Style(size=px_to_chars(px)))
            ws.set_cell_value(h, c, sheet.headers[c - 1])
            ws.set_cell_style(h, c, style(hp))
            ds = style(dp)
            for r, row in enumerate(sheet.rows, start=h + 1):
                v = row[c - 1]
                ws.set_cell_value(r, c, v.text if isinstance(v, Link) else v)
                ws.set_cell_style(r, c, ds)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WRITERS = {
    "xlsxwriter (project code, incl. dc:language rewrite)": w_xlsxwriter_full,
    "xlsxwriter (no language rewrite)": w_xlsxwriter_core,
    "rustpy-xlsxwriter": w_rustpy,
    "jetxl": w_jetxl,
    "fastxlsx": w_fastxlsx,
    "pyexcelerate": w_pyexcelerate,
}


# ----------------------------------------------------------------------------------------------- compare
def _border(c):
    try:
        return c.border.bottom.style
    except IndexError:  # style refers to a border the file does not define
        return "<invalid borderId>"


def cell_sig(c):
    f, a = c.font, c.alignment
    return {
        "value": c.value,
        "type": c.data_type,
        "num_format": c.number_format,
        "font": (f.name, f.sz, bool(f.b), f.u, f.color.rgb if f.color is not None and f.color.type == "rgb" else None),
        "align": (a.horizontal, a.vertical, bool(a.wrap_text)),
        "border": _border(c),
        "link": (c.hyperlink.target, c.hyperlink.location) if c.hyperlink else None,
    }


def _tables_of(sheet) -> dict:
    """A worksheet's Excel tables: name -> (range, header rows, filtered, style)."""
    return {
        t.name: (t.ref, t.headerRowCount, t.autoFilter is not None, t.tableStyleInfo.name if t.tableStyleInfo else None)
        for t in sheet.tables.values()
    }


def compare(base: bytes, other: bytes):
    A, B = openpyxl.load_workbook(io.BytesIO(base)), openpyxl.load_workbook(io.BytesIO(other))
    diffs = {
        k: 0
        for k in [
            "sheets",
            "value",
            "type",
            "num_format",
            "font",
            "align",
            "border",
            "link",
            "table",
            "width",
            "gridlines",
            "merged",
            "props",
        ]
    }
    examples = {}
    if A.sheetnames != B.sheetnames:
        diffs["sheets"] += 1
    for name in A.sheetnames:
        if name not in B.sheetnames:
            continue
        a, b = A[name], B[name]
        coords = {c.coordinate for r in a.iter_rows() for c in r if c.value is not None} | {
            c.coordinate for r in b.iter_rows() for c in r if c.value is not None
        }
        for co in sorted(coords):
            sa, sb = cell_sig(a[co]), cell_sig(b[co])
            for k in sa:
                if sa[k] != sb[k]:
                    key = "value" if k in ("value",) else k
                    diffs[key] += 1
                    examples.setdefault(key, f"{name}!{co}: {sa[k]!r} vs {sb[k]!r}")
        ta, tb = _tables_of(a), _tables_of(b)
        if ta != tb:
            diffs["table"] += 1
            examples.setdefault("table", f"{name}: {ta} vs {tb}")
        for col in set(a.column_dimensions) | set(b.column_dimensions):
            wa, wb = a.column_dimensions[col].width, b.column_dimensions[col].width
            if col in a.column_dimensions and abs((wa or 0) - (wb or 0)) > 0.02:
                diffs["width"] += 1
                examples.setdefault("width", f"{name}!{col}: {wa} vs {wb}")
        ma, mb = sorted(map(str, a.merged_cells.ranges)), sorted(map(str, b.merged_cells.ranges))
        if ma != mb:
            diffs["merged"] += 1
            examples.setdefault("merged", f"{name}: {ma} vs {mb}"[:200])
        if a.sheet_view.showGridLines != b.sheet_view.showGridLines:
            diffs["gridlines"] += 1
    pa, pb = A.properties, B.properties
    for k in ("title", "subject", "creator", "keywords", "description", "language"):
        if getattr(pa, k) != getattr(pb, k):
            diffs["props"] += 1
            examples.setdefault("props", f"{k}: {getattr(pa, k)!r} vs {getattr(pb, k)!r}")
    return diffs, examples


def main():
    print(
        f"workbook: {1 + len(SHEETS)} sheets, {n_cells()} non-empty cells, "
        f"largest table {max(len(s.rows) for s in SHEETS.values())} rows"
    )
    outputs = {}
    for label, fn in WRITERS.items():
        try:
            data = fn()
        except Exception as e:  # noqa: BLE001
            print(f"{label:55s} FAILED: {type(e).__name__}: {e}")
            continue
        outputs[label] = data
        times = []
        for _ in range(REPEATS):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        fname = label.split(" ")[0]
        if fname == "xlsxwriter" and "no language" in label:
            fname = "xlsxwriter_core"
        with open(f"{OUT}/{fname}.xlsx", "wb") as f:
            f.write(data)
        print(f"{label:55s} best of {REPEATS}: {min(times):7.2f} ms   median {sorted(times)[REPEATS // 2]:7.2f} ms")
    base = outputs[next(iter(WRITERS))]
    print()
    for label, data in outputs.items():
        if label.startswith("xlsxwriter (project"):
            continue
        try:
            diffs, ex = compare(base, data)
        except Exception as e:  # noqa: BLE001
            print(f"{label}: compare FAILED {type(e).__name__}: {e}")
            continue
        total = sum(diffs.values())
        print(
            f"{label}: {'IDENTICAL cell for cell' if total == 0 else 'differs'} "
            f"{ {k: v for k, v in diffs.items() if v} }"
        )
        for k, v in ex.items():
            print(f"    e.g. {k}: {v}"[:230])


if __name__ == "__main__":
    main()
