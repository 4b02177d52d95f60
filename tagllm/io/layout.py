"""The layout a results file's rows are written in: CSV's columns or Parquet's schema, with or without the columns
of product fingerprints and of the path that made the tags. Apart from the writer because it is decided once, before
any row is written, and resuming an output written by an older version chooses that output's older layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagllm.errors import InputError
from tagllm.io.resume import OutputState
from tagllm.io.rows import HASH_COLUMN, parquet_schema, table_row
from tagllm.models import TagResult


@dataclass(frozen=True)
class RowLayout:
    """What each row of an output holds besides its tags and kept columns."""

    columns: list[str]  # the CSV header
    schema: Any  # the Parquet schema (pyarrow); None for JSONL and CSV
    routed: bool  # rows say which path made their tags (``source``), as a routed run's do
    fingerprints: bool  # rows hold the fingerprint of the product they were tagged from (``HASH_COLUMN``)


def choose_layout(
    target: Path, format: str, facets: Sequence[str], keep_columns: Sequence[str], *, routed: bool, state: OutputState
) -> RowLayout:
    """The layout this run writes ``target`` in: its own, or, resuming an output written in an older layout (``state``
    holds what was read of it), that one's."""
    columns = _header(facets, keep_columns, routed=routed, fingerprint=True)
    schema = parquet_schema(facets, keep_columns, routed=routed) if format == "parquet" else None
    layout = RowLayout(columns, schema, routed, fingerprints=True)
    if state.schema is not None or (format == "csv" and state.header is not None):
        return _resumed_layout(target, format, facets, keep_columns, layout, state)
    return layout


def _header(facets: Sequence[str], keep_columns: Sequence[str], *, routed: bool, fingerprint: bool) -> list[str]:
    blank = table_row(TagResult(product_id=""), list(facets), dict.fromkeys(keep_columns), routed=routed)
    return [*blank, *([HASH_COLUMN] if fingerprint else [])]


def _resumed_layout(
    target: Path,
    format: str,
    facets: Sequence[str],
    keep_columns: Sequence[str],
    layout: RowLayout,
    state: OutputState,
) -> RowLayout:
    """An output written before rows held fingerprints, or (routed) before they said their source, is resumed in its
    own layout, without them; one of other columns is refused."""
    for routed, fingerprint in dict.fromkeys([(layout.routed, True), (False, True), (False, False)]):
        if format == "parquet":
            schema = parquet_schema(facets, keep_columns, fingerprint=fingerprint, routed=routed)
            if state.schema is not None and state.schema.equals(schema):
                return RowLayout(layout.columns, schema, routed, fingerprint)
        elif state.header == _header(facets, keep_columns, routed=routed, fingerprint=fingerprint):
            return RowLayout(state.header, layout.schema, routed, fingerprint)
    if format == "parquet":
        assert state.schema is not None
        raise _refused(target, state.schema.names, layout.schema.names)
    raise _refused(target, state.header or [], layout.columns)


def _refused(target: Path, existing: list[str], columns: list[str]) -> InputError:
    return InputError(
        f"{target} has the columns {', '.join(existing)}, but this run writes {', '.join(columns)}; "
        "resume with the same facets and --keep-columns, or write to a new file"
    )
