"""The rows an earlier run wrote, read back one format at a time: each complete row's product id, outcome and
fingerprint, a torn last row left out, and a line or file that is no output of ours refused with what to do.

JSONL rows are read by their head and tail where that tells everything (most rows), and parsed whole only where a row
may need tagging again; CSV rows by the csv module, a kill's cut-off row told from one an editor saved without a line
end. Parquet's rows are read by ``tagllm.io.resume``, which decides from all of them what is done.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.errors import InputError
from tagllm.io.csv_records import allow_long_cells
from tagllm.io.rows import (
    DEGRADED,
    ERROR,
    FELL_BACK,
    FELL_BACK_NOTE,
    FINGERPRINT_DIGITS,
    HASH_COLUMN,
    OK,
    PARTIAL,
    UNFETCHED,
    is_degraded_note,
    is_partial_note,
    is_unfetched_note,
)

if TYPE_CHECKING:
    from tagllm.io.resume import OutputState


_JSONL_HEAD = re.compile(rb'^\{"product_id":("(?:[^"\\]|\\.)*"),"status":"(ok|error)"')
_JSONL_ID = re.compile(rb'^\{"product_id":("(?:[^"\\]|\\.)*"),')  # a row of ours, however much of it is left
_FELL_BACK_MARK = b'"source":"default","routing":{'  # where a JSONL row's routing starts when the default's tags stayed
_DEGRADED_MARK = b',"degraded":{'  # a JSONL row tagged from its text alone: the key is not inside any string
_UNFETCHED_MARK = b',"unfetched_photos":['  # a JSONL row tagged from its text alone, its remote photos not fetched
_PARTIAL_MARK = b',"facet_errors":{'  # a JSONL row some of whose facets went untagged: a step asking for them failed
NOT_OURS = "is this the output of tagllm generate? write to a new file instead"
_JSONL_HASH = re.compile(rb',"input_hash":"([0-9a-f]+)"\}\s*$')


def jsonl_rows(path: Path) -> Generator[tuple[str, str, bytes, int, str | None]]:
    """(product id, outcome, the line, offset after it, fingerprint) per complete line; stops before a torn last
    line. A last line without its newline that is a whole row (a script that filtered the output joined its rows
    with newlines, none after the last) is one: a kill cuts a row short of its closing brace. A blank line is none.
    """
    offset = 0
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.endswith(b"\n") and not _whole_row(line):
                return
            offset += len(line)
            if not line.strip():  # an editor's cleared row, outputs joined with a blank line: no row, nothing lost
                continue
            head = _JSONL_HEAD.match(line)
            digest = _jsonl_hash(line)  # found only at the end of a whole ok row: one cut short is parsed, and refused
            if head and digest and not _may_need_retry(line):
                yield json.loads(head.group(1)), head.group(2).decode(), line, offset, digest
                continue
            try:
                data = json.loads(line)
                product_id, status = data["product_id"], data["status"]
                failure = (data.get("routing") or {}).get("error") if status == OK else None
                partial = data.get("facet_errors") if status == OK else None
                degraded = data.get("degraded") if status == OK else None
                unfetched = data.get("unfetched_photos") if status == OK else None
            except (ValueError, KeyError, TypeError, AttributeError):
                raise InputError(_not_a_row(path, lineno, line)) from None
            outcome = ERROR if status != OK else FELL_BACK if failure else PARTIAL if partial else OK
            outcome = DEGRADED if outcome == OK and degraded else outcome
            outcome = UNFETCHED if outcome == OK and unfetched else outcome
            yield str(product_id), outcome, line, offset, _jsonl_hash(line)


def _whole_row(line: bytes) -> bool:
    try:
        row = json.loads(line)
    except ValueError:
        return False
    return isinstance(row, dict) and "product_id" in row and "status" in row


def _not_a_row(path: Path, lineno: int, line: bytes) -> str:
    """Why --resume stops at a line it cannot read: a row of ours cut short or damaged in the middle of the file (an
    edit, a disk fault) names its product, as taking it for done would leave a line no reader can parse."""
    ours = _JSONL_ID.match(line)
    if ours:
        return (
            f"{path}:{lineno}: the row of product {json.loads(ours.group(1))!r} is damaged (not whole JSON), so "
            "--resume cannot tell what is done; delete that line and resume to tag the product again"
        )
    hint = _looks_like(line, "csv") if lineno == 1 else None
    return f"{path}:{lineno}: not a result row, so --resume cannot tell what is done; {hint or NOT_OURS}"


def _jsonl_hash(line: bytes) -> str | None:
    found = _JSONL_HASH.search(line, max(0, len(line) - 64))
    return found.group(1).decode() if found else None


def _may_need_retry(line: bytes) -> bool:
    """Whether an ok JSONL row may hold a routing error, a partial or a degraded mark (the whole row is then parsed
    to tell): cheap, since in routing mode most rows are the default's, and most products' photos are read."""
    if line.rfind(_DEGRADED_MARK) >= 0 or line.rfind(_UNFETCHED_MARK) >= 0 or line.rfind(_PARTIAL_MARK) >= 0:
        return True
    start = line.find(_FELL_BACK_MARK)
    return start >= 0 and line.find(b'"error":{', start) >= 0


def csv_rows(path: Path, state: OutputState | None = None) -> Generator[tuple[str, str, bytes, int, str | None]]:
    """As ``jsonl_rows``, for a CSV output; the header goes to ``state.header`` and is not yielded."""
    allow_long_cells()  # a cell of a column kept from the input may be as long as the input's
    with path.open("rb") as fh:
        taken: list[bytes] = []

        def lines() -> Iterator[str]:
            for number, raw in enumerate(fh):
                taken.append(raw)
                text = raw.decode("utf-8", errors="replace")
                # a spreadsheet that saved the output (Excel's "CSV UTF-8") put a byte order mark before the header
                yield text.removeprefix("\ufeff") if number == 0 else text

        offset = 0
        header: list[str] | None = None
        reader = csv.reader(lines(), strict=True)
        while True:
            try:
                row = next(reader, None)
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    return  # a quoted cell cut off by the kill
                if header is None and (hint := _looks_like(b"".join(taken), "jsonl")):
                    raise InputError(f"{path}: not a CSV output of tagllm generate; {hint}") from None
                raise InputError(f"{path}:{reader.line_num}: not a CSV row tagllm wrote ({exc})") from None
            if row is None:
                return
            raw = b"".join(taken)
            taken.clear()
            if not raw.endswith(b"\n") and _is_torn(row, header):
                return  # the last row, cut off by the kill
            offset += len(raw)
            if not raw.strip():  # a blank line (an editor's cleared row): no row, as in JSONL
                continue
            if header is None:
                header = row
                if state is not None:
                    state.header, state.complete_bytes = row, offset
                if "product_id" not in row or "status" not in row:
                    hint = _looks_like(raw, "jsonl") or NOT_OURS
                    raise InputError(f"{path}: no product_id and status columns; {hint}")
                pid, status = row.index("product_id"), row.index("status")
                error = row.index("error") if "error" in row else None
                digest = row.index(HASH_COLUMN) if HASH_COLUMN in row else None
                continue
            if len(row) != len(header):
                raise InputError(f"{path}:{reader.line_num}: {len(row)} cells where the header has {len(header)}")
            failure = row[error] if error is not None else None
            yield (
                row[pid],
                row_outcome(row[status], failure),
                raw,
                offset,
                (row[digest] if digest is not None else "") or None,
            )


def _is_torn(row: list[str], header: list[str] | None) -> bool:
    """Whether a last CSV row without a line end was cut off by a kill. One saved so by an editor (which leaves the
    last line without one) is whole: a row of every column, its fingerprint (a run's last column) of all its digits.
    A kill cuts a row short of a column, or in the fingerprint (right after the comma before it too: an empty one),
    or inside a quoted cell (``csv_rows``); taken for torn, a whole row without a fingerprint is only tagged again."""
    if header is None or len(row) < len(header):
        return True
    return header[-1] == HASH_COLUMN and len(row) == len(header) and len(row[-1]) != FINGERPRINT_DIGITS


def _looks_like(first: bytes, fmt: str) -> str | None:
    """What to do when an output's first row is one tagllm writes in the other format (``fmt``), else None."""
    looks = first.startswith(b'{"product_id":') if fmt == "jsonl" else first.startswith(b"product_id,")
    if not looks:
        return None
    return f"it looks like a {fmt.upper()} output of tagllm generate: resume with --output-format {fmt}"


def row_outcome(status: Any, error: Any) -> str:
    """A CSV/Parquet row's outcome from its status and error cells."""
    if status != OK or not isinstance(error, str):
        return ERROR if status != OK else OK
    if error.startswith(FELL_BACK_NOTE):
        return FELL_BACK
    if is_partial_note(error):
        return PARTIAL
    if is_degraded_note(error):
        return DEGRADED
    return UNFETCHED if is_unfetched_note(error) else OK
