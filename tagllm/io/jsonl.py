"""JSON Lines: physical lines of a byte stream (over-long ones cut), one record per line, each bad line an error
record naming the file and line."""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from tagllm.errors import InputError
from tagllm.io.encodings import carriage_returns, legacy_chinese, packed, utf16
from tagllm.io.json_keys import RepeatedKey, loads_unique, repeated_key
from tagllm.io.partial_json import fields_despite_bytes, leading_fields
from tagllm.models import PRODUCT_FIELDS, RecordError

_FILE_BANNER = re.compile(r"==> (.+) <==")
MAX_LINE_BYTES = 16 * 2**20  # a longer JSONL line is an error record, not a reason to hold gigabytes
# the lines whose first one with other bytes than ASCII shows a file saved in GBK (before tagging: a run reads its first
# records, FIRST_RECORDS_CHECKED, before it writes; each of those is a line at least)
ENCODING_CHECKED_LINES = 50


@dataclass
class Record:
    """One input record: its line (1-based; row number for Parquet) and the raw mapping, or why it is bad. A bad one
    may hold the fields that could be read reliably all the same (``readable``: a JSON line's top-level keys before
    it breaks, a CSV row's cells at its ends), so that its error record is named by its id."""

    line: int
    data: dict[str, Any] | None
    error: RecordError | None = None
    readable: dict[str, Any] | None = None


def not_utf8(name: str, line: int, raw: bytes, exc: UnicodeDecodeError) -> RecordError:
    return RecordError(
        line=line,
        message=f"{name}:{line}: not UTF-8 (byte {exc.start} is {raw[exc.start]:#04x}); re-save the file as UTF-8",
    )


def lines(fh: IO[bytes], name: str, is_csv: bool = False) -> Iterator[tuple[int, bytes | None]]:
    """Physical lines (split on b'\\n' only, with their endings); an over-long line is yielded as None. ``is_csv``:
    the lines are a CSV's, for the advice on a file in a legacy encoding."""
    lineno = 0
    text_seen = False  # whether a line of the first ENCODING_CHECKED_LINES held bytes other than ASCII
    try:
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            lineno += 1
            if lineno == 1:
                utf16(raw, name)
                packed(raw, name)
                carriage_returns(raw, name)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip to the end of the over-long line
                    raw = fh.readline(MAX_LINE_BYTES)
                yield lineno, None
                continue
            if not text_seen and lineno <= ENCODING_CHECKED_LINES and not raw.isascii():
                text_seen = True
                legacy_chinese(raw, name, lineno, is_csv)  # or Windows-1252
            yield lineno, raw
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


# the keys a JSON document holds its products under, as shop APIs export them (Shopify's and WooCommerce's
# {"products": [ … ]}), and the first line of such a document pretty-printed
WRAPPER_KEYS = ("products", "items", "data", "records", "results", "rows")
_WRAPPER = re.compile(rb'"(' + "|".join(WRAPPER_KEYS).encode() + rb')"\s*:\s*\[')


def opens_document(line: bytes) -> bool:
    """Whether a first non-blank line may open a JSON document rather than hold a record: a bracket alone, or an
    array of objects beginning."""
    start = line.removeprefix(b"\xef\xbb\xbf").strip()
    return start in (b"[", b"{") or (start.startswith(b"[") and start[1:].lstrip().startswith(b"{"))


def json_document(start: bytes, following: bytes | None) -> tuple[str, str] | None:
    """What an input holds instead of one object per line, told from its first non-blank line and the next one (None
    when there is none), and the jq filter that rewrites it; or None: a JSON document spread over lines
    (``json.dump(products, f, indent=2)``: its first line a bracket alone) or an array of objects on one line
    (``json.dump(products, f)``). A stray bracket or array line followed by a JSON object is an error record of its
    own, and the records after it are read."""
    if not opens_document(start):
        return None
    start = start.removeprefix(b"\xef\xbb\xbf").strip()
    if following is None and start in (b"[", b"{"):  # a bracket alone: one error record, as any line that is no object
        return None
    try:
        if following is not None and isinstance(json.loads(following), dict):
            return None
    except ValueError:
        pass
    jq = "'.[]'" if start.startswith(b"[") else "."
    if start == b"{" and following is not None and (wrapper := _WRAPPER.fullmatch(following.strip())):
        # {"products": [ … ]}, as shop APIs export them: '.' wrote the whole as one record with no title
        jq = f"'.{wrapper.group(1).decode()}[]'"
    if following is None:
        return "one JSON array of products on one line", jq
    return "one JSON document over several lines", jq


def document_refused(name: str, what: str, jq: str) -> InputError:
    """The refusal of an input that is one JSON document (``json_document``), with the jq line that rewrites it."""
    how = f"jq -c {jq} FILE | tagllm …" if name == "<stdin>" else f"jq -c {jq} {name} > products.jsonl"
    return InputError(
        f"{name}: {what}, not JSON Lines (one product object per line); write one object per line, e.g. {how}"
    )


def wrapped_products(data: dict[str, Any]) -> str | None:
    """The key under which a record with no title holds a list of products (``{"products": [{…}, …]}``, a shop API's
    export), or None."""
    if "title" in data:
        return None
    for key in WRAPPER_KEYS:
        value = data.get(key)
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            return key
    return None


def one_line_document_refused(records: Iterator[Record], name: str) -> Iterator[Record]:
    """``records`` as they are, but refusing an input whose first and only record holds the products under a key
    (``json.dump({"products": products}, f)``, the whole export on one line): it was one error record with no title
    and no hint, where the same document pretty-printed is refused with the jq line (``json_document``)."""
    first = next(records, None)
    if first is None:
        return
    key = wrapped_products(first.data) if first.data is not None else None
    if key is not None:
        second = next(records, None)
        if second is None:
            raise document_refused(name, f'one JSON document on one line, its products under "{key}"', f"'.{key}[]'")
        yield first
        yield second
    else:
        yield first
    yield from records


def _documents_refused(numbered: Iterator[tuple[int, bytes | None]], name: str) -> Iterator[tuple[int, bytes | None]]:
    """``numbered`` lines as they are, but refusing a stream that is one JSON document (``json_document``): read from
    stdin (``cat products.json | tagllm generate -``), each of its lines was an error record, and a record alone on
    a line between them was tagged."""
    ahead: list[tuple[int, bytes | None]] = []
    for item in numbered:
        ahead.append(item)
        if item[1] is None or item[1].strip():
            break
    start = ahead[-1][1] if ahead else None
    if start is not None and start.strip() and opens_document(start):
        following = next(((n, raw) for n, raw in numbered if raw is None or raw.strip()), None)
        if following is not None:
            ahead.append(following)
        next_line = None if following is None else following[1] or b""  # an over-long line (None) is no object
        if document := json_document(start, next_line):
            raise document_refused(name, *document)
    yield from ahead
    yield from numbered


def read_jsonl(fh: IO[bytes], name: str) -> Iterator[Record]:
    first = True  # the first line that is not blank: a CSV header there means the input is CSV
    for lineno, raw in _documents_refused(lines(fh, name), name):
        if raw is None:
            message = f"{name}:{lineno}: the line is longer than {MAX_LINE_BYTES // 2**20} MiB"
            yield Record(lineno, None, RecordError(line=lineno, message=message))
            continue
        if not raw.strip():
            continue
        raw = raw.rstrip(b"\r\n")
        is_first, first = first, False
        try:
            text = raw.decode("utf-8-sig")  # a BOM begins each file of several joined (cat a.jsonl b.jsonl)
        except UnicodeDecodeError as exc:
            yield Record(lineno, None, not_utf8(name, lineno, raw, exc), fields_despite_bytes(raw))
            continue
        try:
            data = _loads_line(text)
        except RepeatedKey as exc:
            yield Record(lineno, None, repeated_key(name, lineno, exc, exc.data))
            continue
        except json.JSONDecodeError as exc:
            if is_first and (columns := csv_header(text)):
                # a CSV piped in (cat products.csv | tagllm generate -), read as JSON Lines: each row an error record
                raise InputError(
                    f"{name}:{lineno}: the first line is a CSV header ({', '.join(map(repr, columns[:6]))}"
                    f"{' …' if len(columns) > 6 else ''}), not a JSON object: the input is CSV; read it as CSV "
                    "(--input-format csv)"
                ) from None
            # json's "Unterminated string starting at" names its column itself: it read "starting at at column 53"
            message = f"{name}:{lineno}: not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})"
            if (joined := file_banner(text)) is not None:
                message = (
                    f"{name}:{lineno}: {text.strip()!r} is the line tail (or head) writes before each file it joins "
                    f"({joined}), not a product; join JSON Lines files with cat a.jsonl b.jsonl > all.jsonl"
                )
            yield Record(lineno, None, RecordError(line=lineno, message=message), leading_fields(text))
            continue
        except RecursionError:
            message = f"{name}:{lineno}: not readable JSON (nested too deeply)"
            yield Record(lineno, None, RecordError(line=lineno, message=message), leading_fields(text))
            continue
        except ValueError as exc:  # e.g. an integer of more digits than Python converts
            message = f"{name}:{lineno}: not readable JSON ({exc})"
            yield Record(lineno, None, RecordError(line=lineno, message=message), leading_fields(text))
            continue
        if not isinstance(data, dict):
            message = f"{name}:{lineno}: expected a JSON object per line, got {_json_type(data)}"
            yield Record(lineno, None, RecordError(line=lineno, message=message))
            continue
        for key in ("id", "title", "description", "brand"):
            if isinstance(data.get(key), float) and math.isfinite(data[key]):
                data[key] = _number_as_written(text, key)
        yield Record(lineno, data)


def _loads_line(text: str) -> Any:
    """A line's JSON; an object followed by a comma alone (the items of a JSON array copied without its brackets) is
    read as that object: each such line was an error record ("Extra data"), though it holds a whole product."""
    try:
        return loads_unique(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text[exc.pos :].strip() == "," and text.lstrip().startswith("{"):
            return loads_unique(text[: exc.pos])
        raise


def csv_header(text: str) -> list[str] | None:
    """The columns of ``text`` when it is a CSV header naming a product field (``id,title,brand``;
    ``Handle;Title;Vendor``), else None."""
    for separator in (",", ";", "\t", "|"):
        try:
            columns = [cell.strip() for cell in next(csv.reader([text], delimiter=separator), [])]
        except csv.Error:  # a carriage return inside the line: no header csv wrote
            return None
        if len(columns) > 1 and any(column.lower() in PRODUCT_FIELDS for column in columns):
            return columns
    return None


def file_banner(text: str) -> str | None:
    """The file named by the line ``tail -n +1 a b`` (or ``head``) writes before each file, ``==> a <==``, or None."""
    match = _FILE_BANNER.fullmatch(text.strip())
    return match.group(1) if match else None


def _number_as_written(text: str, key: str) -> str:
    """A record's id (or text field) that is a JSON number with a fraction or exponent, as the line writes it: read as
    a float it was spelt as Python prints it ("1e2" as "100.0"), so an id could not be joined back to its record, and
    two ids a float cannot tell apart (12345678901234567890.0 and 12345678901234567891.0, both
    "1.2345678901234567e+19") were one product, the second never tagged."""
    return str(json.loads(text, parse_float=str)[key])


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
