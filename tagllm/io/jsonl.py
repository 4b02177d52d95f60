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
from pathlib import Path
from typing import IO, Any

from tagllm.errors import InputError
from tagllm.io.json_keys import RepeatedKey, loads_unique, repeated_key
from tagllm.io.partial_json import fields_despite_bytes, leading_fields
from tagllm.models import PRODUCT_FIELDS, RecordError
from tagllm.text import has_cjk

_FILE_BANNER = re.compile(r"==> (.+) <==")
MAX_LINE_BYTES = 16 * 2**20  # a longer JSONL line is an error record, not a reason to hold gigabytes
# the lines whose first one with other bytes than ASCII shows a file saved in GBK (before tagging: a run reads its first
# records, FIRST_RECORDS_CHECKED, before it writes; each of those is a line at least)
ENCODING_CHECKED_LINES = 50
# the signs besides letters that Western text holds in Windows-1252 (a no-break space, dashes, quotes, €, °, ½ …)
WESTERN_MARKS = set("\xa0–—‘’‚“”„…•€£¥¢°®©™«»×÷±½¼¾·§¶¿¡ªº¹²³µ")


@dataclass
class Record:
    """One input record: its line (1-based; row number for Parquet) and the raw mapping, or why it is bad. A bad one
    may hold the fields that could be read reliably all the same (``readable``: a JSON line's top-level keys before
    it breaks, a CSV row's cells at its ends), so that its error record is named by its id."""

    line: int
    data: dict[str, Any] | None
    error: RecordError | None = None
    readable: dict[str, Any] | None = None


def utf16(first: bytes, name: str) -> None:
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: the file is UTF-16; re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in first[:2]:
        # UTF-16 without a byte order mark (a NUL beside each ASCII letter): each line was an error record ("not
        # valid JSON"), a CSV's header columns read as 'i\x00d\x00'
        order = "UTF-16LE" if first[1:2] == b"\x00" else "UTF-16BE"
        raise InputError(
            f"{name}: the file seems {order} (a zero byte beside each letter); re-save it as UTF-8 "
            f"(e.g. iconv -f {order} -t UTF-8)"
        )


# the first bytes of a compressed file -> how it is compressed, and the tool that decompresses it. Read as lines, each
# line was an error record ("not UTF-8; re-save the file as UTF-8"), or a CSV's header refused as not UTF-8
COMPRESSION = {
    b"\x1f\x8b": ("gzip", "gunzip"),
    b"\xfd7zXZ\x00": ("xz", "unxz"),
    b"\x28\xb5\x2f\xfd": ("zstd", "unzstd"),
}
BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")  # "BZh" alone may begin a CSV header
ZIP = b"PK\x03\x04"
PARQUET = b"PAR1"


def packed(first: bytes, name: str) -> None:
    """Refuse a file that is compressed, a zip archive (an Excel workbook is one) or Parquet: its bytes are no text."""
    if first.startswith(PARQUET):  # cat products.parquet | tagllm generate -: each "line" was an error record
        how = "give its path instead" if name == "<stdin>" else "read it with --input-format parquet"
        raise InputError(f"{name}: the input is a Parquet file, read here as text; {how}")
    if first.startswith(ZIP):
        why = "a zip archive (an Excel workbook is one); unzip it, or save the sheet as CSV UTF-8"
        raise InputError(f"{name}: the input is {why}")
    kind, tool = next((kind for magic, kind in COMPRESSION.items() if first.startswith(magic)), (None, None))
    if BZIP2.match(first):
        kind, tool = "bzip2", "bunzip2"
    if kind is None:
        return
    how = f"{tool} -c FILE | tagllm …" if name == "<stdin>" else f"{tool} -k {name}"
    raise InputError(f"{name}: the input is compressed with {kind}; decompress it first ({how})")


def carriage_returns(first: bytes, name: str) -> None:
    """Lines ended by a carriage return alone (classic Mac OS, Excel for Mac's "CSV (Macintosh)") are one line split on
    b'\\n': a CSV's header row would hold every row, a JSONL's first record every record."""
    if b"\n" not in first and b"\r" in first.rstrip(b"\r"):
        suffix = Path(name).suffix or ".txt"
        raise InputError(
            f"{name}: its lines end with a carriage return alone (classic Mac OS, Excel for Mac's CSV (Macintosh)); "
            f"re-save it with LF or CRLF line endings, e.g. tr '\\r' '\\n' < {name} > fixed{suffix}"
        )


# What wrote a file in a Windows legacy encoding, and how to write it in UTF-8 instead, for a CSV (Excel) and for JSON
# Lines (a program: Python's open() on Windows writes the legacy encoding unless told otherwise); Excel's CSV advice
# given for a JSONL file named a tool that never wrote it.
CHINESE_WRITERS = {
    True: ("as Excel saves a CSV on Chinese Windows", "re-save it as UTF-8"),
    False: (
        "as a program on Chinese Windows writes text unless told to write UTF-8",
        'write it as UTF-8 (Python: open(path, "w", encoding="utf-8")), or convert it',
    ),
}
WESTERN_WRITERS = {
    True: ('as Excel saves "CSV (Comma delimited)" on Western Windows', 're-save it as "CSV UTF-8", or convert it'),
    False: (
        "as a program on Western Windows writes text unless told to write UTF-8",
        'write it as UTF-8 (Python: open(path, "w", encoding="utf-8")), or convert it',
    ),
}


def legacy_chinese(first: bytes, name: str, line: int, is_csv: bool = True) -> None:
    """The first line of a file that is not ASCII is Chinese saved in GBK/GB18030 (Excel's CSV on Chinese Windows),
    not UTF-8: each row holding Chinese would be an error record and the rest tagged; refused before the first (as
    Windows-1252 is, ``legacy_western``), saying what likely wrote it: Excel for a CSV, a program for JSON Lines."""
    try:
        first.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    try:
        text = first.decode("gb18030")
    except UnicodeDecodeError:
        legacy_western(first, name, line, is_csv)
        return
    chinese = [c for c in text if has_cjk(c)]
    # GB2312's ideographs are two bytes over 0xa0: most of a Chinese text's; a Latin-1 accent before an ASCII letter
    # ('è' 'm' in 'Crème') also decodes as an ideograph, whose second byte is that letter
    common = sum(1 for c in chinese if c.encode("gb18030")[-1] > 0xA0)
    if not chinese or common < 0.8 * len(chinese):
        legacy_western(first, name, line, is_csv)
        return
    wrote, fix = CHINESE_WRITERS[is_csv]
    raise InputError(
        f"{name}:{line}: the file is not UTF-8: it reads as Chinese saved in GBK/GB18030 ({wrote}); {fix}, e.g. "
        f"iconv -f GB18030 -t UTF-8 {_converted(name)}"
    )


def legacy_western(first: bytes, name: str, line: int, is_csv: bool = True) -> None:
    """The first line of a file that is not ASCII, and not UTF-8, reads as Windows-1252 (Excel's "CSV (Comma
    delimited)" on Western Windows; Latin-1): each row with an accent (Crème, Hermès, 100% Baumwolle – …) was an error
    record and the rest tagged; refused before the first, showing the word as it reads, for the user to judge."""
    if any(not c.isascii() and c != "\ufffd" for c in first.decode("utf-8", errors="replace")):
        return  # UTF-8 text beside the bad bytes (a cell cut inside a letter): that line's error record says so
    try:
        text = first.decode("cp1252")
    except UnicodeDecodeError:  # a byte Windows-1252 leaves undefined: no guess at the encoding
        return
    if not all(c.isascii() or (c.isalpha() and c != "ÿ") or c in WESTERN_MARKS for c in text):
        return  # stray bytes (0xff is seldom text) in a UTF-8 file: that line's error record says so
    words = [w for w in re.split(r"[\s,;|\"]+", text) if not w.isascii()]
    if not words:  # a no-break space alone (0xa0) is no word to judge the encoding by: the line's error record says so
        return
    word = next((w for w in words if any(c.isalpha() and not c.isascii() for c in w)), words[0])[:40]  # Hermès, not –
    wrote, fix = WESTERN_WRITERS[is_csv]
    raise InputError(
        f"{name}:{line}: the file is not UTF-8: it reads as Windows-1252 ({word!r}), {wrote}; {fix}, e.g. "
        f"iconv -f WINDOWS-1252 -t UTF-8 {_converted(name)}"
    )


def _converted(name: str) -> str:
    """What iconv reads and writes to convert the input ``name``."""
    path = Path(name)
    return f"{name} > {path.with_name(f'{path.stem}-utf8{path.suffix}')}" if name != "<stdin>" else "FILE | tagllm …"


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
