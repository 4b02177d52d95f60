"""Reading Parquet inputs: rows streamed batch by batch as records, with the file's own failures (a repeated column,
text that is not UTF-8, a damaged row group) turned into ``InputError`` or a record's error.

Kept apart from ``tagllm.io.readers`` as ``jsonl`` and ``csv_records`` are: each format's quirks in one place, and
pyarrow imported only when a Parquet file is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tagllm.errors import InputError, missing_dependency
from tagllm.field_values import utf8_cells
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
                column, undecoded = data
                message = (
                    f"{path}:{row}: column {column!r} holds text that is not UTF-8 (byte {undecoded.start} is "
                    f"{undecoded.object[undecoded.start]:#04x}); re-export the file with its text in UTF-8"
                )
                yield Record(row, None, RecordError(field=column, line=row, message=message))
    except OSError as exc:  # a damaged row group: what came before it was read
        message = f"{path}: row {row + 1} on cannot be read ({exc}); re-export the file"
        yield Record(row + 1, None, RecordError(line=row + 1, message=message))


def _batch_rows(batch: Any) -> Iterator[dict[str, Any] | tuple[str, UnicodeDecodeError]]:
    """A Parquet batch's rows as dicts; a row with a text cell whose bytes are not UTF-8 (pyarrow reads them unchecked:
    Latin-1 text a tool wrote as a string column) as the column and the error, and the rows around it as they are.
    Converted whole, such a cell stopped the run with a traceback."""
    try:
        yield from batch.to_pylist()
        return
    except UnicodeDecodeError:
        pass
    for i in range(batch.num_rows):
        one = batch.slice(i, 1)
        try:
            yield one.to_pylist()[0]
        except UnicodeDecodeError as exc:
            yield next(_bad_cell(one), (one.schema.names[0], exc))


def _bad_cell(row: Any) -> Iterator[tuple[str, UnicodeDecodeError]]:
    """The columns of a one-row batch whose cell cannot be read as text, with the error."""
    for name, column in zip(row.schema.names, row.columns, strict=True):
        try:
            column.to_pylist()
        except UnicodeDecodeError as exc:
            yield name, exc
