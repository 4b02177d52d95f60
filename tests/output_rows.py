"""Reading what ``tagllm generate`` wrote, in any of its output formats (JSONL, CSV, Parquet), for the tests that
check a run's output: one reader, where each test file carried a copy of its own."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The output's rows in file order, each its columns (a JSONL row's fields); the format told by the suffix."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rows_by_id(path: Path) -> dict[str, dict[str, Any]]:
    """Each product's row, by its id; asserts the output holds one row per product."""
    rows = read_rows(path)
    ids = [row["product_id"] for row in rows]
    assert len(ids) == len(set(ids)), ids
    return {row["product_id"]: row for row in rows}


def outcomes(path: Path) -> list[tuple[str, str]]:
    """(product id, status) of each row, in file order."""
    return [(row["product_id"], row["status"]) for row in read_rows(path)]
