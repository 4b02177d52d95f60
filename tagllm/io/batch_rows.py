"""A batch of results as each output format holds it: JSONL lines, CSV rows, a Parquet part file written whole.

``tagllm.io.writers.ResultWriter`` decides when and where a batch goes (opening, resuming, closing the output); this
module only says what its rows are, so that a change to a format's row is read here, apart from the writer's lifecycle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tagllm.errors import missing_dependency
from tagllm.io.rows import HASH_COLUMN, finite, is_formula, table_row
from tagllm.models import TagResult


def jsonl_text(
    results: Sequence[TagResult],
    kept: Sequence[dict[str, Any]] | None,
    digests: Sequence[str | None],
    *,
    provenance: bool,
    end: str,
) -> str:
    """A batch's JSONL rows, each ending with ``end``: ``kept[i]`` holds the input columns carried into result i's
    row, ``digests[i]`` its fingerprint."""
    return "".join(
        _json_line(result, kept[i] if kept else None, digests[i], provenance=provenance) + end
        for i, result in enumerate(results)
    )


def _json_line(result: TagResult, kept: dict[str, Any] | None, digest: str | None, *, provenance: bool) -> str:
    text = result.model_dump_json(exclude_none=True, exclude=None if provenance else {"provenance"})
    if kept:
        text = text[:-1] + ',"input":' + json.dumps(finite(kept), ensure_ascii=False, default=str) + "}"
    if digest:  # last, where resume finds it without parsing the row
        text = text[:-1] + f',"{HASH_COLUMN}":"{digest}"' + "}"
    return text


def csv_cells(
    results: Sequence[TagResult],
    kept: Sequence[dict[str, Any]] | None,
    digests: Sequence[str | None],
    *,
    facets: list[str],
    routed: bool,
    fingerprints: bool,
    formula_columns: dict[str, str],
) -> Iterator[dict[str, Any]]:
    """A batch's CSV rows, each its cells by column; each column that first holds a cell a spreadsheet reads as a
    formula is noted in ``formula_columns`` with the product of that cell."""
    for i, result in enumerate(results):
        row = table_row(result, facets, kept[i] if kept else None, routed=routed)
        for column, cell in row.items():
            if column not in formula_columns and is_formula(cell):
                formula_columns[column] = result.product_id
        if fingerprints:
            row[HASH_COLUMN] = digests[i] or ""
        yield row


def part_rows(
    results: Sequence[TagResult],
    kept: Sequence[dict[str, Any]] | None,
    digests: Sequence[str | None],
    *,
    facets: list[str],
    provenance: bool,
    routed: bool,
    fingerprints: bool,
) -> list[dict[str, Any]]:
    """A batch's rows for a Parquet part: typed cells, the whole result as JSON, and its fingerprint."""
    rows = []
    for i, result in enumerate(results):
        row = table_row(result, facets, kept[i] if kept else None, typed=True, routed=routed)
        row["result_json"] = result.model_dump_json(exclude_none=True, exclude=None if provenance else {"provenance"})
        if fingerprints:
            row[HASH_COLUMN] = digests[i]
        rows.append(row)
    return rows


def write_part(part: Path, rows: list[dict[str, Any]], schema: Any) -> None:
    """Write a batch's rows (``part_rows``) as the Parquet part file ``part``: there whole or not at all."""
    import pyarrow as pa

    pq = _parquet()
    tmp = part.with_suffix(".tmp")
    try:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    except OSError:  # a full disk: the part's half-written copy would stay beside the parts until a merge
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, part)  # a part is there whole or not at all


def _parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "writing Parquet") from None
    return pq
