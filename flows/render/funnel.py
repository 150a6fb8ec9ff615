"""Geometry of a funnel plot: each inspection's percentage Yes against its relevant cases, with control limits.

Plain values for the template (flows/render/templates/national.html.j2): positions in SVG user units, with the
plot's geometry kept on the chart so a point's position maps back to its figures. Limits are drawn as curves
over the number of relevant cases, with the same formula as transforms/comparisons.py; percentages are shown
as text beside the chart, so nothing depends on the drawing or on colour.
"""

from __future__ import annotations

import bisect
import math

import polars as pl

from transforms.comparisons import funnel_limits

WIDTH = 760
HEIGHT = 440
LEFT = 60
RIGHT = 150  # room for the limit labels and the labels of points near the right edge
TOP = 24
BOTTOM = 64
CURVE_SAMPLES = 120
LABEL_HEIGHT = 15
CHARACTER_WIDTH = 7.2  # of a 13px label in Arial, generous, to keep labels apart
LIMIT_STYLES = {  # name: (label, dash pattern); black lines of different dashes read in print and greyscale
    "upper_99_8": ("Upper 99.8% limit", "2 3"),
    "upper_95": ("Upper 95% limit", "7 4"),
    "lower_95": ("Lower 95% limit", "7 4"),
    "lower_99_8": ("Lower 99.8% limit", "2 3"),
}
ZONE_LABELS = {
    "above_99_8": "Above the upper 99.8% limit",
    "above_95": "Above the upper 95% limit",
    "within": "Within the 95% limits",
    "below_95": "Below the lower 95% limit",
    "below_99_8": "Below the lower 99.8% limit",
}


def nice_maximum(value: float) -> tuple[int, int]:
    """A round axis maximum at or above value, and a tick step giving at most 6 steps."""
    value = max(value, 1.0)
    for power in range(0, 8):
        for step in (1, 2, 5):
            step *= 10**power
            if math.ceil(value / step) <= 6:
                return step * math.ceil(value / step), step
    raise ValueError(f"axis maximum {value} is too large")


def _x(n: float, n_max: int) -> float:
    return round(LEFT + (WIDTH - LEFT - RIGHT) * n / n_max, 2)


def _y(percentage: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (100 - percentage) / 100, 2)


def _curves(p0: float, n_start: float, n_max: int) -> dict[str, list[tuple[float, float]]]:
    """Each limit sampled over n from n_start to n_max, as (n, percentage), from the published formula."""
    ns = [n_start + (n_max - n_start) * i / (CURVE_SAMPLES - 1) for i in range(CURVE_SAMPLES)]
    frame = pl.DataFrame({"n": ns}).select("n", **funnel_limits(pl.lit(p0 / 100), pl.col("n")))
    return {name: list(zip(frame["n"].to_list(), frame[name].to_list(), strict=True)) for name in LIMIT_STYLES}


def _place_labels(points: list[dict], plot_right: float) -> None:
    """Label each point with its PDU, right of it (left near the edge), moved down until it overlaps no other.

    Labels stay left of plot_right: the margin beyond it holds the limits' labels.
    """
    # Placed boxes sorted by their top edge. A label walks down from its point past each box it overlaps, taken
    # in that order: every step it skips overlaps that box, so it stops at the first free place, and once a box
    # starts below the label none after it can overlap. One pass over the boxes near and below the point (testing
    # every placed box at every step, as first written, took most of a period's overview with 500 inspections).
    tops: list[float] = []
    boxes: list[tuple[float, float, float, float]] = []
    for point in sorted(points, key=lambda p: (p["cy"], p["cx"])):
        width = CHARACTER_WIDTH * len(point["label"])
        right_side = point["cx"] + 8 + width <= plot_right
        x1 = point["cx"] + 8 if right_side else point["cx"] - 8 - width
        x2 = x1 + width
        y = point["cy"] + 4
        # a box whose top is more than two label heights above y ends above the label: it never overlaps
        for bx1, by1, bx2, by2 in boxes[bisect.bisect_left(tops, y - 2 * LABEL_HEIGHT - 1) :]:
            if by1 >= y:
                break
            if x1 < bx2 and bx1 < x2 and y - LABEL_HEIGHT < by2:
                while y - LABEL_HEIGHT < by2:
                    y += LABEL_HEIGHT
        box = (x1, y - LABEL_HEIGHT + 2, x2, y + 2)
        at = bisect.bisect_right(tops, box[1])
        tops.insert(at, box[1])
        boxes.insert(at, box)
        point |= {"label_x": round(x1 if right_side else x2, 2), "label_y": round(y, 2),
                  "anchor": "start" if right_side else "end", "moved": y - (point["cy"] + 4) > 1}  # fmt: skip


def _stack(labels: list[dict]) -> None:
    """Move right-hand labels (wanted at label_y) down just enough that no two overlap."""
    bottom = -math.inf
    for label in sorted(labels, key=lambda item: item["label_y"]):
        label["label_y"] = round(max(label["label_y"], bottom + LABEL_HEIGHT), 2)
        bottom = label["label_y"]


def funnel_chart(question: dict, rows: list[dict], national_percentage: float | None, id_prefix: str = "") -> dict:
    """One key question's funnel plot: points (rows of benchmarks with pdu and region), limits and axes.

    `id_prefix` keeps element ids unique on a page with several frameworks that share question ids.
    """
    slug = question["question_id"].replace(".", "-")
    plotted = [r for r in rows if r["relevant_cases"] and r["percentage"] is not None]
    n_max, step = nice_maximum(max((r["relevant_cases"] for r in plotted), default=10) * 1.1)
    plot_right = _x(n_max, n_max)
    points = [
        {
            "inspection_id": r["inspection_id"],
            "label": r["pdu"],
            "relevant_cases": r["relevant_cases"],
            "percentage": r["percentage"],
            "zone": r["funnel_zone"],
            "outside": r["funnel_zone"] != "within",
            "cx": _x(r["relevant_cases"], n_max),
            "cy": _y(r["percentage"]),
        }
        for r in plotted
    ]
    _place_labels(points, plot_right)
    limits = []
    if national_percentage is not None and plotted:
        # Curves start at half the smallest sample shown: below it they only run along the 0% and 100% edges.
        n_start = max(1.0, min(r["relevant_cases"] for r in plotted) / 2)
        for name, curve in _curves(national_percentage, n_start, n_max).items():
            label, dash = LIMIT_STYLES[name]
            end = curve[-1][1]
            limits.append(
                {
                    "name": name,
                    "label": label,
                    "dash": dash,
                    "points": " ".join(f"{_x(n, n_max)},{_y(p)}" for n, p in curve),
                    "label_x": plot_right + 6,
                    "label_y": _y(end) + 4,
                    "end": end,
                }
            )
    national_label = None
    if national_percentage is not None:
        national_label = {"label": f"National {national_percentage:.1f}%", "label_x": plot_right + 6,
                          "label_y": _y(national_percentage) + 4}  # fmt: skip
    _stack([*limits, *([national_label] if national_label else [])])
    outside = sum(p["outside"] for p in points)
    national = "none" if national_percentage is None else f"{national_percentage:.1f}%"
    return {
        "id": f"{id_prefix}funnel-{slug}",
        "question_id": question["question_id"],
        "title": f"{question['question_id']}: percentage Yes by relevant cases, each PDU against the national figure",
        "desc": (
            f"Funnel plot of {len(points)} inspections. Horizontal axis: relevant cases, 0 to {n_max}. Vertical axis: "
            f"percentage Yes, 0% to 100%. A solid line marks the national percentage, {national}; dashed curves the "
            f"95% limits and dotted curves the 99.8% limits around it. {outside} of {len(points)} inspections lie "
            "outside the 95% limits. The table after the chart gives each point's figures and zone."
        ),
        "width": WIDTH,
        "height": HEIGHT,
        "plot_left": LEFT,
        "plot_right": plot_right,
        "plot_top": TOP,
        "plot_bottom": _y(0),
        "n_max": n_max,
        "national": national_percentage,
        "national_y": None if national_percentage is None else _y(national_percentage),
        "national_label": national_label,
        "points": points,
        "limits": limits,
        "x_ticks": [{"x": _x(n, n_max), "label": str(n)} for n in range(0, n_max + 1, step)],
        "y_ticks": [{"y": _y(p), "label": f"{p}%"} for p in (0, 25, 50, 75, 100)],
        "x_title_y": _y(0) + 42,
    }
