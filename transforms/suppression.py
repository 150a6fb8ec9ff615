"""Small-number suppression of breakdowns and the sample profile, safe against subtraction.

A reader holds every published table at once: each key question's total (key_question_results), the
breakdown cells shown for every characteristic, the sample profile and the inspection's cases,
community orders and licences. The categories of a characteristic partition the inspection's cases, so
the cells withheld from a characteristic and key question are never hidden one by one: the total minus
the cells shown gives their combined Yes, No and N/A. The rules below make that combination, and not
only each cell, safe. `t` is the threshold (publication.toml [suppression] threshold, 5 by default).

Sample profile, per inspection and characteristic (dimension):

1. Primary: a category with 1 to t-1 cases is withheld (`suppressed`, `cases` null). Empty categories
   are shown: withholding them would hide nothing, since a breakdown row exists only for a category
   that has cases.
2. Safe: the withheld categories together (the inspection's cases minus those shown) hold 0 or at
   least t cases.
3. Otherwise the shown category with the fewest cases is withheld too (ties: the one first in the
   framework's order), and so on until safe; failing that (fewer than t cases in the inspection) the
   whole characteristic, empty categories included.
4. Sentence type is exempt: the inspectorate publishes its sizes itself ("27 community orders, 18
   releases on licence"), and so does the inspections table (community_orders, licences).

Breakdowns, per inspection, characteristic and key question (W = the withheld cells, Y, N and A their
combined Yes, No and N/A, R = Y + N their relevant cases, C = R + A their cases):

1. Primary: a cell with fewer than t relevant cases (so also every N/A-only cell), and every cell of a
   category withheld from the sample profile (a shown cell gives away its category's size as
   Yes + No + N/A, which would undo the profile's suppression).
2. Safe when W is empty, or W is the whole characteristic (then Y, N, A are the published total and say
   nothing new), or all of these hold:
   a. R = 0 or R >= t: no small number of relevant cases;
   b. C = 0 or C >= t: no small number of cases, N/A included;
   c. not all Yes (R > 0 and N = 0) unless the key question's total has no No;
   d. not all No (R > 0 and Y = 0) unless the total has no Yes;
   e. not all N/A (C > 0 and R = 0) unless the total has no relevant case: every case of a
      withheld category would be known to be N/A. So W may hold no relevant case only when the total
      holds none, and (b) follows from (a) and (e); it is checked all the same.
3. Otherwise the shown cell with the fewest relevant cases is withheld too (ties: the category first in
   the framework's order, which is how breakdowns are sorted), and so on until safe; at worst the whole
   characteristic is withheld for that question.

Whatever is withheld is then withheld for good, whatever the threshold: at t = 1 only N/A-only cells are
primary, and they too get partners when they would otherwise be known to be all N/A. Beyond exact
figures, bounds remain: each withheld category that has a breakdown row has at least one case, and a
withheld category whose size is shown lies within what the combined figures allow.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from transforms.results import MEASURES

SUPPRESSED_MEASURES = MEASURES  # a withheld cell shows none of its figures
GROUP = ["inspection_id", "dimension", "question_id"]
PROFILE_GROUP = ["inspection_id", "dimension"]
# Published by the inspectorate in every report and in the inspections table (community_orders, licences).
PUBLISHED_SIZES = ("sentence_type",)

Safe = Callable[[dict[str, pl.Expr], dict[str, pl.Expr]], pl.Expr]


def _zero_or_at_least(count: pl.Expr, threshold: int) -> pl.Expr:
    """True where a count is 0 or at least the threshold."""
    return (count == 0) | (count >= threshold)


def _withhold_until_safe(
    frame: pl.DataFrame,
    group: list[str],
    primary: pl.Expr,
    candidate: pl.Expr,
    size: str,
    counts: list[str],
    safe: Safe,
) -> pl.DataFrame:
    """Flag `suppressed`: the primary rows, then candidates smallest first until `safe` holds, else the whole group."""
    flagged = frame.with_row_index("_order").with_columns(_primary=primary.fill_null(False))
    flagged = flagged.with_columns(_candidate=candidate.fill_null(False) & ~pl.col("_primary"))
    flagged = flagged.with_columns(
        _rank=pl.when("_candidate").then(pl.struct(size, "_order").rank("ordinal").over([*group, "_candidate"]))
    )
    total = {c: pl.col(c).sum().over(group) for c in counts}
    primaries = {c: pl.when("_primary").then(c).otherwise(0).sum().over(group) for c in counts}
    # What a reader derives by subtraction if the primaries and the candidates ranked up to this row are withheld.
    upto = {
        c: primaries[c] + pl.when("_candidate").then(c).otherwise(0).cum_sum().over(group, order_by="_rank")
        for c in counts
    }
    flagged = flagged.with_columns(
        _primaries_safe=safe(primaries, total), _safe_here=pl.col("_candidate") & safe(upto, total)
    ).with_columns(_cutoff=pl.col("_rank").filter("_safe_here").min().over(group))
    extra = ~pl.col("_primaries_safe") & (
        pl.col("_cutoff").is_null() | (pl.col("_rank") <= pl.col("_cutoff")).fill_null(False)
    )
    return flagged.with_columns(suppressed=pl.col("_primary") | extra).drop(
        "_order", "_primary", "_candidate", "_rank", "_primaries_safe", "_safe_here", "_cutoff"
    )


def suppress_sample_profile(
    profile: pl.DataFrame, threshold: int, published_sizes: tuple[str, ...] = PUBLISHED_SIZES
) -> pl.DataFrame:
    """Withhold (null `cases`, flag `suppressed`) sample-profile categories by the rules in the module docstring."""
    protected = ~pl.col("dimension").is_in(list(published_sizes))
    flagged = _withhold_until_safe(
        profile,
        PROFILE_GROUP,
        primary=protected & (pl.col("cases") > 0) & (pl.col("cases") < threshold),
        candidate=protected & (pl.col("cases") > 0),
        size="cases",
        counts=["cases"],
        safe=lambda withheld, _total: _zero_or_at_least(withheld["cases"], threshold),
    )
    return flagged.with_columns(cases=pl.when("suppressed").then(None).otherwise("cases"))


def _breakdown_safe(threshold: int) -> Safe:
    """Rule 2 of the breakdowns (module docstring) on the withheld cells' combined counts."""

    def safe(withheld: dict[str, pl.Expr], total: dict[str, pl.Expr]) -> pl.Expr:
        yes, no, na = withheld["yes"], withheld["no"], withheld["not_applicable"]
        relevant = yes + no
        cases = relevant + na
        return (
            _zero_or_at_least(relevant, threshold)
            & _zero_or_at_least(cases, threshold)
            & ~((relevant > 0) & (no == 0) & (total["no"] > 0))
            & ~((relevant > 0) & (yes == 0) & (total["yes"] > 0))
            & ~((cases > 0) & (relevant == 0) & (total["yes"] + total["no"] > 0))
        )

    return safe


def suppress_small_numbers(
    breakdowns: pl.DataFrame, threshold: int, profile: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Withhold (blank measures, flag `suppressed`) breakdown cells by the rules in the module docstring.

    `profile` is the suppressed sample profile: its withheld categories are withheld in every breakdown.
    """
    if profile is None:
        withheld = pl.lit(False)
        frame = breakdowns
    else:
        categories = profile.filter("suppressed").select(*PROFILE_GROUP, "category", _profile_withheld=pl.lit(True))
        frame = breakdowns.join(categories, on=[*PROFILE_GROUP, "category"], how="left", maintain_order="left")
        withheld = pl.col("_profile_withheld").fill_null(False)
    flagged = _withhold_until_safe(
        frame,
        GROUP,
        primary=(pl.col("relevant_cases") < threshold) | withheld,
        candidate=pl.lit(True),
        size="relevant_cases",
        counts=["yes", "no", "not_applicable"],
        safe=_breakdown_safe(threshold),
    )
    return flagged.with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(m)).alias(m) for m in SUPPRESSED_MEASURES]
    ).select(*breakdowns.columns, "suppressed")
