"""CSV records: a header row, then a record per row, read with the quoted cells that run over lines; a row that is
malformed or not UTF-8 is an error record naming its first line, and the lines after it are read as rows again; a row
that repeats the header (two files joined) is an error record too, not a product."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from tagllm.errors import InputError
from tagllm.io.json_keys import RepeatedKey, loads_unique, repeated_key
from tagllm.io.jsonl import Record, file_banner, lines, not_utf8
from tagllm.io.partial_json import intact_fields
from tagllm.models import RecordError

MAX_CSV_CELL = 16 * 2**20  # csv's default limit of 128 KiB refuses a long but real HTML description
EXCEL_SEPARATOR = re.compile(r'"?sep=([,;\t|])"?,*')  # a first line naming the separator, as Excel reads one
SEPARATORS = (",", ";", "\t", "|")  # the separators a CSV's header is read with, the comma first
LIST_COLUMNS = {"queries"}  # in CSV: a JSON list, or values separated by '|'
JSON_COLUMNS = {"attributes", "labels", "queries", "extra"}  # in CSV: a cell may hold JSON
UNNAMED = "column {}"  # the name of a column whose header cell is empty, by its place
# ``images`` is read as it is, whatever the input: Product splits a cell of several photos (tagllm.image_refs)


class _CsvLines:
    """Feeds csv.reader decoded physical lines and remembers those of the record being read, so that a malformed
    record can be reported by its first line and the lines after it read again as records of their own."""

    def __init__(self, fh: IO[bytes], name: str) -> None:
        self._source = lines(fh, name, is_csv=True)
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
                    # a BOM begins each file of several joined (cat a.csv b.csv): kept, it began the row's first cell
                    item = (lineno, raw.decode("utf-8-sig"), None)
                except UnicodeDecodeError as exc:
                    item = (lineno, raw.decode("utf-8", errors="replace"), not_utf8(self.name, lineno, raw, exc))
        self.current.append(item)
        return item[1]

    def first_line(self) -> str | None:
        """The first line that is not blank (the header's), left to be read again; None for an input of none."""
        text = ""
        try:
            while not text.strip():
                text = next(self)
        except StopIteration:
            return None
        finally:
            self._pushed = self.current + self._pushed
            self.current = []
        return text

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


def read_csv(fh: IO[bytes], name: str, on_header: Callable[[list[str]], None] | None = None) -> Iterator[Record]:
    """The records of a CSV; ``on_header`` is given the header's columns once they are read."""
    allow_long_cells()
    lines = _CsvLines(fh, name)
    first = lines.first_line()
    declared = EXCEL_SEPARATOR.fullmatch(first.strip()) if first is not None else None
    if declared:  # 'sep=;' before the header, which Excel reads the separator from: it was taken for the header
        while not next(lines).strip():
            pass
        lines.take()
        separator = declared.group(1)
    else:
        separator = sniff_separator(first) if first is not None else ","
    header: list[str] | None = None
    while True:
        try:
            for row in csv.reader(lines, delimiter=separator, strict=True):
                if header is not None and len(row) > len(header) and len(lines.current) > 1:
                    # a quoted cell ran over lines and left too many cells: most likely a quote never closed
                    start = lines.reread_after_first()
                    yield Record(start, None, RecordError(line=start, message=_csv_problem(name, start, "cells")))
                    continue
                start, bad = lines.take()
                if not row:
                    if header is not None and len(header) == 1:  # a one-column file's empty cell, as pandas writes it
                        yield _csv_record([""], header, start, name, bad)
                    continue
                if header is None:
                    if bad is not None:
                        raise InputError(f"{bad.message.split(';')[0]}, in the header; re-save the file as UTF-8")
                    header = _header(row, name)
                    if on_header is not None:
                        on_header(header)
                elif bad is None and _names(row) == header:
                    yield Record(start, None, RecordError(line=start, message=_repeated_header(name, start)))
                else:
                    yield _csv_record(row, header, start, name, bad, separator)
            return
        except csv.Error as exc:
            sep = separator_in(lines.current[0][1]) if header is None and lines.current else None
            start = lines.reread_after_first()
            if header is None:
                hint = f"; its columns seem separated by {sep!r}: re-save it separated by commas" if sep else ""
                raise InputError(f"{name}:{start}: the header row is not valid CSV ({exc}){hint}") from None
            yield Record(start, None, RecordError(line=start, message=_csv_problem(name, start, str(exc))))


def sniff_separator(header: str) -> str:
    """The separator of a CSV whose header row is ``header``: the comma, unless it leaves the header one column that
    the semicolon (Excel's CSV where a comma is the decimal mark: most of Europe), the tab or the bar cuts into several.
    Read with commas alone, such a file was refused, and Excel there cannot save commas. (A header cut by commas too,
    ``id;title;"size, cm"``, is refused naming its separator: ``RecordSource.require_title``.)"""
    cells = {}
    for separator in SEPARATORS:
        try:
            cells[separator] = len(next(csv.reader([header], delimiter=separator), []))
        except csv.Error:  # a carriage return inside the line
            cells[separator] = 0
    if cells[","] > 1:
        return ","
    return max(SEPARATORS, key=lambda separator: cells[separator])  # the first of the most: the comma when none cuts


def separator_in(text: str) -> str | None:
    """The separator a header read as comma-separated holds in a column (or its line): the file is not separated by
    commas."""
    return next((sep for sep in (";", "\t", "|") if sep in text), None)


def _header(row: list[str], name: str) -> list[str]:
    if (joined := file_banner(",".join(row))) is not None:
        # files joined with tail -n +1 a.csv b.csv: read as a header of one column, '==> a.csv <==' (no title column)
        raise InputError(
            f"{name}:1: {','.join(row).strip()!r} is the line tail (or head) writes before each file it joins "
            f"({joined}), not the header; join CSV files keeping one header: tail -n +2 b.csv >> a.csv"
        )
    header = _names(row)
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise InputError(f"{name}:1: column {column!r} appears twice in the header; rename one")
        seen.add(column)
    return header


def _names(row: list[str]) -> list[str]:
    """A header row's column names: an unnamed one by its place ("column 3"), as a spreadsheet shows it; all named ''
    (Excel's columns past the table, "id,title,,,"), they were one key, the last one's cell, warned of as column ''."""
    return [cell.strip() or UNNAMED.format(place) for place, cell in enumerate(row, 1)]


def _repeated_header(name: str, line: int) -> str:
    # files joined with cat: the second file's header was tagged as a product with id "id" and title "title"
    return (
        f"{name}:{line}: the row repeats the header: two files joined (cat a.csv b.csv)? It is not read as a "
        "product; join CSV files with tail -n +2 b.csv >> a.csv"
    )


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


def _csv_record(
    row: list[str], header: list[str], line: int, name: str, bad: RecordError | None, separator: str = ","
) -> Record:
    if bad is not None:  # its cells are where the header says: one without a byte replaced is read as written
        return Record(line, None, bad, intact_fields(dict(zip(header, row, strict=False))))
    if len(row) > len(header) and not any(cell.strip() for cell in row[len(header) :]):
        row = row[: len(header)]  # empty cells past the header's (a separator ending each row): nothing to lose
    if len(row) > len(header):
        shown = {"\t": "a tab"}.get(separator, repr(separator))
        message = (
            f"{name}:{line}: more cells than header columns ({len(row)}, the header has {len(header)}): a cell holding "
            f'{shown} must be quoted ("Jeans{separator} blue")'
        )
        return Record(line, None, RecordError(line=line, message=message), _end_cells(row, header))
    data: dict[str, Any] = {}
    for place, (key, value) in enumerate(zip(header, row, strict=False), 1):
        if key == UNNAMED.format(place) and not value.strip():
            continue  # an unnamed column's empty cell (Excel's columns past the table): nothing to keep or warn of
        try:
            data[key] = _cell(key, value)
        except RepeatedKey as exc:  # a JSON cell giving a key two values: json would keep the last without a word
            cells = dict(zip(header, row, strict=False))
            return Record(line, None, repeated_key(name, line, exc, cells, (key,)))
    return Record(line, data)


def _end_cells(row: list[str], header: list[str]) -> dict[str, Any]:
    """The cells of a row with more cells than the header that are read right: the first column's, counted from the
    row's start, and the last column's, counted from its end (a middle column's cell may be shifted), each only when
    the unquoted separators are known to be elsewhere; an id there names the row's error record. They are known when
    as many cells as the row has too many start with a space (a text's "Jeans, blue", not a column's start): the
    separators before those. Otherwise an unquoted separator may be in the end cell itself (an id "A,17" read as "A"),
    and a fragment of its id named the row, where its line names it unambiguously."""
    spaced = {place for place, cell in enumerate(row) if place and cell[:1].isspace()}
    if len(header) < 2 or len(spaced) != len(row) - len(header):
        return {}
    cells = {}
    if 1 not in spaced:  # the separator after the first cell is a column's
        cells[header[0]] = _cell(header[0], row[0])
    if len(row) - 1 not in spaced:  # and the one before the last cell
        cells[header[-1]] = _cell(header[-1], row[-1])
    return cells


def _cell(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key in JSON_COLUMNS and value.lstrip()[:1] in "{[":
        try:
            return loads_unique(value)
        except RepeatedKey:
            raise
        except (ValueError, RecursionError):
            return value
    if key in LIST_COLUMNS:
        return [v.strip() for v in value.split("|") if v.strip()]
    return value
