"""A table export's continuation rows: Shopify's product CSV writes a product's variants and further photos on rows of
their own after its first row, repeating the ``Handle`` and holding no title (or, written by other tools, the same
title again). They are joined to that product.

What a continuation row adds is photos: its ``images`` cell and, when the table's photos are read (``images`` is one
of its columns), its variant's photo (``Variant Image``; ``Variant image URL`` in Shopify's newer export); and what
``on_join`` takes from it (a Shopify export read as one gathers its option values: ``tagllm.io.exports``). SKUs and
prices are not product text: they are left with the row, as the first row's are in ``extra``.
A continuation row with no row of its product just before it is an error record named by its line (not by the id,
which the product's own row, if the export has it elsewhere, is tagged under).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from tagllm.image_refs import ImageFieldError, image_references
from tagllm.io.jsonl import Record
from tagllm.models import RecordError

# a variant's own photo, in Shopify's product CSV export (classic) and its 2024 export
VARIANT_PHOTO_COLUMNS = ("Variant Image", "Variant image URL")
# the cells only a variant row fills: Option1-3 Value, Variant SKU, Variant Price… (either export's spelling)
_VARIANT_CELL = re.compile(r"(?:option[123] value|variant .+)", re.IGNORECASE)
_TEXT_FIELDS = ("title", "description", "brand", "attributes", "queries")


class Continuations:
    """Joins each continuation row to the product row before it; ``photo_rows`` and ``variant_rows`` count them."""

    def __init__(self, name: str, on_join: Callable[[dict[str, Any], dict[str, Any]], None] | None = None) -> None:
        self.name = name
        self.on_join = on_join  # given the product row's data and a row joined to it (a Shopify export's options)
        self.photo_rows = 0
        self.variant_rows = 0

    def join(self, records: Iterator[Record], *, reads_photos: Callable[[], bool]) -> Iterator[Record]:
        """``records`` with every continuation row folded into the product row before it. ``reads_photos()``: the
        table's photos are read (its columns, known once the first row is read, include ``images``), so a variant's
        photo is one of its product's."""
        held: Record | None = None
        photos: bool | None = None
        for record in records:
            if photos is None:
                photos = reads_photos()
            if photos and record.data is not None:
                _take_variant_photos(record.data)
            if held is not None and self._joins(held, record):
                continue
            orphan = _orphan(record, held, self.name)
            if held is not None:
                yield held
            held = orphan or record
        if held is not None:
            yield held

    def _joins(self, held: Record, record: Record) -> bool:
        """Whether ``record`` continues ``held``'s product (the same id, no text of its own, photos or variant cells),
        and if so adds its photos to ``held``."""
        data, first = record.data, held.data
        if data is None or first is None or data.get("id") is None or data.get("id") != first.get("id"):
            return False
        if not _is_continuation(data, first):
            return False
        try:
            photos = image_references(first.get("images")) + image_references(data.get("images"))
        except ImageFieldError:
            return False  # left as a record of its own: the run reports it, naming the field
        if photos:
            first["images"] = list(dict.fromkeys(photos))  # a variant's photo is most often one of the product's
        if self.on_join is not None:
            self.on_join(first, data)
        if _variant_cells(data):
            self.variant_rows += 1
        else:
            self.photo_rows += 1
        return True


def _is_continuation(data: dict[str, Any], first: dict[str, Any] | None = None) -> bool:
    """Photos or the cells of a variant, and no text a tagger reads (a row with a title or a description of its own
    is a product); a variant's row may repeat its product's text (``first``), as some tools write every variant row
    in full."""
    text = [field for field in _TEXT_FIELDS if data.get(field) is not None]
    if text and (first is None or any(data[field] != first.get(field) for field in text)):
        return False  # most rows: a product's own
    variant = _variant_cells(data)
    return variant if text else variant or _has_photos(data.get("images"))


def _has_photos(images: Any) -> bool:
    """Whether an ``images`` cell names a photo: a list column's empty cell (``[]`` in Parquet, ``"[]"`` in the CSV
    pandas writes of it) names none, so a row holding it and no title is a product without a title, not a photo row."""
    try:
        return bool(image_references(images))
    except ImageFieldError:
        return True  # a photo field of its own kind: joined or not, validation names the item at fault


def _variant_cells(data: dict[str, Any]) -> bool:
    return any(value is not None and _is_variant_column(key) for key, value in data.items())


@functools.lru_cache(maxsize=1024)
def _is_variant_column(column: str) -> bool:
    return _VARIANT_CELL.fullmatch(column) is not None


def _take_variant_photos(data: dict[str, Any]) -> None:
    """A row's variant photo joins its ``images`` (the first row's variant is a variant too)."""
    extra = [data.pop(column) for column in VARIANT_PHOTO_COLUMNS if column in data]
    extra = [value for value in extra if value is not None]
    if not extra:
        return
    if data.get("images") is None:
        data["images"] = extra if len(extra) > 1 else extra[0]
        return
    try:
        data["images"] = list(dict.fromkeys(image_references(data["images"]) + image_references(extra)))
    except ImageFieldError:
        data["images"] = [data["images"], *extra]  # validation names the item at fault


def _orphan(record: Record, held: Record | None, name: str) -> Record | None:
    """The error record for a continuation row that follows no row of its product, else None."""
    data = record.data
    if data is None or data.get("id") is None or not _is_continuation(data):
        return None
    if held is not None and held.data is not None and held.data.get("id") == data.get("id"):
        return None  # the same product's row, not joined for another reason (its images field): validation names it
    what = "a variant" if _variant_cells(data) else "photos"
    message = (
        f"{name}:{record.line}: a row of product {str(data['id'])!r} with {what} and no title, and no row of that "
        "product just before it: a Shopify export lists a product's variants and further photos on the rows right "
        "after its first row (keep the export's order), and any other product needs a title"
    )
    return Record(record.line, None, RecordError(field="title", line=record.line, message=message))
