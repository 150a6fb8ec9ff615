"""The stages of a run, as plain functions over paths and ids: plan, ingest, validate, aggregate, gate, publish,
finalize. Prefect wraps them in flows/pipeline.py."""
