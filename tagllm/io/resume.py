"""What an earlier run left in an output file, and the crash-safe steps that keep one row per product id.

A run only ever appends to its output (JSONL, CSV) or adds part files next to it (Parquet), so a kill loses at
most the row being written. Resuming cuts that torn last row off (the file is truncated at the end of its last
complete row: completed rows are never rewritten) and tags again every product whose last row is an error, or (routing
mode) kept the default's tags because the LLM failed, or is partial (two_step: the category answered, the attribute
step failed), or was tagged from its text alone because none of its photos could be read (degraded), or was tagged
from a text the record no longer has (the row's ``input_hash``). Making one row per product again is
``tagllm.io.compaction``; reading a JSONL or CSV output's rows is ``tagllm.io.written_rows``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.errors import InputError, OutputError, missing_dependency
from tagllm.io.rows import DEGRADED, ERROR, FELL_BACK, HASH_COLUMN, PARTIAL, UNFETCHED
from tagllm.io.written_rows import csv_rows, jsonl_rows, row_outcome

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


def _note_taxonomy(state: OutputState, product_id: str, line: bytes) -> None:
    """The taxonomy version a JSONL row's provenance names (a row without provenance or an error row: none)."""
    found = _JSONL_TAXONOMY.search(line)
    if found:
        state.taxonomies[product_id] = found.group(1).decode()
    else:
        state.taxonomies.pop(product_id, None)


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
        state.add(str(product_id), row_outcome(status, error), digest)


def pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "Parquet output") from None
    return pq
