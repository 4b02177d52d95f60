"""Making an output one row per product again, crash-safely: a torn last row is cut off (nothing before it is
touched); a product with several rows keeps its last, in a copy written beside the output and renamed over it, so a
kill at any moment leaves either the old file or the new one, whole."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

from tagllm.io.resume import (
    OutputState,
    merged_parts_dir,
    part_files,
    parts_dir,
    pyarrow_parquet,
    scan_output,
    temp_path,
)
from tagllm.io.written_rows import csv_rows, jsonl_rows

MERGED_ROW_GROUP = 16_384  # rows per row group when the parts of a Parquet output are merged


def cut_torn_row(target: Path, state: OutputState, end: str = "\n") -> str:
    """Truncate a JSONL/CSV output at the end of its last complete row (nothing before it is touched), and end that
    row where it lacks a line end (``jsonl_rows``), so that the rows added start on a line of their own. Returns the
    line end the rows added are to end with: the file's own (``_line_end``), or ``end`` in a file of no row yet. Rows
    appended with ``\n`` after rows ending with ``\r\n`` left the file with both."""
    if not target.exists():
        return end
    if target.stat().st_size > state.complete_bytes:
        os.truncate(target, state.complete_bytes)
    if not state.complete_bytes:
        return end
    with target.open("r+b") as fh:
        own = _line_end(fh)
        fh.seek(state.complete_bytes - 1)
        if fh.read(1) != b"\n":
            fh.write(own)
    return own.decode()


def _line_end(source: BinaryIO) -> bytes:
    """The line end of a JSONL/CSV output's first line (``source`` read from its start), which a compaction ends the
    lines it writes with: it ended a last row without one, moved up, with ``\\n`` and a CSV header with ``\\r\\n``
    whatever the file's rows ended with (``\\r\\n``: another tool's, or Python's csv module's default), mixing them."""
    return b"\r\n" if source.readline().endswith(b"\r\n") else b"\n"


def input_ranks(product_ids: Sequence[str], order: Mapping[str, int] | None) -> list[int]:
    """Where each of these products (an output's rows, in file order) comes in the input (``order``: each product id
    read, by its place); one the input no longer has comes after all of them, in its place in the output."""
    if order is None:
        return list(range(len(product_ids)))
    return [order.get(product_id, len(order) + number) for number, product_id in enumerate(product_ids)]


def is_in_order(ranks: Sequence[int]) -> bool:
    return all(earlier < later for earlier, later in pairwise(ranks))


def compact(target: Path, fmt: str, drop: frozenset[str] = frozenset(), order: Mapping[str, int] | None = None) -> None:
    """Keep each product's last row, but none of the products in ``drop``, in the order of ``order`` (the input's):
    written beside the output, then renamed over it. Rows already in that order stream through (the place of every
    row was held, and the rows sorted); an output of one whole row per product in that order, none to drop, is left
    as it is (it was rewritten)."""
    state = scan_output(target, fmt)
    kept = [product_id for product_id in sorted(state.last, key=state.last.__getitem__) if product_id not in drop]
    ranks = input_ranks(kept, order)
    in_order = is_in_order(ranks)
    if in_order and len(kept) == state.rows and target.stat().st_size == state.complete_bytes:
        return  # nothing superseded, dropped, torn or out of place: a rewrite would change nothing
    del kept
    rows = jsonl_rows(target) if fmt == "jsonl" else csv_rows(target)
    tmp = temp_path(target)
    with tmp.open("wb") as out, target.open("rb") as source:
        end = _line_end(source)
        if fmt == "csv":
            line = io.StringIO()
            csv.writer(line, lineterminator=end.decode()).writerow(state.header or [])
            out.write(line.getvalue().encode("utf-8"))
        kept_rows = (
            (raw, stop)
            for number, (product_id, _, raw, stop, _) in enumerate(rows)
            if state.last.get(product_id) == number and product_id not in drop
        )
        lines = (raw for raw, _ in kept_rows) if in_order else _moved(source, kept_rows, ranks)
        for raw in lines:
            out.write(raw if raw.endswith(b"\n") else raw + end)  # a last row without one, moved up
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)


def _moved(source: BinaryIO, kept: Iterator[tuple[bytes, int]], ranks: Sequence[int]) -> Iterator[bytes]:
    """The kept rows (each with where it ends in ``source``) in the order of their ``ranks``, read again from
    ``source``: only their places are held."""
    places = [(stop - len(raw), len(raw)) for raw, stop in kept]
    for _, (start, length) in sorted(zip(ranks, places, strict=True)):
        source.seek(start)
        yield source.read(length)


def merge_parts(target: Path, drop: frozenset[str] = frozenset(), order: Mapping[str, int] | None = None) -> None:
    """Merge a Parquet output's parts (and the rows of the output already there) into one file, in row groups,
    keeping each product's last row but none of the products in ``drop``, in the order of ``order`` (the input's);
    written beside the output, renamed over it, then the parts are removed."""
    pq = pyarrow_parquet()
    state = scan_output(target, "parquet")
    sources = ([target] if target.exists() else []) + part_files(target)
    if not sources:
        return
    schema = pq.ParquetFile(sources[0]).schema_arrow
    ids = [pid for batch in _kept_batches(sources, state, drop, ["product_id"]) for pid in batch.column(0).to_pylist()]
    tmp = temp_path(target)
    writer = pq.ParquetWriter(tmp, schema)
    for table in _in_order(sources, state, drop, input_ranks([str(pid) for pid in ids], order), schema):
        writer.write_table(table, row_group_size=MERGED_ROW_GROUP)
    writer.close()
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    # The parts leave OUT.parts in one rename, the merge's point of no return: a run killed after it is finished by
    # the next one's scan_output (finish_merge). Deleted in place after the copy replaced the output, a run killed
    # meanwhile left some or all of them, and --resume read their rows again as newer than the merged output's: rows
    # --drop-absent had dropped came back, and an error row a later success replaced was the product's last again.
    merged = merged_parts_dir(target)
    if parts_dir(target).is_dir():
        os.replace(parts_dir(target), merged)
    os.replace(tmp, target)
    shutil.rmtree(merged, ignore_errors=True)


def _kept_batches(
    sources: list[Path], state: OutputState, drop: frozenset[str], columns: list[str] | None = None
) -> Iterator[Any]:
    """The rows each product keeps (its last, unless dropped), batch by batch in file order, of ``columns`` (all)."""
    import pyarrow as pa

    pq = pyarrow_parquet()
    number = 0
    for source in sources:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=MERGED_ROW_GROUP, columns=columns):
            ids = batch.column(batch.schema.get_field_index("product_id")).to_pylist()
            keep = [state.last.get(str(pid)) == number + i and str(pid) not in drop for i, pid in enumerate(ids)]
            number += len(ids)
            yield batch.filter(pa.array(keep, type=pa.bool_()))


def _in_order(
    sources: list[Path], state: OutputState, drop: frozenset[str], ranks: list[int], schema: Any
) -> Iterator[Any]:
    """The kept rows as tables of about ``MERGED_ROW_GROUP`` rows, sorted by ``ranks`` (the kept rows', in file order).
    The rows in order already (the output an earlier run closed, then the products each resume tagged later than the
    rest) stream through; only the others, those a resume tagged again and appended (its failed products, as a rule a
    few), are held in memory, each put in before the first row that comes after it."""
    import numpy as np
    import pyarrow as pa

    in_place = np.zeros(len(ranks), dtype=bool)
    highest = -1
    for i, rank in enumerate(ranks):  # the rows after no row ranked later than them
        in_place[i] = rank > highest
        highest = max(highest, rank)
    ranked = np.array(ranks, dtype=np.int64)
    moved = _moved_rows(sources, state, drop, ~in_place, schema)
    moved_ranks = np.sort(ranked[~in_place])
    moved = moved.take(pa.array(np.argsort(ranked[~in_place], kind="stable")))
    taken = start = 0
    for batch in _kept_batches(sources, state, drop):
        here = in_place[start : start + batch.num_rows]
        batch_ranks = ranked[start : start + batch.num_rows][here]
        start += batch.num_rows
        if not len(batch_ranks):
            continue
        upto = int(np.searchsorted(moved_ranks, batch_ranks[-1]))  # the moved rows ranked before this batch's last
        table = pa.concat_tables(
            [pa.Table.from_batches([batch.filter(pa.array(here))], schema), moved.slice(taken, upto - taken)]
        )
        together = np.concatenate([batch_ranks, moved_ranks[taken:upto]])
        taken = upto
        yield table.take(pa.array(np.argsort(together, kind="stable")))
    if taken < len(moved_ranks):
        yield moved.slice(taken)


def _moved_rows(sources: list[Path], state: OutputState, drop: frozenset[str], moved: Any, schema: Any) -> Any:
    """The kept rows that ``moved`` (a mask over the kept rows, in file order) marks, as one table."""
    import pyarrow as pa

    batches, start = [], 0
    for batch in _kept_batches(sources, state, drop):
        mask = moved[start : start + batch.num_rows]
        start += batch.num_rows
        if mask.any():
            batches.append(batch.filter(pa.array(mask)))
    return pa.Table.from_batches(batches, schema)
