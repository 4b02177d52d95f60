"""What an earlier run left in an output file, and the crash-safe steps that keep one row per product id.

A run only ever appends to its output (JSONL, CSV) or adds part files next to it (Parquet), so a kill loses at
most the row being written. Resuming cuts that torn last row off (the file is truncated at the end of its last
complete row: completed rows are never rewritten) and tags again every product whose last row is an error, or (routing
mode) kept the default's tags because the LLM failed, or is partial (two_step: the category answered, the attribute
step failed), or was tagged from its text alone because none of its photos could be read (degraded), or was tagged
from a text the record no longer has (the row's ``input_hash``). Making one row per product again is
``tagllm.io.compaction``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.errors import InputError, OutputError, missing_dependency
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

_JSONL_HEAD = re.compile(rb'^\{"product_id":("(?:[^"\\]|\\.)*"),"status":"(ok|error)"')
_JSONL_ID = re.compile(rb'^\{"product_id":("(?:[^"\\]|\\.)*"),')  # a row of ours, however much of it is left
_FELL_BACK_MARK = b'"source":"default","routing":{'  # where a JSONL row's routing starts when the default's tags stayed
_DEGRADED_MARK = b',"degraded":{'  # a JSONL row tagged from its text alone: the key is not inside any string
_UNFETCHED_MARK = b',"unfetched_photos":['  # a JSONL row tagged from its text alone, its remote photos not fetched
_PARTIAL_MARK = b',"facet_errors":{'  # a JSONL row some of whose facets went untagged: a step asking for them failed
NOT_OURS = "is this the output of tagllm generate? write to a new file instead"
_JSONL_HASH = re.compile(rb',"input_hash":"([0-9a-f]+)"\}\s*$')
# a JSONL row's provenance opens with the backend (and model): a kept input column named taxonomy_version is not it
_JSONL_TAXONOMY = re.compile(
    rb'"provenance":\{"backend":"(?:[^"\\]|\\.)*",(?:"model":"(?:[^"\\]|\\.)*",)?"taxonomy_version":"([^"\\]*)"'
)


@dataclass
class OutputState:
    """Per product id, its last row in the output (rows numbered from 0 in file order) and whether it failed or,
    routed to the LLM, kept the default's tags because the LLM failed (``fell_back``), or is partial, a step asking
    for some of its facets failed (``partial``), or was tagged from its text alone because no photo could be read
    (``degraded``) or because its remote photos were not to be fetched (``unfetched``: done, unless a run may fetch
    them)."""

    last: dict[str, int] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    fell_back: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)
    degraded: set[str] = field(default_factory=set)
    unfetched: set[str] = field(default_factory=set)
    hashes: dict[str, str] = field(default_factory=dict)  # the fingerprint its last row was tagged from, if written
    taxonomies: dict[str, str] = field(default_factory=dict)  # JSONL: the taxonomy version its last row names, if any
    rows: int = 0
    complete_bytes: int = 0  # JSONL/CSV: where the last complete row ends; bytes after it are a torn row
    header: list[str] | None = None  # CSV: the header row
    schema: Any = None  # Parquet: the columns and their types

    def add(self, product_id: str, outcome: str, digest: str | None = None) -> None:
        """A row for ``product_id`` with ``outcome`` (OK, ERROR, FELL_BACK, PARTIAL, DEGRADED or UNFETCHED) after the
        rows counted so far, tagged from a product of fingerprint ``digest``."""
        self.last[product_id] = self.rows
        if digest:
            self.hashes[product_id] = digest
        else:
            self.hashes.pop(product_id, None)
        self.rows += 1
        marks = self._marks()
        for marked in marks.values():
            marked.discard(product_id)
        if outcome in marks:
            marks[outcome].add(product_id)

    def _marks(self) -> dict[str, set[str]]:
        """The products whose last row has each outcome but OK."""
        outcomes = (ERROR, FELL_BACK, PARTIAL, DEGRADED, UNFETCHED)
        sets = (self.failed, self.fell_back, self.partial, self.degraded, self.unfetched)
        return dict(zip(outcomes, sets, strict=True))

    def forget(self, product_ids: set[str]) -> None:
        """Count these products' rows as gone (``compact`` and ``merge_parts`` leave them out)."""
        for product_id in product_ids:
            self.last.pop(product_id, None)
            self.hashes.pop(product_id, None)
            self.taxonomies.pop(product_id, None)
            for marked in self._marks().values():
                marked.discard(product_id)

    def is_done(self, product_id: str, *, fetch_remote: bool = False) -> bool:
        """Its last row is a result that needs nothing more: not an error, not the default's for a failed LLM, not a
        partial one (the category alone: the attribute step failed), not the text's for photos that could not be
        read, nor (when this run fetches remote photos, ``fetch_remote``) the text's for remote photos that were not
        to be fetched."""
        return product_id in self.last and not (
            product_id in self.failed
            or product_id in self.fell_back
            or product_id in self.partial
            or product_id in self.degraded
            or (fetch_remote and product_id in self.unfetched)
        )

    def is_edited(self, product_id: str, digest: str | None, earlier: Callable[[], str | None] = lambda: None) -> bool:
        """Its last row was tagged from another text than ``digest``'s, or than ``earlier``'s (the fingerprint an
        earlier version of the reader gave the same record); rows written without a fingerprint: no. ``earlier`` is
        called only when the row's fingerprint is not ``digest``: it reads the record's attributes again, which every
        record paid for on every run, with no row or an unchanged one."""
        known = self.hashes.get(product_id)
        return known is not None and digest is not None and known != digest and known != earlier()

    @property
    def superseded(self) -> int:
        """Rows that a later row of the same product replaces."""
        return self.rows - len(self.last)


def output_file(target: Path) -> Path:
    """The file a symlinked output names (``latest.jsonl -> runs/r1.jsonl``): read, locked and recorded beside it, and
    replaced there by a compaction or merge. Taken as it was, a compaction replaced the link with a copy, leaving the
    file it named with a product's rows twice; its settings record and lock were looked for beside the link (a resume
    under other settings went unchecked, and two runs naming the output differently wrote it at once)."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def temp_path(target: Path) -> Path:
    return target.with_name(target.name + ".tmp")


def parts_dir(target: Path) -> Path:
    return target.with_name(target.name + ".parts")


def merged_parts_dir(target: Path) -> Path:
    """Where a Parquet output's parts go, in one rename, when the merge of them is done (``compaction.merge_parts``)."""
    return target.with_name(target.name + ".parts.merged")


def finish_merge(target: Path) -> None:
    """Finish a Parquet merge killed after its parts were moved to ``OUT.parts.merged``: its copy (``OUT.tmp``, whole
    before they were moved) renamed over the output, if it was not yet, and the merged parts removed."""
    merged = merged_parts_dir(target)
    if not merged.is_dir():
        return
    if temp_path(target).exists():
        os.replace(temp_path(target), target)
    shutil.rmtree(merged, ignore_errors=True)


def part_files(target: Path) -> list[Path]:
    directory = parts_dir(target)
    return sorted(directory.glob("part-*.parquet")) if directory.is_dir() else []


def remove_output(target: Path, fmt: str) -> None:
    """A fresh run replaces an output: the file, a merge or compaction left half done, and Parquet parts. A JSONL or
    CSV file is emptied here, before the run records its settings beside it: emptied only once the record was
    written, a run killed between the two left the old rows under the new settings, and a resume took them as done."""
    temp_path(target).unlink(missing_ok=True)
    if fmt == "parquet":
        target.unlink(missing_ok=True)
        shutil.rmtree(parts_dir(target), ignore_errors=True)
        shutil.rmtree(merged_parts_dir(target), ignore_errors=True)
    elif target.is_file():
        os.truncate(target, 0)


def check_replaceable(target: Path, fmt: str) -> None:
    """A run without ``--resume`` replaces its output: refused where the file there is not an output of tagllm
    generate (its first row not one tagllm writes, nor a record of its settings beside it): ``-o products.csv``
    naming the catalogue kept beside the JSONL being tagged emptied it before the first product, without a word."""
    from tagllm.io.settings import settings_path

    target = output_file(target)
    if not target.is_file() or target.stat().st_size == 0 or settings_path(target).exists():
        return
    with target.open("rb") as fh:
        first = fh.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    if first.startswith(b'{"product_id":') or re.match(rb"product_id[,;\t]", first):
        return  # a JSONL or CSV output, whichever this run writes
    if first.startswith(b"PAR1"):
        try:
            names = pyarrow_parquet().read_schema(target).names
        except Exception:  # pyarrow raises several unrelated types for a broken file
            names = []
        if {"product_id", "status", "result_json"} <= set(names):
            return
    line = first.split(b"\n", 1)[0][:60].decode("utf-8", errors="replace").strip()
    shown = "Parquet" if first.startswith(b"PAR1") else f"its first line: {line!r}"
    raise OutputError(
        f"{target}: the file there is not an output of tagllm generate ({shown}), and this run would replace it "
        f"({fmt.upper()} results): give another output file, or remove it first"
    )


# -- reading an output ---------------------------------------------------------------------------------------------
def scan_output(target: Path, fmt: str) -> OutputState:
    """Read what an earlier run wrote; a torn last row is left out (``complete_bytes`` says where it starts)."""
    if fmt == "parquet":
        finish_merge(target)
    temp_path(target).unlink(missing_ok=True)  # a compaction or merge killed half way: the output is still whole
    state = OutputState()
    if fmt == "parquet":
        for source in [target] if target.exists() else []:
            _scan_parquet(source, state)
        for part in part_files(target):
            _scan_parquet(part, state, part_of=target)
        return state
    if not target.exists():
        return state
    rows = jsonl_rows(target) if fmt == "jsonl" else csv_rows(target, state)
    for product_id, status, line, end, digest in rows:
        state.add(product_id, status, digest)
        state.complete_bytes = end
        if fmt == "jsonl":
            _note_taxonomy(state, product_id, line)
    return state


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


def _note_taxonomy(state: OutputState, product_id: str, line: bytes) -> None:
    """The taxonomy version a JSONL row's provenance names (a row without provenance or an error row: none)."""
    found = _JSONL_TAXONOMY.search(line)
    if found:
        state.taxonomies[product_id] = found.group(1).decode()
    else:
        state.taxonomies.pop(product_id, None)


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
                _outcome(row[status], failure),
                raw,
                offset,
                (row[digest] if digest is not None else "") or None,
            )


def _is_torn(row: list[str], header: list[str] | None) -> bool:
    """Whether a last CSV row without a line end was cut off by a kill. One saved so by an editor (which leaves the
    last line without one) is whole: a row of every column, its fingerprint (a run's last column) of all its digits
    or none. A kill cuts a row short of a column, or in the fingerprint, or inside a quoted cell (``csv_rows``)."""
    if header is None or len(row) < len(header):
        return True
    return (
        header[-1] == HASH_COLUMN and len(row) == len(header) and row[-1] != "" and len(row[-1]) != FINGERPRINT_DIGITS
    )


def _looks_like(first: bytes, fmt: str) -> str | None:
    """What to do when an output's first row is one tagllm writes in the other format (``fmt``), else None."""
    looks = first.startswith(b'{"product_id":') if fmt == "jsonl" else first.startswith(b"product_id,")
    if not looks:
        return None
    return f"it looks like a {fmt.upper()} output of tagllm generate: resume with --output-format {fmt}"


def _outcome(status: Any, error: Any) -> str:
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


def _scan_parquet(path: Path, state: OutputState, *, part_of: Path | None = None) -> None:
    """Add the rows of a Parquet output, or of a part of one (``part_of``: the output it belongs to)."""
    pq = pyarrow_parquet()
    try:
        schema = pq.read_schema(path)
        names = ["product_id", "status", "error", *([HASH_COLUMN] if HASH_COLUMN in schema.names else [])]
        table = pq.read_table(path, columns=names)
    except Exception as exc:  # pyarrow raises several unrelated types for a broken file
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if part_of is not None:  # one batch: tagging everything again would throw away the output and the other parts
            raise InputError(
                f"{path}: not a readable part of the Parquet output {part_of} ({why}), so --resume cannot tell what "
                f"it holds; move it out of {path.parent} and resume: the products it held are tagged again"
            ) from None
        raise InputError(
            f"{path}: not a readable Parquet output of tagllm generate ({why}), so --resume "
            "cannot tell what is done; move it aside and run without --resume to tag everything again"
        ) from None
    if state.schema is None:
        state.schema = schema.remove_metadata()
    columns = [table.column(name).to_pylist() for name in names]
    if len(columns) == 3:  # written before outputs held fingerprints
        columns.append([None] * table.num_rows)
    for product_id, status, error, digest in zip(*columns, strict=True):
        state.add(str(product_id), _outcome(status, error), digest)


def pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "Parquet output") from None
    return pq
