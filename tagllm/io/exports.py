"""The columns of a shop's product export that hold a product's fields: the ``--columns`` a table with no title column
is told to read it with, when its header is such an export's."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

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
