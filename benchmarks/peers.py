"""The same key-question results, standard ratings and scores as the project, in DuckDB SQL and in plain pandas.

Each implementation takes the same combined cases (every inspection in one table: ``inspection_id``,
``case_id``, characteristics, key-question and prompt answers, all text), the judged ratings
(``inspection_id``, ``standard_id``, ``rating``) and a framework, and returns polars frames with the
project's column names and types:

- ``key_question_results``: as ``transforms.results.key_question_results``
- ``standard_ratings``: as ``transforms.ratings.standard_ratings``
- ``scores``: ``inspection_id``, ``cases``, ``score``, ``max_score``, ``overall_rating`` as in
  ``transforms.ratings.inspection_summaries``

They exist to check the project's figures independently and to time it against two other engines.
Everything framework-specific (ids, texts, bands, banding basis) is read from the framework, as the
project does, so the SQL is generated rather than hand-written for one framework.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from transforms.framework import Framework
from transforms.ratings import inspection_summaries, standard_ratings
from transforms.results import key_question_results

ANSWERS = (("yes", 0), ("no", 1), ("not_applicable", 2))  # measure and index into framework.answers
KQ_COLUMNS = (
    "inspection_id",
    "standard_id",
    "question_id",
    "question_text",
    "yes",
    "no",
    "not_applicable",
    "relevant_cases",
    "percentage",
    "published_percentage",
)
RATING_COLUMNS = ("inspection_id", "standard_id", "standard_name", "rating", "points", "lowest_question_id")
SCORE_COLUMNS = ("inspection_id", "cases", "score", "max_score", "overall_rating")
KQ_SCHEMA = {
    "inspection_id": pl.String,
    "standard_id": pl.String,
    "question_id": pl.String,
    "question_text": pl.String,
    "yes": pl.Int64,
    "no": pl.Int64,
    "not_applicable": pl.Int64,
    "relevant_cases": pl.Int64,
    "percentage": pl.Float64,
    "published_percentage": pl.Int64,
}
RATING_SCHEMA = {
    "inspection_id": pl.String,
    "standard_id": pl.String,
    "standard_name": pl.String,
    "rating": pl.String,
    "points": pl.Int64,
    "lowest_question_id": pl.String,
}
SCORE_SCHEMA = {
    "inspection_id": pl.String,
    "cases": pl.Int64,
    "score": pl.Int64,
    "max_score": pl.Int64,
    "overall_rating": pl.String,
}

Results = dict[str, pl.DataFrame]


# ---------------------------------------------------------------------------------------------
# The project (for like-for-like timing: the same three outputs, from the same inputs)
# ---------------------------------------------------------------------------------------------


def project_results(cases: pl.DataFrame, organisational: pl.DataFrame, framework: Framework) -> Results:
    """The project's own key-question results, standard ratings and scores (transforms/, unchanged)."""
    results = key_question_results(cases, framework)
    ratings = standard_ratings(results, organisational, framework)
    manifests = (
        cases.select("inspection_id")
        .unique()
        .with_columns(
            framework=pl.lit(framework.id), pdu=pl.lit(""), region=pl.lit(""), fieldwork_start=pl.lit(None, pl.Date)
        )
    )
    summaries = inspection_summaries(manifests, cases, ratings, framework)
    return {"key_question_results": results, "standard_ratings": ratings, "scores": summaries.select(SCORE_COLUMNS)}


# ---------------------------------------------------------------------------------------------
# DuckDB
# ---------------------------------------------------------------------------------------------


def _q(identifier: str) -> str:
    """A quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def _s(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _band_case(bands: pl.DataFrame, basis: str, value: str) -> str:
    """CASE expression giving a key question's band label or points, per the framework's banding basis."""
    arms = []
    for band in bands.sort("min", descending=True).iter_rows(named=True):
        if basis == "published":
            condition = f"published_percentage >= {int(band['min'])}"
        else:
            condition = f"100 * yes >= {int(band['min'])} * relevant_cases"
        result = _s(band["rating"]) if value == "rating" else str(int(band["points"]))
        arms.append(f"WHEN {condition} THEN {result}")
    return f"CASE {' '.join(arms)} END"


def _score_case(bands: pl.DataFrame) -> str:
    arms = [
        f"WHEN score >= {int(b['min'])} THEN {_s(b['rating'])}"
        for b in bands.sort("min", descending=True).iter_rows(named=True)
    ]
    return f"CASE {' '.join(arms)} END"


def _counts_sql(framework: Framework, source: str, layout: str) -> str:
    """Yes / No / N/A per inspection and key question, long (one row per inspection x question)."""
    qids = framework.question_ids
    labels = framework.answers
    if layout == "wide":
        # One pass over the wide table with filtered counts, then unnest the small result to long form.
        counts = ",\n      ".join(
            f"count(*) FILTER (WHERE {_q(qid)} = {_s(labels[i])}) AS {_q(f'{qid}|{name}')}"
            for qid in qids
            for name, i in ANSWERS
        )
        lists = ",\n    ".join(
            f"unnest([{', '.join(_q(f'{qid}|{name}') for qid in qids)}]) AS {name}" for name, _ in ANSWERS
        )
        return f"""
  SELECT inspection_id, unnest([{", ".join(_s(qid) for qid in qids)}]) AS question_id,
    {lists}
  FROM (SELECT inspection_id,
      {counts}
    FROM {source} GROUP BY inspection_id)"""
    if layout == "long":
        # The project's shape: unpivot every answer, then group (inspection, question).
        return f"""
  SELECT inspection_id, question_id,
    {", ".join(f"count(*) FILTER (WHERE answer = {_s(labels[i])}) AS {name}" for name, i in ANSWERS)}
  FROM (UNPIVOT (SELECT inspection_id, {", ".join(_q(q) for q in qids)} FROM {source})
        ON {", ".join(_q(q) for q in qids)} INTO NAME question_id VALUE answer)
  GROUP BY inspection_id, question_id"""
    raise ValueError(f"layout must be 'wide' or 'long', not {layout!r}")


def duckdb_sql(
    framework: Framework, source: str = "cases", organisational: str = "organisational", layout: str = "wide"
) -> dict[str, str]:
    """The three queries, over a cases relation and a judged-ratings relation (and the framework tables)."""
    basis = framework.banding_basis
    key_questions = f"""
WITH counts AS ({_counts_sql(framework, source, layout)}
)
SELECT c.inspection_id, k.standard_id, c.question_id, k.question_text, c.yes, c.no, c.not_applicable,
  c.yes + c.no AS relevant_cases,
  CASE WHEN c.yes + c.no > 0 THEN 100.0::DOUBLE * c.yes / (c.yes + c.no) END AS percentage,
  CASE WHEN c.yes + c.no > 0 THEN (200 * c.yes + (c.yes + c.no)) // (2 * (c.yes + c.no)) END AS published_percentage
FROM counts c JOIN fw_key_questions k USING (question_id)
ORDER BY c.inspection_id, k.question_order"""
    ratings = f"""
WITH rated AS (
  SELECT r.*, k.question_order,
    {_band_case(framework.rating_bands, basis, "rating")} AS rating,
    {_band_case(framework.rating_bands, basis, "points")} AS points
  FROM kq r JOIN fw_key_questions k USING (question_id)
  WHERE relevant_cases > 0
), lowest AS (
  SELECT inspection_id, standard_id, rating, points::BIGINT AS points, question_id AS lowest_question_id
  FROM rated
  QUALIFY row_number() OVER (PARTITION BY inspection_id, standard_id ORDER BY percentage, question_order) = 1
), judged AS (
  SELECT o.inspection_id, o.standard_id, o.rating, b.points, NULL::VARCHAR AS lowest_question_id
  FROM {organisational} o LEFT JOIN fw_rating_bands b USING (rating)
)
SELECT r.inspection_id, r.standard_id, s.standard_name, r.rating, r.points, r.lowest_question_id
FROM (SELECT * FROM judged UNION ALL SELECT * FROM lowest) r JOIN fw_standards s USING (standard_id)
ORDER BY r.inspection_id, s.standard_order"""
    scores = f"""
WITH sample AS (SELECT inspection_id, count(*) AS cases FROM {source} GROUP BY inspection_id),
points AS (SELECT inspection_id, sum(points)::BIGINT AS score FROM ratings GROUP BY inspection_id)
SELECT inspection_id, cases, score, {framework.max_score}::BIGINT AS max_score,
  {_score_case(framework.overall_bands)} AS overall_rating
FROM sample LEFT JOIN points USING (inspection_id)
ORDER BY inspection_id"""
    return {"key_question_results": key_questions, "standard_ratings": ratings, "scores": scores}


def duckdb_connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection (optionally with a thread limit)."""
    connection = duckdb.connect(":memory:")
    if threads:
        connection.execute(f"SET threads TO {int(threads)}")
    return connection


def duckdb_results(
    cases: pa.Table | pl.DataFrame | str,
    organisational: pa.Table | pl.DataFrame,
    framework: Framework,
    layout: str = "wide",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Results:
    """Results computed by DuckDB SQL; `cases` is an Arrow table, a polars frame or a Parquet file path."""
    con = connection or duckdb_connection()
    if isinstance(cases, str):
        source = f"read_parquet({_s(cases)})"
    else:
        con.register("cases", cases)
        source = "cases"
    con.register("organisational", organisational)
    con.register("fw_key_questions", framework.key_questions.to_arrow())
    con.register("fw_standards", framework.standards.to_arrow())
    con.register("fw_rating_bands", framework.rating_bands.to_arrow())
    sql = duckdb_sql(framework, source, "organisational", layout)
    try:
        kq = con.sql(sql["key_question_results"]).to_arrow_table()
        con.register("kq", kq)
        ratings = con.sql(sql["standard_ratings"]).to_arrow_table()
        con.register("ratings", ratings)
        scores = con.sql(sql["scores"]).to_arrow_table()
    finally:
        for name in ("cases", "organisational", "fw_key_questions", "fw_standards", "fw_rating_bands", "kq", "ratings"):
            try:
                con.unregister(name)
            except Exception:  # not registered (e.g. cases read from Parquet)
                pass
        if connection is None:
            con.close()
    return {
        "key_question_results": _conform(pl.from_arrow(kq), KQ_SCHEMA),
        "standard_ratings": _conform(pl.from_arrow(ratings), RATING_SCHEMA),
        "scores": _conform(pl.from_arrow(scores), SCORE_SCHEMA),
    }


def duckdb_csv_key_questions(landing: str, framework: Framework, threads: int | None = None) -> pl.DataFrame:
    """DuckDB alone, from the landing zone's CSV files to every key question's published percentage.

    The yardstick of the end-to-end target: the least any engine must do (read every extract, count, divide,
    round half up), with nothing validated, checked, rendered or committed.
    """
    con = duckdb_connection(threads)
    try:
        con.execute(
            "CREATE VIEW cases AS SELECT regexp_extract(filename, '([^/]+)/cases[.]csv$', 1) AS inspection_id, * "
            f"EXCLUDE (filename) FROM read_csv({_s(landing + '/*/cases.csv')}, filename = true, all_varchar = true, "
            "union_by_name = true)"
        )
        con.register("fw_key_questions", framework.key_questions.to_arrow())
        sql = duckdb_sql(framework, "cases", "organisational", "wide")["key_question_results"]
        return pl.from_arrow(con.sql(sql).to_arrow_table())
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# pandas
# ---------------------------------------------------------------------------------------------


def _band_pandas(
    published: pd.Series, yes: pd.Series, relevant: pd.Series, bands: pl.DataFrame, basis: str, value: str
) -> np.ndarray:
    ordered = bands.sort("min", descending=True)
    if basis == "published":
        conditions = [published.to_numpy(dtype="int64") >= int(m) for m in ordered["min"]]
    else:
        conditions = [100 * yes.to_numpy() >= int(m) * relevant.to_numpy() for m in ordered["min"]]
    choices = ordered[value].to_list()
    return np.select(conditions, choices, default=None if value == "rating" else -1)


def pandas_results(cases: pd.DataFrame, organisational: pd.DataFrame, framework: Framework) -> Results:
    """Results computed with plain pandas over a wide cases frame (one boolean frame per answer)."""
    qids = framework.question_ids
    answers = cases[qids]
    key = cases["inspection_id"]
    counts = {name: answers.eq(framework.answers[i]).groupby(key, sort=True).sum().stack() for name, i in ANSWERS}
    kq = pd.DataFrame(counts).rename_axis(["inspection_id", "question_id"]).reset_index()
    for name, _ in ANSWERS:
        kq[name] = kq[name].astype("int64")
    kq["relevant_cases"] = kq["yes"] + kq["no"]
    has = kq["relevant_cases"] > 0
    denominator = kq["relevant_cases"].where(has, 1)
    kq["percentage"] = (100.0 * kq["yes"] / denominator).where(has, np.nan)
    published = (200 * kq["yes"] + kq["relevant_cases"]) // (2 * denominator)
    kq["published_percentage"] = published.astype("Int64").mask(~has)
    questions = framework.key_questions.to_pandas()
    kq = kq.merge(questions[["question_id", "standard_id", "question_text", "question_order"]], on="question_id")
    kq = kq.sort_values(["inspection_id", "question_order"], kind="stable", ignore_index=True)

    rated = kq[kq["relevant_cases"] > 0].copy()
    args = (
        rated["published_percentage"],
        rated["yes"],
        rated["relevant_cases"],
        framework.rating_bands,
        framework.banding_basis,
    )
    rated["rating"] = _band_pandas(*args, "rating")
    rated["points"] = _band_pandas(*args, "points").astype("int64")
    lowest = (
        rated.sort_values(["inspection_id", "standard_id", "percentage", "question_order"], kind="stable")
        .drop_duplicates(["inspection_id", "standard_id"], keep="first")
        .rename(columns={"question_id": "lowest_question_id"})
    )[["inspection_id", "standard_id", "rating", "points", "lowest_question_id"]]
    points = framework.rating_bands.select("rating", "points").to_pandas()
    judged = organisational.merge(points, on="rating", how="left").assign(lowest_question_id=None)
    standards = framework.standards.select("standard_id", "standard_name", "standard_order").to_pandas()
    ratings = (
        pd.concat([judged[lowest.columns], lowest], ignore_index=True)
        .merge(standards, on="standard_id")
        .sort_values(["inspection_id", "standard_order"], kind="stable", ignore_index=True)
    )

    score = ratings.groupby("inspection_id", sort=True)["points"].sum().rename("score")
    sample = key.value_counts().rename("cases")
    scores = pd.concat([sample, score], axis=1).rename_axis("inspection_id").reset_index()
    scores = scores.sort_values("inspection_id", ignore_index=True)
    scores["max_score"] = framework.max_score
    ordered = framework.overall_bands.sort("min", descending=True)
    scores["overall_rating"] = np.select(
        [scores["score"].to_numpy() >= int(m) for m in ordered["min"]], ordered["rating"].to_list(), default=None
    )
    return {
        "key_question_results": _conform(pl.from_pandas(kq[list(KQ_COLUMNS)], nan_to_null=True), KQ_SCHEMA),
        "standard_ratings": _conform(pl.from_pandas(ratings[list(RATING_COLUMNS)]), RATING_SCHEMA),
        "scores": _conform(pl.from_pandas(scores[list(SCORE_COLUMNS)]), SCORE_SCHEMA),
    }


# ---------------------------------------------------------------------------------------------
# Shared
# ---------------------------------------------------------------------------------------------


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def normalise(results: Results) -> Results:
    """Results in one canonical order and set of types, for comparison across engines."""
    keys = {
        "key_question_results": ["inspection_id", "question_id"],
        "standard_ratings": ["inspection_id", "standard_id"],
        "scores": ["inspection_id"],
    }
    schemas = {"key_question_results": KQ_SCHEMA, "standard_ratings": RATING_SCHEMA, "scores": SCORE_SCHEMA}
    return {name: _conform(results[name], schemas[name]).sort(keys[name]) for name in keys}


ENGINES: dict[str, Callable[..., Results]] = {
    "project": project_results,
    "duckdb": duckdb_results,
    "pandas": pandas_results,
}
