"""JSON Lines: physical lines of a byte stream (over-long ones cut), one record per line, each bad line an error
record naming the file and line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tagllm.errors import InputError
from tagllm.models import RecordError

MAX_LINE_BYTES = 16 * 2**20  # a longer JSONL line is an error record, not a reason to hold gigabytes


@dataclass
class Record:
    """One input record: its line (1-based; row number for Parquet) and the raw mapping, or why it is bad."""

    line: int
    data: dict[str, Any] | None
    error: RecordError | None = None


def utf16(first: bytes, name: str) -> None:
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: the file is UTF-16; re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")


def carriage_returns(first: bytes, name: str) -> None:
    """Lines ended by a carriage return alone (classic Mac OS, Excel for Mac's "CSV (Macintosh)") are one line split on
    b'\\n': a CSV's header row would hold every row, a JSONL's first record every record."""
    if b"\n" not in first and b"\r" in first.rstrip(b"\r"):
        suffix = Path(name).suffix or ".txt"
        raise InputError(
            f"{name}: its lines end with a carriage return alone (classic Mac OS, Excel for Mac's CSV (Macintosh)); "
            f"re-save it with LF or CRLF line endings, e.g. tr '\\r' '\\n' < {name} > fixed{suffix}"
        )


def not_utf8(name: str, line: int, raw: bytes, exc: UnicodeDecodeError) -> RecordError:
    return RecordError(
        line=line,
        message=f"{name}:{line}: not UTF-8 (byte {exc.start} is {raw[exc.start]:#04x}); re-save the file as UTF-8",
    )


def lines(fh: IO[bytes], name: str) -> Iterator[tuple[int, bytes | None]]:
    """Physical lines (split on b'\\n' only, with their endings); an over-long line is yielded as None."""
    lineno = 0
    try:
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            lineno += 1
            if lineno == 1:
                utf16(raw, name)
                carriage_returns(raw, name)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip to the end of the over-long line
                    raw = fh.readline(MAX_LINE_BYTES)
                yield lineno, None
                continue
            yield lineno, raw
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def read_jsonl(fh: IO[bytes], name: str) -> Iterator[Record]:
    for lineno, raw in lines(fh, name):
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
            yield Record(lineno, None, not_utf8(name, lineno, raw, exc))
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
