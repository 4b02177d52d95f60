"""The word tables shipped with tagllm (``*.txt.gz`` beside the modules that read them), read and written alike.

Each is derived from a lexical resource by its module's ``main`` and ships gzipped: a notice of where it comes from
and under what licence (lines starting with "#"), then one row a line, its fields separated by tabs. Written with
``mtime=0`` so that rebuilding an unchanged table leaves its bytes unchanged.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path


def table_rows(path: Path, columns: int | None = None) -> Iterator[list[str]]:
    """The table's rows, split at its tabs (into at most ``columns`` fields, the last keeping its tabs); none when
    the file is missing, so that a checkout without it reads no word as the table would."""
    try:
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    except OSError:
        return
    for line in lines:
        if line and not line.startswith("#"):
            yield line.split("\t") if columns is None else line.split("\t", columns - 1)


def write_table(path: Path, notice: str, lines: Iterable[str]) -> None:
    """Write the table: ``notice`` (its "#" lines, each ending in a newline), then ``lines``."""
    path.write_bytes(gzip.compress((notice + "\n".join(lines) + "\n").encode(), mtime=0))
