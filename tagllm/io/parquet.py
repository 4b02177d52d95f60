"""Reading Parquet inputs: rows streamed batch by batch as records, with the file's own failures (a repeated column,
text that is not UTF-8, a damaged row group) turned into ``InputError`` or a record's error; and whether a Parquet
output holds rows.

Kept apart from ``tagllm.io.readers`` as ``jsonl`` and ``csv_records`` are: each format's quirks in one place, and
pyarrow imported only when a Parquet file is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tagllm.errors import InputError, missing_dependency
from tagllm.field_values import undecoded_place, utf8_cells
from tagllm.io.jsonl import Record
from tagllm.models import RecordError

PARQUET_BATCH_ROWS = 1024


def read_parquet(path: Path, on_header: Callable[[list[str]], None] | None = None) -> Iterator[Record]:
    """Yield the rows of a Parquet file as records, batch by batch; a row that cannot be read becomes a record with
    an error. ``on_header`` is given the column names before the first row."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "reading Parquet") from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a broken file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    names = list(parquet.schema_arrow.names)
    if repeated := next((name for i, name in enumerate(names) if name in names[:i]), None):
        # a row read as a dict keeps the last column of a name: the first one's cells would be dropped unseen
        raise InputError(f"{path}: column {repeated!r} appears twice; rename one")
    if on_header is not None:
        on_header(names)
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            for data in _batch_rows(batch):
                row += 1
                if isinstance(data, dict):
                    # a column stored as binary (no UTF-8 annotation) is read as the text it holds
                    yield Record(row, {k: utf8_cells(v) for k, v in data.items() if v is not None})
                    continue
                column, (where, byte) = data
                message = (
                    f"{path}:{row}: column {column!r} {where}holds text that is not UTF-8 ({byte}); re-export the file "
                    "with its text in UTF-8"
                )
                yield Record(row, None, RecordError(field=column, line=row, message=message))
    except OSError as exc:  # a damaged row group: what came before it was read
        message = f"{path}: row {row + 1} on cannot be read ({exc}); re-export the file"
        yield Record(row + 1, None, RecordError(line=row + 1, message=message))


def _batch_rows(batch: Any) -> Iterator[dict[str, Any] | tuple[str, tuple[str, str]]]:
    """A Parquet batch's rows as dicts; a row with a text cell whose bytes are not UTF-8 (pyarrow reads them unchecked:
    Latin-1 text a tool wrote as a string column) as the column and where in the cell (``undecoded_place``: a list's
    item 2), and the rows around it as they are. Converted whole, such a cell stopped the run with a traceback."""
    try:
        yield from batch.to_pylist()
        return
    except UnicodeDecodeError:
        pass
    for i in range(batch.num_rows):
        one = batch.slice(i, 1)
        try:
            yield one.to_pylist()[0]
        except UnicodeDecodeError:
            yield next(_bad_cells(one))


def _bad_cells(row: Any) -> Iterator[tuple[str, tuple[str, str]]]:
    """The columns of a one-row batch whose cell cannot be read as text, with where in the cell, read as bytes (a
    type not cast so, a dictionary's texts: the cell as a whole, where pyarrow's error says)."""
    for name, column in zip(row.schema.names, row.columns, strict=True):
        try:
            place = undecoded_place(column.cast(_as_binary(column.type)).to_pylist()[0])
        except UnicodeDecodeError as exc:
            place = "", f"byte {exc.start} is 0x{exc.object[exc.start]:02x}"
        if place is not None:
            yield name, place


def _as_binary(kind: Any) -> Any:
    """An Arrow type with its texts as bytes, at any depth: cast so, a cell's bytes are read unchecked."""
    import pyarrow as pa

    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_map(kind):
        return pa.map_(_as_binary(kind.key_type), _as_binary(kind.item_type))
    if pa.types.is_list(kind):
        return pa.list_(_as_binary(kind.value_type))
    if pa.types.is_large_list(kind):
        return pa.large_list(_as_binary(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(field.name, _as_binary(field.type)) for field in kind])
    return kind


def holds_parquet_rows(target: Path) -> bool:
    """Whether a Parquet output (or one of its parts, a run stopped before merging them) holds a row, as its footer
    says: one of no rows (its rows filtered out by another tool) holds no result to lose, as a CSV output of its header
    alone holds none. An empty file holds none; one whose footer cannot be read counts as holding rows."""
    from tagllm.io.resume import part_files, pyarrow_parquet

    pq = pyarrow_parquet()
    for source in ([target] if target.is_file() else []) + part_files(target):
        if source.stat().st_size == 0:  # a run stopped before writing it
            continue
        try:
            if pq.read_metadata(source).num_rows:
                return True
        except Exception:  # pyarrow raises several unrelated types for a broken file
            return True
    return False
