"""Making an output one row per product again, crash-safely: a torn last row is cut off (nothing before it is
touched); a product with several rows keeps its last, in a copy written beside the output and renamed over it, so a
kill at any moment leaves either the old file or the new one, whole."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path
from typing import Any

from tagllm.io.resume import (
    OutputState,
    csv_rows,
    jsonl_rows,
    merged_parts_dir,
    part_files,
    parts_dir,
    pyarrow_parquet,
    scan_output,
    temp_path,
)

MERGED_ROW_GROUP = 16_384  # rows per row group when the parts of a Parquet output are merged


def cut_torn_row(target: Path, state: OutputState) -> None:
    """Truncate a JSONL/CSV output at the end of its last complete row (nothing before it is touched), and end that
    row with a newline where it lacks one (``jsonl_rows``), so that the rows added start on a line of their own."""
    if not target.exists():
        return
    if target.stat().st_size > state.complete_bytes:
        os.truncate(target, state.complete_bytes)
    if state.complete_bytes:
        with target.open("r+b") as fh:
            fh.seek(state.complete_bytes - 1)
            if fh.read(1) != b"\n":
                fh.write(b"\n")


def compact(target: Path, fmt: str, drop: frozenset[str] = frozenset()) -> None:
    """Keep each product's last row, but none of the products in ``drop``: written beside the output, then renamed
    over it."""
    state = scan_output(target, fmt)
    tmp = temp_path(target)
    with tmp.open("wb") as out:
        if fmt == "csv":
            line = io.StringIO()
            csv.writer(line).writerow(state.header or [])
            out.write(line.getvalue().encode("utf-8"))
        rows = jsonl_rows(target) if fmt == "jsonl" else csv_rows(target)
        for number, (product_id, _, raw, _, _) in enumerate(rows):
            if state.last.get(product_id) == number and product_id not in drop:
                out.write(raw)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)


def merge_parts(target: Path, drop: frozenset[str] = frozenset()) -> None:
    """Merge a Parquet output's parts (and the rows of the output already there) into one file, in row groups,
    keeping each product's last row but none of the products in ``drop``; written beside the output, renamed over
    it, then the parts are removed."""
    import pyarrow as pa

    pq = pyarrow_parquet()
    state = scan_output(target, "parquet")
    sources = ([target] if target.exists() else []) + part_files(target)
    tmp = temp_path(target)
    writer: Any = None
    pending: list[Any] = []
    number = 0

    def flush() -> None:
        if pending:
            writer.write_table(pa.Table.from_batches(pending), row_group_size=MERGED_ROW_GROUP)
            pending.clear()

    for source in sources:
        parquet = pq.ParquetFile(source)
        if writer is None:
            writer = pq.ParquetWriter(tmp, parquet.schema_arrow)
        for batch in parquet.iter_batches(batch_size=MERGED_ROW_GROUP):
            ids = batch.column("product_id").to_pylist()
            keep = [state.last.get(str(pid)) == number + i and str(pid) not in drop for i, pid in enumerate(ids)]
            number += len(ids)
            pending.append(batch.filter(pa.array(keep)))
            if sum(b.num_rows for b in pending) >= MERGED_ROW_GROUP:
                flush()
    if writer is None:
        return
    flush()
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
