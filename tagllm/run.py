"""A file run: products streamed from a file through a Tagger into an output, written as they are ready, resumable.

What ``Tagger.tag_file`` and ``tagllm generate`` run. Every input record ends as exactly one output row: a result,
an error record, or (for a product id the input repeats) a line in the summary's errors.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.assembly import Progress, gc_paused
from tagllm.backends.base import answers_reported
from tagllm.errors import InputError, InputWarning, warn_caller
from tagllm.io import STDIO, RecordSource, ResultWriter, claims_another_line, error_id, line_id, to_product
from tagllm.io.headers import export_note
from tagllm.io.lock import lock_path
from tagllm.io.resume import output_file, temp_path
from tagllm.io.rows import FELL_BACK_NOTE, fingerprint, raw_fingerprint
from tagllm.io.settings import run_settings, settings_path
from tagllm.models import Product, RecordError
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
    claimed: set[str] = set()  # the product ids read so far
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
            # now read under its own id) names nothing left to tag
            summary.stale = writer.drop(writer.state.failed - claimed)
            _absent(writer, summary, claimed, drop_absent)
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
        summary.still_failed = len(writer.state.failed)
        summary.in_output = len(writer.state.last)
        summary.still_fell_back = len(writer.state.fell_back & claimed)  # a product no longer read cannot be retried
        summary.still_degraded = len(writer.state.degraded & claimed)
        summary.still_unfetched = len(writer.state.unfetched & claimed)
        summary.joined, summary.variants = records.joined, records.variants
        summary.empty_rows = records.empty_rows
        summary.formula_columns = dict(writer.formula_columns)
    summary.seconds = time.perf_counter() - tagging
    if summary.blank_ids:
        warn_caller(summary.blank_ids_note(records.name), InputWarning)  # as the CLI says it, at the run's end
    if summary.interrupted:
        raise RunInterrupted(summary)
    return summary


def _answering(progress: Progress | None) -> Callable[[int, int], None] | None:
    """An LLM backend's answers to each batch, counted on the progress line as they come: a batch of a thousand products
    is minutes of answers, and the line showed no count until the whole batch was written."""
    return (lambda done, total: progress("answer", done, total)) if progress else None


def _tag_records(
    tagger: Tagger,
    records: RecordSource,
    writer: ResultWriter,
    summary: RunSummary,
    claimed: set[str],
    keep_columns: list[str],
    progress: Progress | None,
) -> None:
    """Tag the records not done yet into ``writer``; the product ids read go to ``claimed``."""
    state = writer.state
    earlier_failures, earlier_fallbacks, earlier_degraded = set(state.failed), set(state.fell_back), set(state.degraded)
    # tagged from the text because their remote photos were not to be fetched: tagged again when this run fetches them
    fetch_remote = bool(getattr(getattr(tagger, "config", None), "allow_remote_images", False))
    earlier_unfetched = set(state.unfetched) if fetch_remote else set()
    kept: deque[dict[str, Any]] = deque()
    digests: deque[str | None] = deque()  # the fingerprint of each product yielded, written with its result
    renamed = {column: field for field, column in records.columns.items()}  # --keep-columns may name either
    text_only: set[str] = set()  # degraded products tagged again: if that fails, their row of the text's tags stays

    # a product whose words are all in fields the tagger ignores is an error record named by its line
    visible = getattr(getattr(tagger, "retrieval", None), "visible", None)

    def items() -> Iterator[Product | RecordError]:
        for record in records:
            item = _line_safe(to_product(record, records.name), record.line, records.name)
            if visible is not None and isinstance(item, Product):
                unreadable = visible(item, record.line, records.name)
                item = unreadable if isinstance(unreadable, RecordError) else item  # the fingerprint reads it whole
            product_id = item.id if isinstance(item, Product) else error_id(item, record.line)
            if product_id in claimed:
                summary.duplicates += 1
                summary.note(
                    f"{records.name}:{record.line}: product id {product_id!r} again (an earlier record has it); "
                    f"only the first is tagged: {_repeat_advice(product_id)}",
                    repeat=True,
                )
                continue
            claimed.add(product_id)
            if isinstance(item, Product):
                _count_id(summary, product_id, record.line)
            digest = fingerprint(item) if isinstance(item, Product) else None
            # a record that cannot be tagged now could be when its row was written: it was edited since, and its
            # error record (what to fix) replaces the tags of a text it no longer has
            # an output written before the reader cleaned the text holds the fingerprint of the record's raw text
            edited = isinstance(item, RecordError) or state.is_edited(
                product_id, digest, partial(raw_fingerprint, item, record.data or {})
            )
            if state.is_done(product_id, fetch_remote=fetch_remote):
                if not edited:
                    summary.skipped += 1
                    continue
                summary.edited += 1
            if product_id in earlier_failures:
                summary.retried += 1
            elif product_id in earlier_fallbacks:
                summary.retried_llm += 1
            elif product_id in earlier_degraded or product_id in earlier_unfetched:
                summary.retried_degraded += 1
                if not edited:
                    text_only.add(product_id)
            if keep_columns:
                data = record.data or {}
                kept.append({c: data[c] if c in data else data.get(renamed.get(c, "")) for c in keep_columns})
            digests.append(digest)
            yield item

    report = (lambda done, total: progress("encode", done, total)) if progress else None
    batches = tagger.tag_batches(items(), progress=report)
    while True:
        with gc_paused():  # each batch's results are written and freed before the collector would look at them
            results = next(batches, None)
            if results is None:
                return
            columns = [kept.popleft() for _ in results] if keep_columns else None
            marks = [digests.popleft() for _ in results]
            # a degraded product whose retry failed keeps its row tagged from the text: an error row would lose it
            lost = {i for i, r in enumerate(results) if r.status != "ok" and r.product_id in text_only}
            if lost:
                written = [i for i in range(len(results)) if i not in lost]
                writer.write(
                    [results[i] for i in written], [columns[i] for i in written] if columns else None,
                    [marks[i] for i in written],
                )  # fmt: skip
            else:
                writer.write(results, columns, marks)
        for result in results:
            if result.status != "ok" and result.product_id in text_only:
                summary.kept_text_only += 1
                why = result.error.message if result.error else "failed"
                summary.note(f"{result.product_id}: tagged again, {why}; its earlier tags from the text alone are kept")
            elif result.status == "ok":
                summary.tagged += 1
                summary.routed += result.source == "llm"
                if result.routing is not None and result.routing.error is not None:
                    summary.fell_back += 1
                    summary.note(f"{result.product_id}: {FELL_BACK_NOTE}{result.routing.error.message}")
                summary.degraded += result.degraded is not None  # the reason is in its row, not an error to print
                summary.unfetched += result.unfetched_photos is not None
            else:
                summary.failed += 1
                if result.error:  # a reading error names its file, line and record; a tagging one gets the id
                    error = result.error
                    summary.note(error.message if error.line is not None else f"{result.product_id}: {error.message}")
        if progress:
            progress("tag", summary.tagged + summary.failed, None)


def _absent(writer: ResultWriter, summary: RunSummary, claimed: set[str], drop: bool) -> None:
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
    """Before the first product: a ``columns`` mapping or a kept column that none of the first records has (the
    products would be tagged from the record's own field, the kept cells empty), as an ``InputWarning``."""
    if records.is_stdin:  # a terminal's stdin would wait for the records looked at
        return
    mapped, empty = records.unread_columns(keep_columns)
    if records.shopify_export:  # told by its header, not by the caller: said, with how to read it otherwise
        warn_caller(export_note(records.name, records.columns, "tag_file(columns=...)"), InputWarning)
    for text in [*(f"columns {t}" for t in mapped.values()), *(f"keep_columns {t}" for t in empty.values())]:
        warn_caller(text, InputWarning)  # at the line that called tag_file (Tagger's or the module's)


def _stdin_reads(path: Path) -> bool:
    """Whether stdin is ``path`` itself (redirected from it), not a pipe or a terminal."""
    try:
        return os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):  # no stdin, a closed one, or a stand-in without a descriptor
        return False


def _count_id(summary: RunSummary, product_id: str, line: int) -> None:
    """Count a product read as one with an id of its own or one named by its ``line`` (it has none)."""
    if product_id != line_id(line):
        summary.with_ids += 1
        return
    summary.line_named += 1
    summary.first_line_named = summary.first_line_named or product_id


def _line_safe(item: Product | RecordError, line: int, name: str) -> Product | RecordError:
    """The record on ``line`` with no id that names another line's record (``line-M``): such a product becomes an
    error record saying so, and an error record with such an id is named by its own line."""
    if isinstance(item, RecordError):
        if item.record_id is not None and claims_another_line(item.record_id, line):
            return item.model_copy(update={"record_id": None})
        return item
    if not claims_another_line(item.id, line):
        return item
    message = (
        f"{name}:{line}: the id {item.id!r} is the name tagllm gives the record on {item.id.replace('-', ' ')} when "
        "that one has no id or cannot be read; give this product another id, so that the two cannot be confused"
    )
    return RecordError(field="id", line=line, message=message)


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
    if out.exists() and records.is_stdin and _stdin_reads(out):  # `generate - -o products.jsonl < products.jsonl`
        raise InputError(
            f"the output {target} is the file stdin reads (the input): writing results there would destroy the "
            "products; give another output file"
        )
    if out.exists():
        for what, path in reads.items():
            if path and Path(path).is_file() and os.path.samefile(path, out):
                shown = "" if what == "input file" else f" ({path})"
                it = "the products" if what == "input file" else "it"
                raise InputError(
                    f"the output {target} is the {what}{shown}: writing results there would destroy {it}; "
                    "give another output file"
                )
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


SHORTENED_NUMBER = re.compile(r"\d(\.\d+)?E\+\d+", re.IGNORECASE)  # how Excel writes a long number it shortened


def _repeat_advice(product_id: str) -> str:
    """What to do about a repeated id: an id Excel shortened ('8.90123E+12', a barcode) is one many products share
    through no mistake of the user's, which "give this record an id of its own" did not say."""
    if SHORTENED_NUMBER.fullmatch(product_id):
        return (
            "the id is a long number a spreadsheet saved shortened (Excel writes a barcode so): save the id column as "
            "text, or export the file again from where the ids come from"
        )
    return "give this record an id of its own to tag it too"
