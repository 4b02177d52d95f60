"""A file run's records on their way to the tagger and their results on their way to the writer.

Apart from ``run.py``, which sets the run up and closes it: this is the per-record part (which records are tagged
again, which a repeated id or an earlier run's row settles, and how each result is written and counted), one step a
method, each read without the setup around it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from tagllm.io import RecordSource, ResultWriter, claims_another_line, error_id, line_id, to_product
from tagllm.io.rows import FELL_BACK_NOTE, PARTIAL_NOTE, fingerprint, raw_fingerprint
from tagllm.models import Product, RecordError, TagResult
from tagllm.run_summary import RunSummary

if TYPE_CHECKING:
    from tagllm.io.jsonl import Record
    from tagllm.tagger import Tagger


# the broken lines named by an id read from their text held to the end of the input (``RecordFeed.items``), at most:
# in a file most of whose lines are broken alike (single-quoted strings), the rest are named by their line at once
MAX_HELD_LINES = 10_000


class RecordFeed:
    """The records of one run not done yet, fed to the tagger, and their results written in the order fed.

    What goes with a product to the writer (its kept input cells, its fingerprint) waits here in the order the
    products were yielded, because the tagger hands back results a batch at a time, never the records they came from.
    """

    def __init__(
        self,
        tagger: Tagger,
        records: RecordSource,
        writer: ResultWriter,
        summary: RunSummary,
        claimed: dict[str, int],
        keep_columns: Sequence[str],
    ) -> None:
        self.records, self.writer, self.summary, self.claimed = records, writer, summary, claimed
        self.keep_columns = list(keep_columns)
        state = writer.state
        # the output as this run found it: a product counts as retried by what it was then, not by what it writes
        self.earlier_failures, self.earlier_fallbacks = set(state.failed), set(state.fell_back)
        self.earlier_degraded = set(state.degraded)
        self.earlier_partial = set(state.partial)
        # tagged from the text because their remote photos were not to be fetched: tagged again when this run fetches
        self.fetch_remote = bool(getattr(getattr(tagger, "config", None), "allow_remote_images", False))
        self.earlier_unfetched = set(state.unfetched) if self.fetch_remote else set()
        self.kept: deque[dict[str, Any]] = deque()
        self.digests: deque[str | None] = deque()  # the fingerprint of each product yielded, written with its result
        self.renamed = {column: field for field, column in records.columns.items()}  # --keep-columns: either name
        # degraded ones tagged again: if that fails, their row of the text's tags stays
        self.text_only: set[str] = set()
        # partial ones (the category, the attribute step failed) tagged again: if that fails, their category stays
        self.category_only: set[str] = set()
        # a product whose words are all in fields the tagger ignores is an error record named by its line
        self.visible = getattr(getattr(tagger, "retrieval", None), "visible", None)

    def items(self) -> Iterator[Product | RecordError]:
        """The records to tag now, each a product or the error record saying why it cannot be; the ids read go to
        ``claimed``, whether tagged now or settled by an earlier run."""
        name = self.records.name
        held: list[tuple[RecordError, Record, int]] = []  # broken lines named by an id read from their text
        for place, record in enumerate(self.records):
            item = _line_safe(to_product(record, name), record.line, name)
            if self.visible is not None and isinstance(item, Product):
                unreadable = self.visible(item, record.line, name)
                item = unreadable if isinstance(unreadable, RecordError) else item  # the fingerprint reads it whole
            if isinstance(item, RecordError) and _named_from_broken_text(item, record):
                if len(held) < MAX_HELD_LINES:
                    held.append((item, record, place))
                    continue
                item = record.error or item  # named by its line: no record read whole can lose its id to it
            yield from self._if_due(item, record, place)
        for error, record, place in held:  # claimed at their place: the output is put back in input order at close
            yield from self._if_due(self._named_if_free(error, record), record, place)

    def _if_due(self, item: Product | RecordError, record: Record, place: int) -> Iterator[Product | RecordError]:
        """The record, if its id is read here first and it is not settled by an earlier run's row."""
        product_id = item.id if isinstance(item, Product) else error_id(item, record.line)
        if not self._claim(product_id, item, record.line, place):
            return
        digest = fingerprint(item) if isinstance(item, Product) else None
        if not self._is_due(item, product_id, digest, record):
            return
        if self.keep_columns:
            self.kept.append(self._kept_cells(record))
        self.digests.append(digest)
        yield item

    def _named_if_free(self, error: RecordError, record: Record) -> RecordError:
        """A broken line's error record, named by the id read from its text unless a record read whole has it: such
        a line is held to the end of the input (its row written last, put in its place at close), so that the record
        read whole is tagged, not refused as a repeat of a line that cannot be read; the line is then named by its
        line number."""
        if error.record_id not in self.claimed:
            return error
        own = record.error
        assert own is not None  # a broken line's
        where = f"; its id {error.record_id!r} is that of another record, read whole, so this line is named by its line"
        return own.model_copy(update={"message": own.message + where})

    def _claim(self, product_id: str, item: Product | RecordError, line: int, place: int) -> bool:
        """Whether ``product_id`` is read here for the first time: only the first record of an id is tagged, so that
        the output has one row an id; a repeat becomes a line in the summary."""
        summary = self.summary
        if product_id in self.claimed:
            summary.duplicates += 1
            summary.note(
                f"{self.records.name}:{line}: product id {product_id!r} again (an earlier record has it); "
                f"only the first is tagged: {_repeat_advice(product_id)}",
                repeat=True,
            )
            return False
        self.claimed[product_id] = place
        if isinstance(item, Product):
            _count_id(summary, product_id, line)
        return True

    def _is_due(self, item: Product | RecordError, product_id: str, digest: str | None, record: Record) -> bool:
        """Whether the record is tagged now: an earlier run's row settles it unless the record was edited since or
        the row is one a retry may better (failed, fell back, partial, degraded, photos not fetched)."""
        summary, state = self.summary, self.writer.state
        # a record that cannot be tagged now could be when its row was written: it was edited since, and its
        # error record (what to fix) replaces the tags of a text it no longer has
        # an output written before the reader cleaned the text holds the fingerprint of the record's raw text
        edited = isinstance(item, RecordError) or state.is_edited(
            product_id, digest, partial(raw_fingerprint, item, record.data or {})
        )
        if state.is_done(product_id, fetch_remote=self.fetch_remote):
            if not edited:
                summary.skipped += 1
                return False
            summary.edited += 1
        if product_id in self.earlier_failures:
            summary.retried += 1
        elif product_id in self.earlier_fallbacks:
            summary.retried_llm += 1
        elif product_id in self.earlier_partial:
            summary.retried_partial += 1
            if not edited:
                self.category_only.add(product_id)
        elif product_id in self.earlier_degraded or product_id in self.earlier_unfetched:
            summary.retried_degraded += 1
            if not edited:
                self.text_only.add(product_id)
        return True

    def _kept_cells(self, record: Record) -> dict[str, Any]:
        """The input cells ``--keep-columns`` copies into the record's row, by the column's name or its field's."""
        data = record.data or {}
        return {c: data[c] if c in data else data.get(self.renamed.get(c, "")) for c in self.keep_columns}

    def write(self, results: list[TagResult]) -> None:
        """Write one batch's results with what waited for them; a degraded product whose retry failed keeps its
        row tagged from the text, a partial one its row with the category (an error row would lose their tags)."""
        columns = [self.kept.popleft() for _ in results] if self.keep_columns else None
        marks = [self.digests.popleft() for _ in results]
        kept = self.text_only | self.category_only
        lost = {i for i, r in enumerate(results) if r.status != "ok" and r.product_id in kept}
        if not lost:
            self.writer.write(results, columns, marks)
            return
        written = [i for i in range(len(results)) if i not in lost]
        self.writer.write(
            [results[i] for i in written],
            [columns[i] for i in written] if columns else None,
            [marks[i] for i in written],
        )

    def count(self, results: list[TagResult]) -> None:
        """Count one written batch in the summary, with a note for each result a person should read of."""
        summary = self.summary
        for result in results:
            if result.status != "ok" and result.product_id in self.text_only:
                summary.kept_text_only += 1
                why = result.error.message if result.error else "failed"
                summary.note(f"{result.product_id}: tagged again, {why}; its earlier tags from the text alone are kept")
            elif result.status != "ok" and result.product_id in self.category_only:
                summary.kept_partial += 1
                why = result.error.message if result.error else "failed"
                summary.note(f"{result.product_id}: tagged again, {why}; its earlier category is kept")
            elif result.status == "ok":
                summary.tagged += 1
                summary.routed += result.source == "llm"
                if result.routing is not None and result.routing.error is not None:
                    summary.fell_back += 1
                    summary.note(f"{result.product_id}: {FELL_BACK_NOTE}{result.routing.error.message}")
                if result.facet_errors:
                    summary.partial += 1
                    why = "; ".join(dict.fromkeys(e.message for e in result.facet_errors.values()))
                    summary.note(f"{result.product_id}: {PARTIAL_NOTE}{why}")
                summary.degraded += result.degraded is not None  # the reason is in its row, not an error to print
                summary.unfetched += result.unfetched_photos is not None
            else:
                summary.failed += 1
                if result.error:  # a reading error names its file, line and record; a tagging one gets the id
                    error = result.error
                    summary.note(error.message if error.line is not None else f"{result.product_id}: {error.message}")


def _named_from_broken_text(error: RecordError, record: Record) -> bool:
    """Whether ``error`` is a line that cannot be read whole, named by the id read from what of it can
    (``io.products.named_error``): a weaker claim to the id than a record read whole makes."""
    return record.data is None and record.error is not None and record.error.record_id is None and bool(error.record_id)


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
