"""What a table's header with no title column most likely means, said as the hint that ends its refusal: another
separator, a line above the header, a shop's export read with ``--columns`` that left out its title, a column named
as a title."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from tagllm.io.csv_records import separator_in
from tagllm.io.exports import shopify_columns
from tagllm.io.jsonl import Record
from tagllm.models import suggest_field


def columns_flag(columns: dict[str, str]) -> str:
    """``--columns`` with its value as typed in a shell: a column of more than letters, digits, ``_`` and ``-`` in
    double quotes, as ``--columns`` reads it, and the whole value quoted for the shell where it needs it."""
    pairs = (
        f"{field}={column}" if re.fullmatch(r"[\w-]+", column) else f'{field}="{column}"'
        for field, column in columns.items()
    )
    return f"--columns {shlex.quote(','.join(pairs))}"


# the keys every row of a tagllm output has, and those only an output has: its fingerprint, or JSONL's tags beside
# its rejected strings (a shop's own table may have a product_id, a status and tags)
_OUTPUT_KEYS = {"product_id", "status"}
_OUTPUT_OWN_KEYS = (("input_hash",), ("tags", "rejected"))
# the column every CSV/Parquet output has besides those (its error column too, but a Parquet row's empty one is read
# as no key); with a facet's three (category, category_id and category_confidence) they tell an output whose title
# column was kept from its products (--keep-columns title)
_TABLE_OUTPUT_KEY = "rejected"


def output_refusal(name: str, first: Sequence[Record]) -> str | None:
    """Why an input is no products but the output of an earlier run (given by mistake: ``generate tags.jsonl``), or
    None. Read as products, each row was an error record ("has no title"), written after the models loaded; an
    output that kept its products' titles was tagged again from them, its own columns kept in extra."""
    keys = {key for record in first for key in record.data or {}}
    if not first or not keys >= _OUTPUT_KEYS:
        return None
    own = next((" and ".join(given) for given in _OUTPUT_OWN_KEYS if keys.issuperset(given)), None)
    if "title" not in keys and own is not None:
        what = f"product_id, status and {own}, and no title"
    elif _TABLE_OUTPUT_KEY in keys and (facet := _facet_columns(keys)) is not None:
        # a title kept from its products (--keep-columns title), or none: a CSV written before rows had input_hash
        kept = "; its other columns were kept from its products" if "title" in keys else ", and no title"
        what = f"product_id, status, rejected and {facet}, {facet}_id and {facet}_confidence{kept}"
    else:
        return None
    return (
        f"{name}: it is the output of a tagllm run (its records have {what}), not products: give the file of products "
        "it was tagged from"
    )


def _facet_columns(keys: set[str]) -> str | None:
    """The first facet (by name) whose three columns a CSV/Parquet output writes are all among ``keys``: its tags,
    their ids and their confidences; None when no facet's are."""
    return min((key for key in keys if {f"{key}_id", f"{key}_confidence"} <= keys), default=None)


def export_note(name: str, columns: dict[str, str], opt_out: str) -> str:
    """How a file told a Shopify product export (by ``shopify_columns``) is read, said once before a run, and what
    reads it otherwise (``opt_out``: the flag or argument that gives the columns)."""
    return (
        f"{name}: read as a Shopify product export ({columns_flag(columns).removeprefix('--columns ')}; its options, "
        "Type and Tags as attributes; its SEO description or photos' alt texts as the description where the body is "
        f"empty; its other columns kept in extra); {opt_out} reads it otherwise"
    )


def no_title_hint(header: Sequence[str], fmt: str, first: Sequence[Record]) -> str:
    """What to do about a header (of a CSV or Parquet file, whose ``first`` records are given) with no title column."""
    if fmt == "csv" and (sep := next(filter(None, map(separator_in, header)), None)):
        # a header of one column, or cut at a comma in a column's name: 'id;title;"size', 'cm"'
        return f"its columns seem separated by {sep!r}: re-save it separated by commas"
    if fmt == "csv" and (below := _header_below(first)) is not None:
        return below
    if shopify_columns(header) is not None:  # read as one without --columns: the columns given replaced the reading
        return (
            "it is a Shopify product export, which is read as one without --columns (its handle as the id, its "
            "title, description, vendor and photos, and its options, Type and Tags as attributes): leave out "
            "--columns, or add title=Title to it"
        )
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
