"""A shop's product export read as the shop meant it, told by its header: Shopify's product CSV (its classic column
names and its 2024 ones), as its admin exports it, is read without ``--columns``.

Its columns are read as product fields (``SHOPIFY_COLUMNS``), and what the shop states about the product that no field
holds becomes its attributes, which the tagger reads as text (``Product.text``, and the LLM's prompt) under their
names, in this order (the text is cut at its end, and a tag says least):

- ``Type`` as ``Product type``: the merchant's own word for the kind of product ("Shirts");
- the options on offer, gathered from every variant row: ``Option1 Name`` "Color" with ``Option1 Value`` "Navy" on
  one row and "Red" on the next is ``Color: Navy, Red`` (Shopify's placeholder for a product with no variants,
  ``Title``/``Default Title``, states nothing and is left out);
- ``Tags`` as ``Tags``: its keywords ("linen, summer"), which may be a shop's housekeeping ("sale", "new-arrival").

A product whose ``Body (HTML)`` is empty is described by what else the shop wrote about it: its ``SEO Description``
(the shop's own summary, which search engines show), else its photos' ``Image Alt Text`` gathered from every row (what
each photo shows: "Black cotton tee, back"), each once and none that only repeats the title. Without them it was tagged
from its title alone. ``SEO Title`` is not read: it is the title again, most often with the shop's name after it.

Attributes rather than the title or the description: the title is read for its head noun and stays the merchant's,
the description is cut at 600 characters, and each is read as what it is, on a line of its own and named.

The export is told by its header: a handle and a title column, and at least one column only Shopify's export has
(``SHOPIFY_OWN_COLUMNS``): a handle and a title alone are any shop's table, and such a table was read as an export (its
``Type`` and ``Tags`` as attributes) unasked.

``Product Category`` is not read: it is a category of Shopify's own taxonomy the shop already chose, and a tagger run
to assign or check the category would repeat it (``--keep-columns "Product Category"`` puts it beside the result).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tagllm.missing import is_blank_cell
from tagllm.text import html_text

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
# columns no other table is likely to have (Shopify's documented names, classic and 2024, compared case-folded): one of
# them beside a handle and a title tells the export; generic names (Vendor, Type, Tags, Price, SKU) tell nothing.
SHOPIFY_OWN_COLUMNS = frozenset(
    name.casefold()
    for name in (
        "Body (HTML)", "Option1 Name", "Option1 Value", "Variant SKU", "Variant Price", "Variant Grams",
        "Variant Inventory Qty", "Variant Inventory Policy", "Variant Compare At Price", "Variant Image", "Image Src",
        "Image Position", "Image Alt Text", "SEO Title", "SEO Description", "Gift Card", "Product image URL",
        "Variant image URL", "Published on online store", "Compare-at price", "Charge tax",
    )
)  # fmt: skip
# what describes a product whose body is empty, in this order (either spelling, any case)
SEO_DESCRIPTION = "seo description"
ALT_TEXT = "image alt text"
# the export's columns read as attributes, by the name the tagger reads them under (either spelling, any case)
SHOPIFY_ATTRIBUTES = {"type": "Product type", "tags": "Tags"}
_OPTION = re.compile(r"option([123]) (name|value)", re.IGNORECASE)
# what Shopify writes as the option of a product with no variants: no option at all
_NO_OPTION = ("title", "default title")


def shopify_columns(header: Sequence[str]) -> dict[str, str] | None:
    """field -> column of a header that is a Shopify product export's (a handle and a title column, and one of
    ``SHOPIFY_OWN_COLUMNS``), else None."""
    present = set(header)
    found = {field: next((c for c in columns if c in present), None) for field, columns in SHOPIFY_COLUMNS.items()}
    if found["id"] is None or found["title"] is None:
        return None
    if not any(column.casefold() in SHOPIFY_OWN_COLUMNS for column in header):
        return None
    return {field: column for field, column in found.items() if column is not None}


def gather_options(first: dict[str, Any], row: dict[str, Any]) -> None:
    """Add a variant or photo row's option values and photo alt texts to its product's first row's, each value once,
    in the export's order."""
    for column, value in row.items():
        if is_blank_cell(value) or not (_is_option(column, "value") or column.casefold() == ALT_TEXT):
            continue
        held = first.get(column)
        values = held if isinstance(held, list) else [] if held is None else [held]
        if value not in values:
            values.append(value)
        first[column] = values


def as_product_record(data: dict[str, Any]) -> dict[str, Any]:
    """A (joined) row of a Shopify export with its type, options and tags as its attributes, in that order (the text
    a tagger reads is cut at its end, and a tag says least). Their columns stay, as cells of ``extra`` that
    ``--keep-columns`` may copy, an option's value column holding its first variant's, as the export's row does."""
    out = dict(data)
    names: dict[str, str] = {}
    values: dict[str, list[Any]] = {}
    stated: dict[str, str] = {}
    for column, value in data.items():
        if column.casefold() == ALT_TEXT and isinstance(value, list):
            out[column] = value[0] if value else None  # the first row's cell, as the export holds it
        elif (option := _OPTION.fullmatch(column)) is not None:
            number, part = option.groups()
            if part.lower() == "name" and isinstance(value, str):
                names[number] = value.strip()
            elif part.lower() == "value" and value is not None:
                values[number] = value if isinstance(value, list) else [value]
                out[column] = values[number][0]
        elif (name := SHOPIFY_ATTRIBUTES.get(column.casefold())) is not None and not is_blank_cell(value):
            stated[name] = str(value)
    attributes = {name: stated[name] for name in ("Product type",) if name in stated}
    for number, name in sorted(names.items()):
        offered = [str(v) for v in values.get(number, []) if str(v).strip().casefold() not in _NO_OPTION]
        if name.casefold() not in _NO_OPTION and offered:
            attributes[name] = ", ".join(offered)
    attributes.update({name: stated[name] for name in ("Tags",) if name in stated})
    if attributes:
        out["attributes"] = attributes
    if _is_empty_body(out.get("description")) and (described := _description_otherwise(data)) is not None:
        out["description"] = described
    return out


def _is_empty_body(body: Any) -> bool:
    """Whether a Body (HTML) cell holds no text: empty, or markup alone ("<p>&nbsp;</p>", as the admin's editor
    leaves a cleared description)."""
    return is_blank_cell(body) or (isinstance(body, str) and not html_text(body).strip())


def _description_otherwise(data: dict[str, Any]) -> str | None:
    """What describes a product whose body is empty: its SEO description, else its photos' alt texts (each once, none
    that is the title again), else None."""
    cells = {column.casefold(): value for column, value in data.items()}
    if not is_blank_cell(seo := cells.get(SEO_DESCRIPTION)):
        return str(seo).strip()
    alt = cells.get(ALT_TEXT)
    title = str(data.get("title") or "").strip().casefold()
    texts = [str(text).strip() for text in (alt if isinstance(alt, list) else [alt]) if not is_blank_cell(text)]
    texts = list(dict.fromkeys(text for text in texts if text.casefold() != title))
    return "; ".join(texts) or None


def _is_option(column: str, part: str) -> bool:
    option = _OPTION.fullmatch(column)
    return option is not None and option.group(2).lower() == part
