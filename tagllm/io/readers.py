"""Reading products: JSONL, CSV and Parquet, from a file or stdin, streamed record by record.

A record that cannot be read becomes a ``Record`` with an error naming the file and line, and reading goes on:
nothing in the input vanishes without a record. Setup problems (no such file, an empty input, UTF-16) raise
``InputError`` before the first record.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tagllm.errors import InputError, missing_dependency
from tagllm.models import GOLD_PREFIX, PRODUCT_FIELDS, RecordError, suggest_field

FORMATS = ("jsonl", "csv", "parquet")
STDIO = "-"
MAX_LINE_BYTES = 16 * 2**20  # a longer JSONL line is an error record, not a reason to hold gigabytes
MAX_CSV_CELL = 16 * 2**20  # csv's default limit of 128 KiB refuses a long but real HTML description
PARQUET_BATCH_ROWS = 1024
LIST_COLUMNS = {"images", "queries"}  # in CSV: a JSON list, or values separated by '|'
JSON_COLUMNS = {"attributes", "labels", "images", "queries", "extra"}  # in CSV: a cell may hold JSON


@dataclass
class Record:
    """One input record: its line (1-based; row number for Parquet) and the raw mapping, or why it is bad."""

    line: int
    data: dict[str, Any] | None
    error: RecordError | None = None


def detect_format(path: str | Path, given: str | None = None, *, flag: str = "--input-format") -> str:
    """The format named by ``given``, else told from the extension; ``flag`` is what the user can pass instead."""
    if given:
        if given not in FORMATS:
            raise InputError(f"unknown format {given!r} for {flag}; use one of: {', '.join(FORMATS)}")
        return given
    if str(path) == STDIO:
        return "jsonl"
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in {"jsonl", "ndjson", "json"}:
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise InputError(f"{path}: cannot tell the format from the extension; pass {flag} ({', '.join(FORMATS)})")


def parse_columns(spec: str | dict[str, str] | None, *, fields: Iterable[str] = PRODUCT_FIELDS) -> dict[str, str]:
    """``title=Title,description="Body (HTML)"`` -> {field: input column}; a field must be one of ``fields``."""
    if not spec:
        return {}
    pairs = spec.items() if isinstance(spec, dict) else _split_pairs(spec)
    allowed = list(fields)
    mapping: dict[str, str] = {}
    for field, column in pairs:
        field, column = field.strip(), column.strip()
        if field not in allowed:
            guess = suggest_field(field)
            hint = f" (did you mean {guess!r}?)" if guess else ""
            raise InputError(f"--columns: {field!r} is not a product field{hint}; fields: {', '.join(allowed)}")
        if not column:
            raise InputError(f"--columns: name the input column for {field!r} (e.g. {field}=Title)")
        mapping[field] = column
    return mapping


def _split_pairs(spec: str) -> list[tuple[str, str]]:
    pairs = []
    for item in next(csv.reader([spec], skipinitialspace=True), []):
        field, sep, column = item.partition("=")
        if not sep:
            raise InputError(f"--columns: {item!r} is not field=column (e.g. title=Title,brand=Vendor)")
        pairs.append((field, column.strip().strip('"')))
    return pairs


class RecordSource:
    """The records of one input, streamed: read once, in order, never whole.

    ``peek(n)`` looks at the first records before tagging starts (to warn about unknown columns, or to find an
    empty input before an output file is touched); iterating afterwards yields them again, then the rest.
    """

    def __init__(self, source: str | Path, *, format: str | None = None, columns: dict[str, str] | None = None) -> None:
        self.source = source
        self.is_stdin = str(source) == STDIO
        self.name = "<stdin>" if self.is_stdin else str(source)
        self.format = detect_format(source, format)
        self.columns = columns or {}
        if self.format == "parquet" and self.is_stdin:
            raise InputError("Parquet cannot be read from stdin; give the file's path")
        if not self.is_stdin:
            path = Path(source)
            if not path.exists():
                raise InputError(f"{path}: no such file")
            if path.is_dir():
                raise InputError(f"{path}: is a directory, not a file of products")
            if path.is_file() and path.stat().st_size == 0:  # a named pipe has no size until it is read
                raise InputError(f"{path}: the file is empty: no products to read")
        self._peeked: list[Record] = []
        self._records: Iterator[Record] | None = None
        self._started = False

    def _open(self) -> Iterator[Record]:
        if self.format == "parquet":
            records = _read_parquet(Path(self.source))
        else:
            fh: IO[bytes] = sys.stdin.buffer if self.is_stdin else Path(self.source).open("rb")  # noqa: SIM115
            records = _read_jsonl(fh, self.name) if self.format == "jsonl" else _read_csv(fh, self.name)
        any_record = False
        for record in records:
            any_record = True
            if self.columns and record.data is not None:
                record.data = _rename(record.data, self.columns)
            yield record
        if not any_record:
            raise InputError(f"{self.name}: the input is empty: no products to read")

    def peek(self, n: int) -> list[Record]:
        """The first ``n`` records (fewer if the input is shorter), without consuming them."""
        if self._records is None:
            self._records = self._open()
        while len(self._peeked) < n:
            record = next(self._records, None)
            if record is None:
                break
            self._peeked.append(record)
        return self._peeked[:n]

    def __iter__(self) -> Iterator[Record]:
        if self._started:
            raise RuntimeError(f"{self.name}: the records of an input are read once")
        self._started = True
        if self._records is None:
            self._records = self._open()
        while self._peeked:
            yield self._peeked.pop(0)
        yield from self._records


def _rename(data: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """Apply --columns: the input column named for a field is read as that field."""
    out = dict(data)
    for field, column in columns.items():
        if column in out:
            out[field] = out.pop(column)
    return out


def read_records(
    source: str | Path, *, format: str | None = None, columns: dict[str, str] | None = None
) -> Iterator[Record]:
    """Yield raw records; a malformed line becomes a Record with an error and reading goes on."""
    yield from RecordSource(source, format=format, columns=columns)


def _utf16(first: bytes, name: str) -> None:
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: the file is UTF-16; re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")


def _not_utf8(name: str, line: int, raw: bytes, exc: UnicodeDecodeError) -> RecordError:
    return RecordError(
        line=line,
        message=f"{name}:{line}: not UTF-8 (byte {exc.start} is {raw[exc.start]:#04x}); re-save the file as UTF-8",
    )


def _lines(fh: IO[bytes], name: str) -> Iterator[tuple[int, bytes | None]]:
    """Physical lines (split on b'\\n' only, with their endings); an over-long line is yielded as None."""
    lineno = 0
    try:
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            lineno += 1
            if lineno == 1:
                _utf16(raw, name)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip to the end of the over-long line
                    raw = fh.readline(MAX_LINE_BYTES)
                yield lineno, None
                continue
            yield lineno, raw
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def _read_jsonl(fh: IO[bytes], name: str) -> Iterator[Record]:
    for lineno, raw in _lines(fh, name):
        if raw is None:
            message = f"{name}:{lineno}: the line is longer than {MAX_LINE_BYTES // 2**20} MiB"
            yield Record(lineno, None, RecordError(line=lineno, message=message))
            continue
        if not raw.strip():
            continue
        raw = raw.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield Record(lineno, None, _not_utf8(name, lineno, raw, exc))
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            message = f"{name}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})"
            yield Record(lineno, None, RecordError(line=lineno, message=message))
            continue
        except RecursionError:
            message = f"{name}:{lineno}: not readable JSON (nested too deeply)"
            yield Record(lineno, None, RecordError(line=lineno, message=message))
            continue
        except ValueError as exc:  # e.g. an integer of more digits than Python converts
            yield Record(lineno, None, RecordError(line=lineno, message=f"{name}:{lineno}: not readable JSON ({exc})"))
            continue
        if not isinstance(data, dict):
            message = f"{name}:{lineno}: expected a JSON object per line, got {_json_type(data)}"
            yield Record(lineno, None, RecordError(line=lineno, message=message))
            continue
        yield Record(lineno, data)


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


class _CsvLines:
    """Feeds csv.reader decoded physical lines and remembers those of the record being read, so that a malformed
    record can be reported by its first line and the lines after it read again as records of their own."""

    def __init__(self, fh: IO[bytes], name: str) -> None:
        self._source = _lines(fh, name)
        self._pushed: list[tuple[int, str, RecordError | None]] = []
        self.current: list[tuple[int, str, RecordError | None]] = []  # (line, text, decoding error) of this record
        self.name = name

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        if self._pushed:
            item = self._pushed.pop(0)
        else:
            lineno, raw = next(self._source)
            if raw is None:  # an over-long line: csv's own cell limit reports it
                item = (lineno, "x" * (MAX_CSV_CELL + 1) + "\n", None)
            else:
                try:
                    item = (lineno, raw.decode("utf-8-sig" if lineno == 1 else "utf-8"), None)
                except UnicodeDecodeError as exc:
                    item = (lineno, raw.decode("utf-8", errors="replace"), _not_utf8(self.name, lineno, raw, exc))
        self.current.append(item)
        return item[1]

    def take(self) -> tuple[int, RecordError | None]:
        """The first line of the record just read and its first decoding error; forgets its lines."""
        start = self.current[0][0] if self.current else 0
        bad = next((err for _, _, err in self.current if err is not None), None)
        self.current = []
        return start, bad

    def reread_after_first(self) -> int:
        """The record being read is malformed: its first line is returned to report, the lines after it go back."""
        start = self.current[0][0] if self.current else 0
        self._pushed = self.current[1:] + self._pushed
        self.current = []
        return start


def allow_long_cells() -> None:
    """Let Python's csv module read cells up to MAX_CSV_CELL (its default limit is 128 KiB)."""
    if csv.field_size_limit() < MAX_CSV_CELL:
        csv.field_size_limit(MAX_CSV_CELL)


def _read_csv(fh: IO[bytes], name: str) -> Iterator[Record]:
    allow_long_cells()
    lines = _CsvLines(fh, name)
    header: list[str] | None = None
    while True:
        try:
            for row in csv.reader(lines, strict=True):
                if header is not None and len(row) > len(header) and len(lines.current) > 1:
                    # a quoted cell ran over lines and left too many cells: most likely a quote never closed
                    start = lines.reread_after_first()
                    yield Record(start, None, RecordError(line=start, message=_csv_problem(name, start, "cells")))
                    continue
                start, bad = lines.take()
                if not row:
                    continue
                if header is None:
                    if bad is not None:
                        raise InputError(f"{bad.message.split(';')[0]}, in the header; re-save the file as UTF-8")
                    header = _header(row, name)
                else:
                    yield _csv_record(row, header, start, name, bad)
            return
        except csv.Error as exc:
            start = lines.reread_after_first()
            if header is None:
                raise InputError(f"{name}:{start}: the header row is not valid CSV ({exc})") from None
            yield Record(start, None, RecordError(line=start, message=_csv_problem(name, start, str(exc))))


def _header(row: list[str], name: str) -> list[str]:
    header = [cell.strip() for cell in row]
    seen: set[str] = set()
    for column in header:
        if column in seen and column:
            raise InputError(f"{name}:1: column {column!r} appears twice in the header; rename one")
        seen.add(column)
    return header


def _csv_problem(name: str, line: int, error: str) -> str:
    if "unexpected end of data" in error:
        what = "a quote opened here is never closed, so the rest of the file would be one cell"
    elif "field larger than field limit" in error:
        what = f"a cell is longer than {MAX_CSV_CELL // 2**20} MiB (often a quote that is never closed)"
    elif error == "cells":
        what = "a quoted cell runs over several lines and leaves more cells than the header has (a quote not closed?)"
    else:
        what = f"a quote is not closed, or a quote inside a cell is not doubled ({error})"
    return f"{name}:{line}: malformed CSV row: {what}; the lines after it are read as rows of their own"


def _csv_record(row: list[str], header: list[str], line: int, name: str, bad: RecordError | None) -> Record:
    if bad is not None:
        return Record(line, None, bad)
    if len(row) > len(header):
        return Record(line, None, RecordError(line=line, message=f"{name}:{line}: more cells than header columns"))
    data = {key: _cell(key, value) for key, value in zip(header, row, strict=False)}
    return Record(line, data)


def _cell(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key in JSON_COLUMNS and value.lstrip()[:1] in "{[":
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    if key in LIST_COLUMNS:
        return [v.strip() for v in value.split("|") if v.strip()]
    return value


def _read_parquet(path: Path) -> Iterator[Record]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "reading Parquet") from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a broken file
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            for data in batch.to_pylist():
                row += 1
                yield Record(row, {k: v for k, v in data.items() if v is not None})
    except OSError as exc:  # a damaged row group: what came before it was read
        message = f"{path}: row {row + 1} on cannot be read ({exc}); re-export the file"
        yield Record(row + 1, None, RecordError(line=row + 1, message=message))


def unknown_columns(records: Iterable[Record], limit: int = 50) -> dict[str, str | None]:
    """Columns of the first records that are not product fields: column -> the field it was probably meant as."""
    seen: dict[str, str | None] = {}
    for i, record in enumerate(records):
        if i >= limit:
            break
        for key in record.data or {}:
            if key not in PRODUCT_FIELDS and not key.startswith(GOLD_PREFIX) and key not in {"labels", "extra"}:
                seen.setdefault(key, suggest_field(key))
    return seen
