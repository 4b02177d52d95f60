"""Reading products: JSONL, CSV and Parquet, from a file or stdin, streamed record by record (the line formats are
read by ``tagllm.io.jsonl``, ``tagllm.io.csv_records`` and ``tagllm.io.parquet``).

A record that cannot be read becomes a ``Record`` with an error naming the file and line, and reading goes on:
nothing in the input vanishes without a record. Setup problems (no such file, an empty input, UTF-16) raise
``InputError`` before the first record.
"""

from __future__ import annotations

import csv
import difflib
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from tagllm.errors import InputError
from tagllm.io.continuations import Continuations
from tagllm.io.csv_records import allow_long_cells, read_csv
from tagllm.io.exports import as_product_record, gather_options, shopify_columns
from tagllm.io.headers import no_title_hint, output_refusal
from tagllm.io.jsonl import (
    Record,
    document_refused,
    json_document,
    one_line_document_refused,
    opens_document,
    read_jsonl,
)
from tagllm.io.parquet import read_parquet
from tagllm.missing import is_blank_cell
from tagllm.models import GOLD_PREFIX, PRODUCT_FIELDS, suggest_field

FIRST_RECORDS_CHECKED = 50  # the records a mistake in --columns / --keep-columns is looked for in, before the run

__all__ = [  # Record and allow_long_cells are imported from here by the rest of tagllm.io
    "FORMATS",
    "STDIO",
    "Record",
    "RecordSource",
    "allow_long_cells",
    "detect_format",
    "parse_columns",
    "read_records",
    "unknown_columns",
]

FORMATS = ("jsonl", "csv", "parquet")
_FULL_WIDTH_PAIR = re.compile(r"\s*，\s*(?=[^，=]+=)")
STDIO = "-"
# the workbooks spreadsheets save by default: read as CSV (--input-format csv), one is a zip archive
SPREADSHEETS = {"xlsx", "xlsm", "xls", "ods", "numbers"}
# products.jsonl.gz and the tool that decompresses it: read as lines, every one was bytes that are no text
COMPRESSED = {"gz": "gunzip -k", "bz2": "bunzip2 -k", "xz": "unxz -k", "zst": "unzstd", "zip": "unzip"}


def detect_format(
    path: str | Path, given: str | None = None, *, flag: str = "--input-format", output: bool = False
) -> str:
    """The format named by ``given``, else told from the extension; ``flag`` is what the user can pass instead, and
    ``output`` says the file is written, not read."""
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
    if suffix in SPREADSHEETS and output:
        raise InputError(
            f"{path}: a spreadsheet workbook is not written; write a .csv file (a spreadsheet opens it) or pass {flag} "
            f"({', '.join(FORMATS)})"
        )
    if suffix in SPREADSHEETS:  # --input-format csv read the workbook's zip archive
        raise InputError(
            f"{path}: a spreadsheet workbook is not read; save the sheet as CSV UTF-8 (Excel: File > Save As > CSV "
            "UTF-8) and give that file"
        )
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
        if field in mapping:  # the last one silently won
            given = f"{mapping[field]!r}, {column!r}"
            raise InputError(f"--columns: {field!r} is given twice ({given}); give it one column")
        other = next((f for f, c in mapping.items() if c == column), None)
        if other is not None:  # a column is read as one field: the second took it and left the first empty
            raise InputError(f"--columns: the column {column!r} is given to {other!r} and {field!r}; give it one field")
        mapping[field] = column
    return mapping


def _mapping(columns: Any) -> dict[str, str]:
    """``columns`` as given to the API, which must be a mapping: the command line's text ("title=Title,id=Handle", or
    a list of such pairs) was read as one, and failed deep in the reader ("'str' object has no attribute 'values'")."""
    if isinstance(columns, Mapping):
        return dict(columns)
    texts = (
        [columns]
        if isinstance(columns, str)
        else [str(item) for item in columns]
        if isinstance(columns, list | tuple)
        else []
    )
    example = dict(pair for text in texts for pair in _split_pairs(text)) or {"title": "Title"}
    raise InputError(
        f"columns {columns!r}: give a mapping of product field to input column, e.g. {example!r}, not the command "
        "line's text (tagllm.io.parse_columns reads that)"
    )


def _split_pairs(spec: str) -> list[tuple[str, str]]:
    pairs = []
    items = next(csv.reader([spec], skipinitialspace=True), [])
    # a full-width comma before the next field=column, as a Chinese input method types it: 'id=编号，title=标题'
    for item in (part for cell in items for part in _FULL_WIDTH_PAIR.split(cell)):
        field, sep, column = item.partition("=")
        if not sep:
            raise InputError(f"--columns: {item!r} is not field=column (e.g. title=Title,brand=Vendor)")
        pairs.append((field, column.strip().strip('"')))
    return pairs


class RecordSource:
    """The records of one input, streamed: read once, in order, never whole.

    ``peek(n)`` looks at the first records before tagging starts (to warn about unknown columns, or to find an
    empty input before an output file is touched); iterating afterwards yields them again, then the rest.
    ``join_continuations=False`` reads a table's rows as they are, one record each, for a reader of a column that is
    no product (``tagllm taxonomy map``): a row that repeats the one before's id is no variant of a product there.
    """

    def __init__(
        self,
        source: str | Path,
        *,
        format: str | None = None,
        columns: dict[str, str] | None = None,
        join_continuations: bool = True,
    ) -> None:
        self.source = source
        self.is_stdin = str(source) == STDIO
        self.name = "<stdin>" if self.is_stdin else str(source)
        if (suffix := Path(source).suffix.lower().lstrip(".")) in COMPRESSED and not self.is_stdin:
            raise InputError(f"{source}: the input is compressed; decompress it first ({COMPRESSED[suffix]} {source})")
        if not self.is_stdin:  # before the format: a folder or a missing file was told to pass --input-format
            path = Path(source)
            if not path.exists():
                raise InputError(f"{path}: no such file")
            if path.is_dir():
                raise InputError(f"{path}: is a directory, not a file of products")
            if path.is_file() and path.stat().st_size == 0:  # a named pipe has no size until it is read
                raise InputError(f"{path}: the file is empty: no products to read")
        # a .tsv is read as CSV: its header shows the tab that separates its columns (an output is written as none)
        tsv = not format and Path(source).suffix.lower() == ".tsv"
        self.format = "csv" if tsv else detect_format(source, format)
        self.columns = _mapping(columns) if columns else {}
        self.join_continuations = join_continuations
        if self.format == "parquet" and self.is_stdin:
            raise InputError("Parquet cannot be read from stdin; give the file's path")
        self._peeked: list[Record] = []
        self._records: Iterator[Record] | None = None
        self._started = False
        self.header: list[str] | None = None  # CSV, Parquet: the columns, read with the first record
        # CSV, Parquet read without columns: whether its header is a Shopify product export's, read as one
        self.shopify_export = False
        # CSV, Parquet: a Shopify export's variant and photo rows
        self.continuations = Continuations(self.name, on_join=self._joined)
        self.mapped_seen: set[str] = set()  # the --columns columns a record read so far had (a JSONL has no header)
        self.empty_rows = 0  # CSV, Parquet: rows whose cells are all empty, no product's

    def _open(self) -> Iterator[Record]:
        if self.format == "jsonl" and not self.is_stdin and (document := _json_document(Path(self.source))):
            # each line would be an error record ("[", '  "id": "s1",' …, or one array), no product tagged
            raise document_refused(self.name, *document)
        if self.format == "parquet":
            records = read_parquet(Path(self.source), self._read_header)
        else:
            fh: IO[bytes] = sys.stdin.buffer if self.is_stdin else Path(self.source).open("rb")  # noqa: SIM115
            if self.format == "jsonl":
                records = read_jsonl(fh, self.name)
            else:
                records = read_csv(fh, self.name, self._read_header)
        any_record = False
        renamed: Iterator[Record] = (self._renamed(record) for record in records)
        if self.format == "jsonl":  # {"products": [ … ]} on one line: refused as it is pretty-printed
            renamed = one_line_document_refused(renamed, self.name)
        if self.format != "jsonl" and self.join_continuations:  # a table's variant and photo rows join their product
            renamed = self.continuations.join(self._filled(renamed), reads_photos=self._reads_photos)
            renamed = self._export_records(renamed)
        for record in renamed:
            any_record = True
            yield record
        if not any_record:
            raise InputError(f"{self.name}: the input is empty: no products to read")

    def _renamed(self, record: Record) -> Record:
        if self.columns and record.data is not None:
            self.mapped_seen.update(column for column in self.columns.values() if column in record.data)
            record.data = rename_columns(record.data, self.columns)
        if self.columns and record.readable:  # a bad record's id is looked for under its field's name
            record.readable = rename_columns(record.readable, self.columns)
        return record

    def _filled(self, records: Iterator[Record]) -> Iterator[Record]:
        """A table's rows but those whose cells are all empty (``,,``: Excel writes one for each row whose cells were
        cleared), counted in ``empty_rows``: read as products, each was an error record ("has no title") that every
        resume tried again."""
        for record in records:
            if record.data is not None and all(is_blank_cell(value) for value in record.data.values()):
                self.empty_rows += 1
                continue
            yield record

    def _read_header(self, columns: list[str]) -> None:
        """Keep a table's header; one of a Shopify product export, with no ``columns`` given, is read as one."""
        self.header = columns
        export = shopify_columns(columns) if not self.columns and self.join_continuations else None
        if export is not None:
            self.columns = export
            self.shopify_export = True

    def _joined(self, first: dict[str, Any], row: dict[str, Any]) -> None:
        if self.shopify_export:
            gather_options(first, row)

    def _export_records(self, records: Iterator[Record]) -> Iterator[Record]:
        """A Shopify export's rows (joined) with its options, type and tags as attributes; other tables' as they are."""
        for record in records:
            if self.shopify_export and record.data is not None:
                record.data = as_product_record(record.data)
            yield record

    def _reads_photos(self) -> bool:
        """Whether the table's columns hold photos (after ``--columns``): a variant's photo is then read too."""
        renamed = {column: field for field, column in self.columns.items()}
        return "images" in {renamed.get(column, column) for column in self.header or ()}

    @property
    def joined(self) -> int:
        """Rows of further photos added to the product row before them (a Shopify export's image rows)."""
        return self.continuations.photo_rows

    @property
    def variants(self) -> int:
        """Variant rows added to the product row before them (a Shopify export's second and later variants)."""
        return self.continuations.variant_rows

    def require_title(self) -> None:
        """A CSV or Parquet input whose columns hold no title (after ``--columns``), or any input that is the output
        of a run, would make every record an error record: refuse it before the first product, naming its columns
        (and a separator other than the comma)."""
        if (refusal := output_refusal(self.name, self.peek(1))) is not None:
            raise InputError(refusal)
        if self.header is None:
            return
        renamed = {column: field for field, column in self.columns.items()}
        shown = ", ".join(repr(column) for column in self.header[:12]) + (" …" if len(self.header) > 12 else "")
        named = self.columns.get("title")
        if named is not None and named not in self.header:
            # a column of its own called title was read instead: the products were tagged from a column the user
            # had just said does not hold their titles
            raise InputError(
                f"{self.name}: no column {named!r} for --columns title={named} (the columns are {shown}); name the "
                "column that holds the titles"
            )
        if "title" in {renamed.get(column, column) for column in self.header}:
            return
        hint = no_title_hint(self.header, self.format, self.peek(5))
        raise InputError(f"{self.name}: no title column (the columns are {shown}); {hint}")

    def unread_columns(self, kept: Iterable[str] = ()) -> tuple[dict[str, str], dict[str, str]]:
        """What none of the first records has, with what that does: by field, each ``columns`` mapping
        (``"title=name: FILE has no column 'name'; its own 'title' is read instead"``), and by column, each kept
        column (``"SKU: FILE has no column 'SKU'; its cells will be empty"``), for the caller to put its setting's
        name before."""
        first = self.peek(FIRST_RECORDS_CHECKED)
        if not first:
            return {}, {}
        present = {key for record in first for key in record.data or {}}
        mapped = {}
        for field, column in self.columns.items():
            if column not in self.mapped_seen:
                # a record's own column of that name is read instead: say so, as the user just said it is not the one
                instead = f"; its own {field!r} is read instead" if field in present else ""
                mapped[field] = (
                    f"{field}={column}: {self.name} has no column {column!r}{_close(column, present)}{instead}"
                )
        empty = {
            column: f"{column}: {self.name} has no column {column!r}{_close(column, present)}; its cells will be empty"
            for column in kept
            if column not in present and column not in self.mapped_seen  # a mapped one is read as its field
        }
        return mapped, empty

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


def rename_columns(data: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
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


def _json_document(path: Path, limit: int = 2**20) -> tuple[str, str] | None:
    """What a JSONL file holds instead of one object per line, and the jq filter that rewrites it, or None (see
    ``json_document``); read here, before the records, as a line of many products may be longer than a record's."""
    if not path.is_file():  # a named pipe: a second reader would take records from the first
        return None
    with path.open("rb") as fh:
        line = fh.readline(limit)
        while line and not line.strip():
            line = fh.readline(limit)
        if not opens_document(line):
            return None
        start = line
        while line and not line.endswith(b"\n"):  # the rest of a long line (many products)
            line = fh.readline(limit)
        following = next((line for line in _head_lines(fh, limit) if line.strip()), None)
    return json_document(start, following)


def _head_lines(fh: IO[bytes], limit: int = 2**20) -> Iterator[bytes]:
    """The first whole lines of a file, each under ``limit`` bytes (a longer one ends them: it is not read whole)."""
    while (line := fh.readline(limit)) and (line.endswith(b"\n") or len(line) < limit):
        yield line


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


def _close(column: str, present: Iterable[str]) -> str:
    """`` (did you mean 'brand'?)`` when a column the input has is close to ``column`` (a typo, another case), else
    empty."""
    by_lower = {name.lower(): name for name in sorted(present, key=str)}
    close = difflib.get_close_matches(column.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""
