"""What a table's header with no title column most likely means, said as the hint that ends its refusal: another
separator, a line above the header, a shop's export (and the ``--columns`` reading it), a column named as a title."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from tagllm.io.csv_records import separator_in
from tagllm.io.jsonl import Record
from tagllm.models import suggest_field

# Shopify's product CSV, as its admin exports it (the classic spelling, then the 2024 one): each field with the
# columns that hold it. Without id=Handle each variant and photo row was an error record ("has no title"), not part
# of its product; without the rest, the description and vendor went unread.
SHOPIFY_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Handle", "URL handle"),
    "title": ("Title",),
    "description": ("Body (HTML)", "Description"),
    "brand": ("Vendor",),
    "images": ("Image Src", "Product image URL"),
}


def shopify_columns(header: Sequence[str]) -> dict[str, str] | None:
    """field -> column of a header that is a Shopify product export's (a handle and a title column), else None."""
    present = set(header)
    found = {field: next((c for c in columns if c in present), None) for field, columns in SHOPIFY_COLUMNS.items()}
    if found["id"] is None or found["title"] is None:
        return None
    return {field: column for field, column in found.items() if column is not None}


def columns_flag(columns: dict[str, str]) -> str:
    """``--columns`` with its value as typed in a shell: a column of more than letters, digits, ``_`` and ``-`` in
    double quotes, as ``--columns`` reads it, and the whole value quoted for the shell where it needs it."""
    pairs = (
        f"{field}={column}" if re.fullmatch(r"[\w-]+", column) else f'{field}="{column}"'
        for field, column in columns.items()
    )
    return f"--columns {shlex.quote(','.join(pairs))}"


def no_title_hint(header: Sequence[str], fmt: str, first: Sequence[Record]) -> str:
    """What to do about a header (of a CSV or Parquet file, whose ``first`` records are given) with no title column."""
    if fmt == "csv" and (sep := next(filter(None, map(separator_in, header)), None)):
        # a header of one column, or cut at a comma in a column's name: 'id;title;"size', 'cm"'
        return f"its columns seem separated by {sep!r}: re-save it separated by commas"
    if fmt == "csv" and (below := _header_below(first)) is not None:
        return below
    if (export := shopify_columns(header)) is not None:
        return f"it is a Shopify product export: {columns_flag(export)}"
    if (column := _title_like(header)) is not None:
        return f"its column {column!r} looks like the title: {columns_flag({'title': column})}"
    return "name the column that holds the titles: --columns title=COLUMN"


def _header_below(records: Sequence[Record]) -> str | None:
    """Where a CSV's header is when a line above it was taken for it (a spreadsheet's caption row, "Product list,,"):
    the first row naming a title column, and the flag that reads it; None when no row does."""
    for record in records:
        cells = [value for value in (record.data or {}).values() if isinstance(value, str)]
        if "title" in cells:
            flag = ""
        elif (column := _title_like(cells)) is not None:
            flag = f", then {columns_flag({'title': column})}"
        else:
            continue
        shown = ", ".join(repr(cell) for cell in cells[:12]) + (" …" if len(cells) > 12 else "")
        return (
            f"its header seems to be line {record.line} ({shown}): remove the {record.line - 1} line(s) above it{flag}"
        )
    return None


def _title_like(header: Iterable[str]) -> str | None:
    """The first column whose name reads as the title ("Title", "TITLE", "Titel", "Product Title", "Product Name", a
    shop's "Name"), for the flag that reads it; not a name of something else ("Attribute 1 name", "Brand Name")."""
    for column in header:
        words = re.findall(r"[^\W\d_]+", column.casefold())
        if suggest_field(column) == "title" or words in (["name"], ["product", "name"], ["product", "title"]):
            return column
    return None
