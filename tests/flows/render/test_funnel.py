"""Funnel plots: PDU labels placed without overlaps, as the first (quadratic) placement placed them."""

from __future__ import annotations

import copy
import random

import pytest

from flows.render.funnel import CHARACTER_WIDTH, LABEL_HEIGHT, _place_labels


def _reference(points: list[dict], plot_right: float) -> None:
    """The placement as first written: every label tested against every label placed before it."""
    placed = []
    for point in sorted(points, key=lambda p: (p["cy"], p["cx"])):
        width = CHARACTER_WIDTH * len(point["label"])
        right_side = point["cx"] + 8 + width <= plot_right
        x1 = point["cx"] + 8 if right_side else point["cx"] - 8 - width
        y = point["cy"] + 4
        while any(
            x1 < bx2 and bx1 < x1 + width and y - LABEL_HEIGHT < by2 and by1 < y for bx1, by1, bx2, by2 in placed
        ):
            y += LABEL_HEIGHT
        placed.append((x1, y - LABEL_HEIGHT + 2, x1 + width, y + 2))
        point |= {"label_x": round(x1 if right_side else x1 + width, 2), "label_y": round(y, 2),
                  "anchor": "start" if right_side else "end", "moved": y - (point["cy"] + 4) > 1}  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_labels_land_where_testing_every_placed_label_puts_them(seed):
    rng = random.Random(seed)
    spread = [30, 400, 5][seed % 3]  # scattered, and crowded into a few pixels (labels pushed far down)
    points = [
        {
            "cx": round(rng.uniform(60, 60 + spread), 2),
            "cy": round(rng.uniform(20, 20 + spread), 2),
            "label": "PDU " * rng.randint(1, 6),
        }
        for _ in range(300)
    ]
    expected = copy.deepcopy(points)
    _reference(expected, plot_right=520)
    _place_labels(points, plot_right=520)
    assert points == expected
    assert sum(p["moved"] for p in points) > 10  # the crowding is real: many labels had to move
