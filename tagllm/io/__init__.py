"""Batch I/O: read products (JSONL, CSV, Parquet; file or stdin), write results as they are ready, resume a run."""

from tagllm.io.products import (
    as_product,
    check_batch,
    claims_another_line,
    error_id,
    line_id,
    read_products,
    row_to_product,
    to_product,
)
from tagllm.io.readers import (
    FORMATS,
    STDIO,
    Record,
    RecordSource,
    detect_format,
    parse_columns,
    read_records,
    unknown_columns,
)
from tagllm.io.resume import OutputState, scan_output
from tagllm.io.writers import ResultWriter, flat_row, table_row

__all__ = [
    "FORMATS",
    "STDIO",
    "OutputState",
    "Record",
    "RecordSource",
    "ResultWriter",
    "as_product",
    "check_batch",
    "claims_another_line",
    "detect_format",
    "error_id",
    "flat_row",
    "line_id",
    "parse_columns",
    "read_products",
    "read_records",
    "row_to_product",
    "scan_output",
    "table_row",
    "to_product",
    "unknown_columns",
]
