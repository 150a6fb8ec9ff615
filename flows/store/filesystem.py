"""The fsspec filesystem behind a local folder or a URL such as s3://bucket/prefix."""

from __future__ import annotations

import fsspec


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and root path behind a folder path or fsspec URL."""
    fs, root = fsspec.core.url_to_fs(str(url))
    fs.invalidate_cache()  # fsspec reuses instances: drop listings cached by an earlier run in this process
    return fs, root.rstrip("/")
