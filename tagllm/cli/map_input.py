"""The strings `tagllm taxonomy map` reads: its arguments, stdin's lines, or one field of a JSONL, CSV or Parquet
file's records, each record that cannot be read kept in its row with a note naming its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tagllm.missing import is_nan_number


def check_output(file: Path) -> None:
    """Rows printed into the file --file reads (`> legacy.csv`, `>> legacy.csv`) would be written over or after the
    tags they are read from: said before the file is read."""
    import os
    import sys

    from tagllm.errors import InputError

    try:
        into_input = os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(file))
    except (OSError, ValueError, AttributeError):  # no such file (said when read), a pipe's stand-in, no stdout
        return
    if into_input:
        emptied = " (the shell's > has already emptied it: restore it first)" if os.stat(file).st_size == 0 else ""
        raise InputError(
            f"{file}: the output (stdout) goes into this file, the one --file reads: the rows would be written over "
            f"or after the strings they are read from{emptied}; send the output to another file"
        )


def check_sources(strings: list[str] | None, file: str | None, column: str | None) -> None:
    """The strings come from the arguments, else --file, else stdin: an option the source taken would ignore is a
    mistake said before anything is mapped (a CSV piped to stdin with --column was mapped line by line, each line
    rejected whole; strings given with --file replaced the file)."""
    from tagllm.errors import InputError

    if strings and file:
        raise InputError(
            f"give the strings to map as arguments or with --file, not both: the {len(strings)} argument(s) would be "
            f"mapped and {file} not read"
        )
    if column and not file:
        named = next((s for s in strings or [] if Path(s).is_file()), None)
        whole = "each argument" if strings else "each line of stdin"
        raise InputError(
            f"--column {column!r} names a field of the --file's records, and no --file was given: {whole} would be "
            f"mapped whole; give the file with --file {named or 'FILE'} --column {column!r}"
        )


def read_texts(
    strings: list[str] | None, file: str | None, column: str | None
) -> tuple[list[str | list[str]], dict[int, str]]:
    """The strings to map, from the arguments, else --file's column, else stdin's lines, with a note for each record
    of the file that holds no readable string (by its index)."""
    import sys

    if strings:
        return list(strings), {}
    if file:
        return read_column(Path(file), column)
    lines, notes = read_lines(sys.stdin.buffer.read())
    return list(lines), notes


def read_lines(data: bytes) -> tuple[list[str], dict[int, str]]:
    """Lines of stdin, split on newlines only (not on U+2028 or form feeds), and the lines that are not UTF-8: each
    keeps its row, rejected with the reason naming the line. A final newline ends the last line."""
    from tagllm.io.jsonl import not_utf8

    lines = [line.removesuffix(b"\r") for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n")]
    if lines and lines[-1] == b"":
        lines.pop()
    texts: list[str] = []
    notes: dict[int, str] = {}
    for i, raw in enumerate(lines):
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            notes[i] = not_utf8("<stdin>", i + 1, raw, exc).message
            texts.append("")
    return texts, notes


def read_column(path: Path, column: str | None) -> tuple[list[str | list[str]], dict[int, str]]:
    """The strings of one JSONL key or CSV (or Parquet) column, one per record, and the records that could not be
    read, as ``tagllm generate`` reads products: a record that is not valid JSON or CSV, not UTF-8 or without the
    key keeps its row, rejected with the reason naming the line, and the records after it are read.
    """
    from tagllm.errors import InputError
    from tagllm.io.readers import RecordSource, detect_format

    if not column:
        raise InputError(f"{path}: name the field holding the strings with --column")
    try:
        fmt = detect_format(path)
    except InputError:  # a column in a file of another extension (.txt, .tsv) is read as CSV
        fmt = "csv"
    texts: list[str | list[str]] = []
    notes: dict[int, str] = {}
    columns: set[str] = set()
    not_objects: list[str] = []  # JSONL lines that are a JSON string or array, not an object with the field
    records = RecordSource(path, format=fmt, join_continuations=False)  # one output row per row, however ids repeat
    for record in records:
        if record.error is not None and _NOT_AN_OBJECT in record.error.message:
            not_objects.append(record.error.message)
        if record.data is not None and column in record.data:
            texts.append(_cell_text(record.data[column]))
            continue
        if record.data is not None and column in (records.header or ()):
            texts.append("")  # a null Parquet cell, left out of its record: an empty cell, not a missing column
            continue
        if record.data is not None:
            columns.update(record.data)
        notes[len(texts)] = record.error.message if record.error else f"{path}:{record.line}: no field {column!r}"
        texts.append("")
    if texts and len(notes) == len(texts) and columns:
        raise InputError(f"{path}: no record has the field {column!r}; {_fields_hint(fmt, sorted(columns))}")
    if texts and len(not_objects) == len(texts):  # a file of tags written one JSON string per line
        raise InputError(
            f"{not_objects[0]}, as is every line: --column {column!r} reads a field of one JSON object per line; "
            f"write each line as {{{json.dumps(column)}: …}}, or map the lines as they are: "
            f"tagllm taxonomy map < {path}"
        )
    return texts, notes


_NOT_AN_OBJECT = ": expected a JSON object per line, got "
"""What the JSONL reader says of a line that is valid JSON but no object."""


def _fields_hint(fmt: str, columns: list[str]) -> str:
    """The fields a file's records have; a CSV header holding a tab or a semicolon is a file separated by it."""
    from tagllm.io.csv_records import separator_in

    sep = next(filter(None, map(separator_in, columns)), None) if fmt == "csv" else None
    if sep is None:
        return f"fields: {', '.join(columns)}"
    shown = ", ".join(map(repr, columns))
    return f"fields: {shown}: its columns seem separated by {sep!r}: re-save it separated by commas"


def _cell_text(value: Any) -> str | list[str]:
    """A cell as the string mapped: a list as its items' strings (``map_texts`` maps each with --literal, else reads
    the list as an answer), an object as JSON (mapped as an answer), and what JSON has no type for (a Parquet cell of
    a date, a decimal, or bytes: a string column written as binary) as it reads."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return (
            [item if isinstance(item, str) else _scalar_text(item) for item in value if item is not None]
            if _flat(value)
            else _json(value)
        )
    if not isinstance(value, dict):
        return _scalar_text(value)
    return _json(value)


def _flat(value: list[Any] | tuple[Any, ...]) -> bool:
    """A list of strings or scalars, not of lists or objects (a nested list is mapped as the answer it reads as)."""
    return not any(isinstance(item, list | tuple | dict) for item in value)


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=_scalar_text)
    except ValueError:
        return ""


def _scalar_text(value: Any) -> str:
    """Bytes as UTF-8 text (an undecodable byte becomes a lone surrogate, rejected as not valid Unicode), NaN (a
    missing cell, as ``json.dumps`` of a pandas row writes it) as an empty cell, a bool as the file writes it (true),
    any other value as ``str`` writes it (2024-05-01, 19.99, 12)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    if isinstance(value, bool):
        return json.dumps(value)
    return "" if is_nan_number(value) else str(value)
