"""Writing results as they are ready: JSONL, CSV or Parquet, to a file (resumable) or stdout (JSONL, CSV).

``ResultWriter`` owns the output's lifecycle: the checks made before a model loads, opening (replacing or resuming),
writing batch by batch, and closing to one row per product id. What a batch's rows are in each format is
``tagllm.io.batch_rows``."""

from __future__ import annotations

import csv
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tagllm.errors import InputError, OutputError, os_reason
from tagllm.io.batch_rows import csv_cells, jsonl_text, part_rows, write_part
from tagllm.io.compaction import compact, cut_torn_row, input_ranks, is_in_order, merge_parts
from tagllm.io.layout import choose_layout
from tagllm.io.lock import OutputLock, scan_locked, signature
from tagllm.io.places import check_output_name, check_output_place, is_device
from tagllm.io.readers import STDIO, detect_format
from tagllm.io.resume import (
    OutputState,
    check_replaceable,
    output_file,
    part_files,
    parts_dir,
    remove_output,
    scan_output,
    temp_path,
)
from tagllm.io.rows import (
    SEPARATOR,
    encodable,
    encodable_result,
    flat_row,
    kept_columns,
    outcome,
    parquet_schema,
    refuse_column_clashes,
    table_row,
)
from tagllm.io.settings import (
    check_row_taxonomies,
    check_settings,
    check_settings_place,
    read_settings,
    write_settings,
)

__all__ = ["SEPARATOR", "ResultWriter", "flat_row", "parquet_schema", "table_row"]  # the row functions live in rows
from tagllm.models import TagResult


class ResultWriter:
    """Writes results as they come, so that a kill loses at most the batch being written.

    JSONL and CSV rows are appended and flushed per batch. Parquet, which cannot be appended to, gets one small
    file per batch under ``OUTPUT.parts/``, merged into OUTPUT in row groups when the writer closes. With
    ``resume``, what an earlier run wrote is kept (``state`` says which products are done) and new rows are added;
    ``close`` then leaves one row per product id. ``provenance=False`` leaves the provenance out of JSONL rows and
    Parquet's ``result_json``; ``keep_columns`` are input columns carried into each row. Creating a writer checks
    the output (and reads it, to resume) without changing it; ``open`` (or the first ``write``) starts writing.
    ``settings`` (``tagllm.io.settings.run_settings``) are recorded beside the output, and resuming an output
    recorded with others is refused.
    """

    def __init__(
        self,
        target: str | Path,
        *,
        format: str | None = None,
        facets: list[str],
        keep_columns: Sequence[str] = (),
        provenance: bool = True,
        resume: bool = False,
        settings: dict[str, Any] | None = None,
        routed: bool = False,
    ) -> None:
        if str(target) != STDIO:
            check_output_name(Path(target))  # before its format is told from its extension (.gz: none)
        self.format = detect_format(target, format, flag="--output-format", output=True)
        self.facets = list(dict.fromkeys(facets))  # a facet named twice is one facet's columns, as the tagger tags it
        self.keep_columns = kept_columns(keep_columns)
        refuse_column_clashes(self.format, self.facets, self.keep_columns, routed=routed)
        self.provenance = provenance
        self.routed = routed
        self.is_stdout = str(target) == STDIO
        self.target = output_file(Path(target))
        # a device or pipe (-o /dev/null, a FIFO) takes the rows as stdout does: it cannot be cut, compacted or resumed,
        # and nothing is written beside it (no lock, no settings record: in /dev, only root may write)
        self.is_device = not self.is_stdout and is_device(self.target)
        self.state = OutputState()
        self._stream: IO[str] | None = None
        self._end = "\n"  # the line end rows are written with (``_open``)
        self._csv: Any = None
        self._schema: Any = None
        self._part = 0
        self._written = 0  # bytes of the file that whole batches fill
        self._added = 0  # results this writer wrote in whole batches (an error message says what the output holds)
        self._failure: OSError | None = None  # the write the disk refused: the cause a later error on closing is not
        self._writing = False  # a batch is being written (still True at close: Ctrl-C cut it short)
        self._dropped: frozenset[str] = frozenset()  # products whose rows close leaves out
        self._order: Mapping[str, int] | None = None  # the input's product ids by place, once it was read whole
        self._resume = resume
        self._opened = False
        self._lock = OutputLock(self.target, held=not self.is_device)
        self._seen: tuple[Any, ...] | None = None  # the output as resume read it (``lock.signature``)
        # CSV: each column holding a cell a spreadsheet reads as a formula -> the product of its first such cell
        self.formula_columns: dict[str, str] = {}
        self._check_target(resume)
        self._settings = self._settings_to_record(settings, provenance)
        self._choose_layout(routed)

    def _check_target(self, resume: bool) -> None:
        """Refuse a target this writer could never write as asked (a place it cannot create, a resume of stdout or a
        device, Parquet on stdout, another run's output or a file that is no output), and read what a resumed one
        holds: all before a model loads, and nothing changed."""
        if not self.is_stdout:
            check_output_place(self.target, self.format)
        if self.is_device and resume:
            raise InputError(
                f"--resume needs an output file: {self.target} is a device or pipe, which keeps nothing to resume from"
            )
        if self.is_stdout:
            if resume:
                raise InputError("--resume needs an output file (-o FILE): results on stdout cannot be resumed")
            if self.format == "parquet":
                raise InputError("Parquet cannot be written to stdout; give an output file (-o FILE)")
        elif resume:
            self.state, self._seen = scan_locked(self.target, self.format, self._lock)
        else:
            self._lock.check()
            check_replaceable(self.target, self.format)

    def _settings_to_record(self, settings: dict[str, Any] | None, provenance: bool) -> dict[str, Any] | None:
        """The run's settings to record beside the output, checked against those an output being resumed was
        recorded with (resuming under other settings mixes rows of two runs); None when nothing is recorded: on
        stdout or a device, or for an output resumed with rows but no record of their settings (written before
        they were recorded), which stays so."""
        # what a row holds besides the tags is part of the record too: a JSONL output would otherwise mix rows with
        # and without the kept input columns or the provenance (CSV and Parquet refuse other columns below)
        written: dict[str, Any] = {"keep_columns": self.keep_columns}
        if self.format != "csv":  # a CSV row holds no provenance: --no-provenance changes nothing in it
            written["provenance"] = provenance
        recorded_beside = not self.is_stdout and not self.is_device
        chosen = {**settings, **written} if settings is not None and recorded_beside else None
        if chosen is not None and self.state.rows:
            recorded = read_settings(self.target)
            if recorded is None:
                check_row_taxonomies(self.target, self.state.taxonomies, chosen)
                return None
            check_settings(self.target, recorded, chosen)
        if chosen is not None:
            check_settings_place(self.target)
        return chosen

    def _choose_layout(self, routed: bool) -> None:
        """The columns (CSV) or schema (Parquet) rows are written in (``layout.choose_layout``)."""
        layout = choose_layout(
            self.target, self.format, self.facets, self.keep_columns, routed=routed, state=self.state
        )
        self._columns, self._schema = layout.columns, layout.schema
        self._routed, self._fingerprints = layout.routed, layout.fingerprints

    @property
    def is_open(self) -> bool:
        return self._opened

    def open(self) -> None:
        """Start writing: a fresh run replaces the output only now, so a run that stops at setup (``Tagger.prepare``)
        leaves what an earlier run wrote as it was. ``write`` opens a writer that is not open yet."""
        if self._opened:
            return
        if self.is_stdout:
            self._open()
            return
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()  # another run writing this output stops this one here, before anything is touched
            if self._seen is not None and signature(self.target, self.format) != self._seen:
                self._lock.release()
                raise OutputError(
                    f"{self.target}: another run wrote this output after this one read it (while this one was "
                    "starting); nothing was written: run again with --resume to go on from what it holds"
                )
            self._opened = True
            if not self._resume:
                remove_output(self.target, self.format)
            if self._settings is not None:
                write_settings(self.target, self._settings)
            self._open()
        except OutputError:  # the settings record's own, naming it
            self._opened = False
            self._lock.release()
            raise
        except OSError as exc:
            self._opened = False
            self._lock.release()
            raise OutputError(
                f"{self.target}: cannot write the output ({os_reason(exc)}); write it elsewhere"
            ) from None

    def _open(self) -> None:
        self._opened = True
        if self.format == "parquet":
            parts = part_files(self.target)
            self._part = int(parts[-1].stem.removeprefix("part-")) if parts else 0
            parts_dir(self.target).mkdir(exist_ok=True)
            return
        self._end = "\r\n" if self.format == "csv" else "\n"  # a new file's: Python's csv module's, JSON Lines'
        if self.is_stdout:
            self._stream = sys.stdout
        else:
            if self._resume:  # rows added end as the file's do
                self._end = cut_torn_row(self.target, self.state, self._end)
            self._stream = self.target.open("a" if self._resume else "w", encoding="utf-8", newline="")
        if self.format == "csv":
            self._csv = csv.DictWriter(self._stream, fieldnames=self._columns, lineterminator=self._end)
            if self.state.header is None:
                self._csv.writeheader()
                self.state.header = self._columns
        self._stream.flush()
        self._written = self._size()

    def _size(self) -> int:
        return 0 if self._stream is None or self.is_stdout else os.fstat(self._stream.fileno()).st_size

    def write(
        self,
        results: Sequence[TagResult],
        kept: Sequence[dict[str, Any]] | None = None,
        digests: Sequence[str | None] | None = None,
    ) -> None:
        """Write a batch of results; ``kept[i]`` holds the input columns carried into result i's row, ``digests[i]``
        the fingerprint of the product it was tagged from (``resume.fingerprint``)."""
        if not results:
            return
        results = [encodable_result(result) for result in results]
        kept = [encodable(cells) for cells in kept] if kept else kept
        self.open()
        self._writing = True
        try:
            digests = digests if digests is not None and self._fingerprints else [None] * len(results)
            if self.format == "parquet":
                rows = part_rows(
                    results,
                    kept,
                    digests,
                    facets=self.facets,
                    provenance=self.provenance,
                    routed=self._routed,
                    fingerprints=self._fingerprints,
                )
                self._part += 1
                write_part(parts_dir(self.target) / f"part-{self._part:06d}.parquet", rows, self._schema)
            else:
                assert self._stream is not None
                if self._csv is not None:
                    self._csv.writerows(
                        csv_cells(
                            results,
                            kept,
                            digests,
                            facets=self.facets,
                            routed=self._routed,
                            fingerprints=self._fingerprints,
                            formula_columns=self.formula_columns,
                        )
                    )
                else:
                    self._stream.write(jsonl_text(results, kept, digests, provenance=self.provenance, end=self._end))
                self._stream.flush()
        except BrokenPipeError:  # the reader of stdout stopped reading (`| head`): nothing is lost, the run ends
            raise
        except OSError as exc:  # a full disk: the batch being written is cut off when the writer closes
            self._failure = self._failure or exc
            raise self._cannot_write(exc, batch=len(results)) from None
        for result, digest in zip(results, digests, strict=True):
            self.state.add(result.product_id, outcome(result), digest)
        self._added += len(results)
        self._written = self._size()
        self._writing = False

    def _cannot_write(self, exc: OSError, *, batch: int | None = None) -> OutputError:
        """The error for a write the disk refused, saying what the output holds once the writer closes (the rows
        of whole batches; ``batch``: the size of the one being written, which is cut off)."""
        why = os_reason(exc)
        if self.is_stdout:  # nothing to resume: stdout's results are wherever it went, as far as they got
            return OutputError(
                f"stdout: cannot write the results ({why}); the results written before stop there: "
                "make room, or write to a file (-o FILE), which --resume can finish after such a stop"
            )
        if self.is_device:
            return OutputError(
                f"{self.target}: cannot write the output ({why}); it is a device, not a file, and keeps nothing "
                "to resume from: write the results to a file"
            )
        return OutputError(
            f"{self.target}: cannot write the output ({why}); {self._holding(batch)}: make room (or remove the "
            "cause) and run again with --resume, which tags the rest"
        )

    def _holding(self, batch: int | None) -> str:
        """What the output holds after a refused write, in words: a full disk that took none of a run's results
        was said to have kept "what was written", and users looked for results that were never there."""
        held = len(self.state.last)
        cut = f"the batch of {batch} being written" if batch else ""
        if not held:
            return f"none of its results were written ({cut} did not fit)" if cut else "it holds no results"
        earlier = f" ({self._added} of them by this run)" if self._resume and self._added < held else ""
        # a Parquet merge refused: this run's rows are still in its parts, which the output file does not show
        parted = f", in {parts_dir(self.target)}/ until --resume merges them into it" if self._parted() else ""
        return f"it keeps the {held} results written before{earlier}{parted}" + (f", without {cut}" if cut else "")

    def _parted(self) -> bool:
        return self.format == "parquet" and not self._writing and bool(part_files(self.target))

    def drop(self, product_ids: set[str]) -> int:
        """Leave these products' rows out of the output when it closes; how many the output held."""
        held = product_ids & self.state.last.keys()
        self.state.forget(held)
        self._dropped |= held
        return len(held)

    def keep_input_order(self, order: Mapping[str, int]) -> None:
        """Close with the rows in the order of the input, read whole (``order``: each product id, by its place in
        it): a resume appends the products it tags again, and the output no longer followed the input."""
        self._order = order

    def _in_input_order(self) -> bool:
        if self._order is None:
            return True
        in_file_order = sorted(self.state.last, key=self.state.last.__getitem__)
        return is_in_order(input_ranks(in_file_order, self._order))

    def close(self) -> None:
        """Finish the output: one row per product id, Parquet parts merged into the file."""
        self.open()
        if self._stream is not None and self._stream is not sys.stdout:
            try:
                self._stream.close()
            except OSError as exc:  # what a full disk refused to take: the batch it belonged to is cut off below
                self._writing = True
                if self.is_device and self._failure is None:
                    self._lock.release()
                    raise self._cannot_write(exc) from None
        self._stream = None
        if self.is_stdout:
            return
        if self.is_device:  # nothing to cut off or compact: a truncate there failed, "Invalid argument"
            self._lock.release()
            return
        try:
            if self._writing:  # Ctrl-C while a batch was written: cut it off, and count again what the output holds
                if self.format != "parquet":
                    os.truncate(self.target, self._written)
                self.state = scan_output(self.target, self.format)
                self._writing = False
            if self.format == "parquet":
                if part_files(self.target) or self._dropped or not self._in_input_order():
                    merge_parts(self.target, self._dropped, self._order)
                else:  # nothing new: the output is as it was
                    shutil.rmtree(parts_dir(self.target), ignore_errors=True)
            elif self.state.superseded or self._dropped or not self._in_input_order():
                compact(self.target, self.format, self._dropped, self._order)
        except OSError as exc:  # the copy that would replace the output could not be written: the output stays
            temp_path(self.target).unlink(missing_ok=True)
            raise self._cannot_write(self._failure or exc) from None
        finally:
            self._lock.release()  # removed once the output is whole
