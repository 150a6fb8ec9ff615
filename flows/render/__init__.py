"""Renderers of the published data annexe: an accessible spreadsheet and self-contained HTML pages.

No Prefect here: these are plain functions of the published tables, the framework and the
publication settings, called by the flows.
"""

from flows.render.html import annexe_html, index_html
from flows.render.spreadsheet import spreadsheet_bytes

__all__ = ["annexe_html", "index_html", "spreadsheet_bytes"]
