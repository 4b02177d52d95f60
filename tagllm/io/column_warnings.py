"""What an input's columns will leave unread or read unlike the user meant, found in its first records before a run,
worded once for every caller: the CLI names its flags, ``tag_file`` its arguments."""

from __future__ import annotations

from dataclasses import dataclass

from tagllm.io.readers import FIRST_RECORDS_CHECKED, RecordSource, unknown_columns
from tagllm.io.rows import BINARY_PREFIX, binary_text


@dataclass(frozen=True)
class OptionNames:
    """How a caller names the column options a warning is about, so that each warning says what to change where the
    user sets it. ``map_one`` is how a column is read as a field (formatted with ``field`` and ``column``);
    ``map_any`` the same with neither named."""

    columns: str
    keep_columns: str
    map_one: str
    map_any: str


CLI_FLAGS = OptionNames("--columns", "--keep-columns", "--columns {field}={column}", "--columns FIELD=COLUMN")
API_ARGUMENTS = OptionNames(
    "columns", "keep_columns", map_one="columns={{{field!r}: {column!r}}}", map_any="columns={'FIELD': 'COLUMN'}"
)


def column_warnings(records: RecordSource, keep_columns: list[str], names: OptionNames = CLI_FLAGS) -> list[str]:
    """The warnings ``records``' first records give (read once: they are tagged afterwards from the same stream):
    columns that are no product field, fields ``columns`` maps to a column the input lacks, ``keep_columns`` it
    lacks or whose bytes are not text. Each says which option it is about, as ``names`` names them."""
    first = records.peek(FIRST_RECORDS_CHECKED)
    said = [] if records.shopify_export else _unknown_column_warnings(records, names)  # an export: export_note's
    mapped, empty = records.unread_columns(keep_columns)
    said += [f"{names.columns} {text}" for text in mapped.values()]
    for column in keep_columns:
        if column in empty:
            said.append(f"{names.keep_columns} {empty[column]}")
        elif any(_is_binary((record.data or {}).get(column)) for record in first):
            said.append(
                f"{names.keep_columns} {column}: {records.name}'s column {column!r} holds bytes that are not UTF-8 "
                "text; such a cell is written as 'base64:' and its base64 (a cell of UTF-8 text as that text)"
            )
    return said


def _unknown_column_warnings(records: RecordSource, names: OptionNames) -> list[str]:
    """Columns of the first records that are no product field: a column that looks like a field was probably meant as
    it, and each gets its own line; the rest (a spreadsheet's SKU, price, stock …) are named together in one line a
    person reads."""
    said: list[str] = []
    unknown = unknown_columns(records.peek(FIRST_RECORDS_CHECKED))
    for column, guess in unknown.items():
        if guess:
            hint = f"did you mean {guess!r}? or map it: {names.map_one.format(field=guess, column=column)}"
            said.append(f"{records.name}: column {column!r} is not a product field ({hint}); kept in extra")
    others = [column for column, guess in unknown.items() if not guess]
    if len(others) == 1:
        said.append(f"{records.name}: column {others[0]!r} is not a product field; kept in extra")
    elif others:
        named = ", ".join(repr(column) for column in others)
        said.append(
            f"{records.name}: {len(others)} columns are not product fields, kept in extra: {named} "
            f"(map one with {names.map_any})"
        )
    return said


def _is_binary(value: object) -> bool:
    """Whether a cell is bytes that are not UTF-8 text (a Parquet binary column's): kept, it is written as base64."""
    return isinstance(value, bytes) and binary_text(value).startswith(BINARY_PREFIX)
