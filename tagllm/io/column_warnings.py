"""What an input's columns will leave unread or read unlike the user meant, found in its first records before a run."""

from __future__ import annotations

from tagllm.io.readers import FIRST_RECORDS_CHECKED, RecordSource, unknown_columns
from tagllm.io.rows import BINARY_PREFIX, binary_text


def column_warnings(records: RecordSource, keep_columns: list[str]) -> list[str]:
    """The warnings ``records``' first records give (read once: they are tagged afterwards from the same stream):
    columns that are no product field, fields ``--columns`` maps to a column the input lacks, ``keep_columns`` it
    lacks or whose bytes are not text. Each says which flag it is about, as the CLI's options name them."""
    said: list[str] = []
    first = records.peek(FIRST_RECORDS_CHECKED)
    unknown = {} if records.shopify_export else unknown_columns(first)  # its other columns: said by export_note
    # a column that looks like a field was probably meant as it: each gets its own line; the rest (a Shopify export
    # has ~30: variants, SEO, inventory) are named together in one line a person reads
    for column, guess in unknown.items():
        if guess:
            hint = f"did you mean {guess!r}? or map it: --columns {guess}={column}"
            said.append(f"{records.name}: column {column!r} is not a product field ({hint}); kept in extra")
    others = [column for column, guess in unknown.items() if not guess]
    if len(others) == 1:
        said.append(f"{records.name}: column {others[0]!r} is not a product field; kept in extra")
    elif others:
        named = ", ".join(repr(column) for column in others)
        said.append(
            f"{records.name}: {len(others)} columns are not product fields, kept in extra: {named} "
            "(map one with --columns FIELD=COLUMN)"
        )
    mapped, empty = records.unread_columns(keep_columns)
    said += [f"--columns {text}" for text in mapped.values()]
    for column in keep_columns:
        if column in empty:
            said.append(f"--keep-columns {empty[column]}")
        elif any(_is_binary((record.data or {}).get(column)) for record in first):
            said.append(
                f"--keep-columns {column}: {records.name}'s column {column!r} holds bytes that are not UTF-8 text; "
                "such a cell is written as 'base64:' and its base64 (a cell of UTF-8 text as that text)"
            )
    return said


def _is_binary(value: object) -> bool:
    """Whether a cell is bytes that are not UTF-8 text (a Parquet binary column's): kept, it is written as base64."""
    return isinstance(value, bytes) and binary_text(value).startswith(BINARY_PREFIX)
