"""A file run: products streamed from a file through a Tagger into an output, written as they are ready, resumable.

What ``Tagger.tag_file`` and ``tagllm generate`` run. Every input record ends as exactly one output row: a result,
an error record, or (for a product id the input repeats) a line in the summary's errors.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.assembly import Progress, gc_paused
from tagllm.backends.base import answers_reported
from tagllm.errors import InputError, InputWarning, warn_caller
from tagllm.io import STDIO, RecordSource, ResultWriter
from tagllm.io.column_warnings import API_ARGUMENTS, column_warnings
from tagllm.io.headers import export_note
from tagllm.io.lock import lock_path
from tagllm.io.resume import output_file, temp_path
from tagllm.io.settings import run_settings, settings_path
from tagllm.run_feed import RecordFeed
from tagllm.run_summary import MAX_ABSENT_NAMED, RunInterrupted, RunSummary
from tagllm.sigterm import Sigterm

__all__ = ["RunInterrupted", "RunSummary", "run_file"]  # the summary's classes are still importable from here

if TYPE_CHECKING:
    from tagllm.tagger import Tagger


def run_file(
    tagger: Tagger,
    source: str | Path | RecordSource,
    target: str | Path,
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    resume: bool = False,
    columns: dict[str, str] | None = None,
    keep_columns: Sequence[str] = (),
    provenance: bool = True,
    progress: Progress | None = None,
    drop_absent: bool = False,
) -> RunSummary:
    """Tag every record of ``source`` into ``target``; see ``Tagger.tag_file``."""
    started = time.perf_counter()
    records = _records(source, input_format, columns)
    _refuse_inputs(tagger, records, target)
    records.peek(1)  # an empty input fails here, before the output is touched
    records.require_title()  # so does a CSV or Parquet with no title column: every record would be an error record
    _warn_about_columns(records, keep_columns)
    # the output is checked (and an earlier run's read, to resume) here, and touched only once setup is done
    writer = ResultWriter(
        target, format=output_format, facets=tagger.facets, keep_columns=keep_columns, provenance=provenance,
        resume=resume, settings=run_settings(tagger), routed=getattr(tagger, "router", None) is not None,
    )  # fmt: skip
    summary = RunSummary(output=str(target), routing=writer.routed)
    sigterm = Sigterm()
    claimed: dict[str, int] = {}  # the product ids read so far, by their place in the input
    # the file's relative photo paths start beside it, for this run's thread alone
    beside = getattr(getattr(tagger, "retrieval", None), "photos_beside", None)
    restore = beside(Path(str(records.source)).resolve().parent) if beside and not records.is_stdin else None
    try:
        tagger.prepare(progress)  # a setup mistake stops here, and an earlier run's output is left as it was
        writer.open()
        summary.startup_seconds = time.perf_counter() - started
        tagging = time.perf_counter()
        sigterm.catch()
        try:
            with answers_reported(_answering(progress)):
                _tag_records(tagger, records, writer, summary, claimed, list(keep_columns), progress)
            # the whole input was read: an earlier error record no record of it has (its line was fixed, and is
            # now read under its own id, or under another id than the one its cut line gave) names nothing left to tag
            _stale(writer, summary, claimed)
            _absent(writer, summary, claimed, drop_absent)
            writer.keep_input_order(claimed)
        except KeyboardInterrupt:
            summary.interrupted = True
    finally:
        sigterm.hold()
        summary.terminated = sigterm.terminated
        try:
            if writer.is_open:  # not when setup failed: the output is as an earlier run left it
                writer.close()  # on Ctrl-C too: what was tagged stays, one row per product
        finally:
            sigterm.release()
        if restore is not None:
            restore()
        _count_left(summary, writer, records, claimed)
    summary.seconds = time.perf_counter() - tagging
    if summary.blank_ids:
        warn_caller(summary.blank_ids_note(records.name), InputWarning)  # as the CLI says it, at the run's end
    if summary.interrupted:
        raise RunInterrupted(summary)
    return summary


def _count_left(summary: RunSummary, writer: ResultWriter, records: RecordSource, claimed: dict[str, int]) -> None:
    """What the run leaves for the next one, counted however it ended (Ctrl-C, a failed setup): the output's rows
    still failed, fallen back, partial, degraded or unfetched, and what the reader joined, renamed or passed over."""
    state = writer.state
    summary.still_failed = len(state.failed)
    summary.in_output = len(state.last)
    summary.still_fell_back = len(state.fell_back & claimed.keys())  # a product no longer read cannot be retried
    summary.still_partial = len(state.partial & claimed.keys())
    summary.still_degraded = len(state.degraded & claimed.keys())
    summary.still_unfetched = len(state.unfetched & claimed.keys())
    summary.joined, summary.variants = records.joined, records.variants
    summary.empty_rows = records.empty_rows
    summary.formula_columns = dict(writer.formula_columns)


def _answering(progress: Progress | None) -> Callable[[int, int], None] | None:
    """An LLM backend's answers to each batch, counted on the progress line as they come: a batch of a thousand products
    is minutes of answers, and the line showed no count until the whole batch was written."""
    return (lambda done, total: progress("answer", done, total)) if progress else None


def _tag_records(
    tagger: Tagger,
    records: RecordSource,
    writer: ResultWriter,
    summary: RunSummary,
    claimed: dict[str, int],
    keep_columns: list[str],
    progress: Progress | None,
) -> None:
    """Tag the records not done yet into ``writer``; the product ids read go to ``claimed``."""
    feed = RecordFeed(tagger, records, writer, summary, claimed, keep_columns)
    report = (lambda done, total: progress("encode", done, total)) if progress else None
    batches = tagger.tag_batches(feed.items(), progress=report)
    while True:
        with gc_paused():  # each batch's results are written and freed before the collector would look at them
            results = next(batches, None)
            if results is None:
                return
            feed.write(results)
        feed.count(results)
        if progress:
            progress("tag", summary.tagged + summary.failed, None)


def _stale(writer: ResultWriter, summary: RunSummary, claimed: dict[str, int]) -> None:
    """Remove the earlier error records of records the whole input, read now, no longer has, counted and named."""
    rows = writer.state.last
    stale = sorted(writer.state.failed - claimed.keys(), key=rows.__getitem__)
    summary.stale_ids = stale[:MAX_ABSENT_NAMED]
    summary.stale = writer.drop(set(stale))


def _absent(writer: ResultWriter, summary: RunSummary, claimed: dict[str, int], drop: bool) -> None:
    """The results an earlier run wrote for products the whole input, read now, no longer has: kept (deleting work
    is worse than keeping it) and counted, or with ``drop`` removed."""
    rows = writer.state.last
    absent = sorted(rows.keys() - claimed, key=rows.__getitem__)
    summary.absent, summary.absent_ids = len(absent), absent[:MAX_ABSENT_NAMED]
    if drop and absent:
        writer.drop(set(absent))
        summary.dropped_absent = True


def _records(
    source: str | Path | RecordSource, input_format: str | None, columns: dict[str, str] | None
) -> RecordSource:
    """The records to tag. A ``RecordSource`` reads with its own format and columns: ``input_format`` or ``columns``
    given beside it otherwise were dropped without a word (the titles mapped from another column went unread, and
    every product became an error record), so they are refused unless the source already reads that way."""
    if not isinstance(source, RecordSource):
        return RecordSource(source, format=input_format, columns=columns)
    own_reading: list[tuple[str, object, object]] = [
        ("input_format", input_format, source.format), ("columns", columns, source.columns),
    ]  # fmt: skip
    for option, given, own in own_reading:
        if given and given != own:
            raise InputError(
                f"{source.name}: {option}={given!r} is given to tag_file, but the RecordSource it reads has "
                f"{option.removeprefix('input_')}={own!r}; give them to RecordSource(...) or pass tag_file the path"
            )
    return source


def _warn_about_columns(records: RecordSource, keep_columns: Sequence[str]) -> None:
    """Before the first product, as ``InputWarning``s worded as ``tagllm generate`` words them (naming tag_file's
    arguments): columns that are no product field (a "titel" or "descripton" column is kept in ``extra``, and the
    products are tagged without it), a ``columns`` mapping or a kept column that none of the first records has (the
    products tagged from the record's own field, the kept cells empty), and kept columns of bytes."""
    if records.is_stdin:  # a terminal's stdin would wait for the records looked at
        return
    if records.shopify_export:  # told by its header, not by the caller: said, with how to read it otherwise
        warn_caller(export_note(records.name, records.columns, "tag_file(columns=...)"), InputWarning)
    for text in column_warnings(records, list(keep_columns), API_ARGUMENTS):
        warn_caller(text, InputWarning)  # at the line that called tag_file (Tagger's or the module's)


def _stdin_reads(path: Path) -> bool:
    """Whether stdin is ``path`` itself (redirected from it), not a pipe or a terminal."""
    try:
        return os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):  # no stdin, a closed one, or a stand-in without a descriptor
        return False


def _refuse_inputs(tagger: Tagger, records: RecordSource, target: str | Path) -> None:
    """``-o`` naming a file the run reads would destroy it: the products (truncated before they are read), the
    examples, the taxonomy or a prompt template; or it would write into the index, the taxonomy's, the embedder's or
    the model's directory. So would a file the run reads named as one the writer keeps beside the output: its working
    copy (``OUT.tmp``, removed at the start), settings record or lock file."""
    if str(target) == STDIO:
        return
    out = output_file(Path(target))  # a symlink's file: what the writer keeps beside the output is beside it
    config = getattr(tagger, "config", None)  # a tagger-like object without one (a test double) reads nothing else
    source = getattr(getattr(tagger, "taxonomy", None), "source", None) or None
    reads = {
        "input file": None if records.is_stdin else records.source,
        "examples file": getattr(config, "examples", None),
        "taxonomy": source,
        "prompt template": getattr(config, "prompt", None),
        "attribute prompt template": getattr(config, "attribute_prompt", None),
    }
    _refuse_output_read(out, target, records, reads)
    _refuse_beside_read(out, target, reads)
    folders = {
        "index": getattr(getattr(tagger, "index", None), "path", None) or getattr(config, "index", None),
        "taxonomy": source,
        "embedder": getattr(config, "embedder", None),
        "model": getattr(config, "model", None),
    }
    for what, path in folders.items():
        if path and Path(path).is_dir() and out.resolve().is_relative_to(Path(path).resolve()):
            raise InputError(
                f"the output {target} is inside the {what} directory {path}: writing results there could overwrite "
                "what the run reads; give an output file elsewhere"
            )


def _refuse_output_read(out: Path, target: str | Path, records: RecordSource, reads: dict[str, Any]) -> None:
    """The output file ``out`` is one the run reads (``reads``, by what each is): writing it would destroy it."""
    if not out.exists():
        return
    if records.is_stdin and _stdin_reads(out):  # `generate - -o products.jsonl < products.jsonl`
        raise InputError(
            f"the output {target} is the file stdin reads (the input): writing results there would destroy the "
            "products; give another output file"
        )
    for what, path in reads.items():
        if path and Path(path).is_file() and os.path.samefile(path, out):
            shown = "" if what == "input file" else f" ({path})"
            it = "the products" if what == "input file" else "it"
            raise InputError(
                f"the output {target} is the {what}{shown}: writing results there would destroy {it}; "
                "give another output file"
            )


def _refuse_beside_read(out: Path, target: str | Path, reads: dict[str, Any]) -> None:
    """A file the run reads is one the writer keeps beside ``out`` (its working copy, settings record or lock), which
    the run removes or replaces."""
    beside = {
        temp_path(out): ("writes the working copy", "removes"),
        settings_path(out): ("keeps the record of the settings", "replaces"),
        lock_path(out): ("keeps the lock", "removes"),
    }
    for what, path in reads.items():
        for place, (role, fate) in beside.items():
            if path and Path(path).is_file() and place.exists() and os.path.samefile(path, place):
                raise InputError(
                    f"the {what} {path} is where tagllm {role} of the output {target}, which it {fate}: give the "
                    f"{what.removesuffix(' file')} or the output another name"
                )
