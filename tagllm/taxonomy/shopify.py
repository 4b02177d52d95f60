"""Shopify's open Standard Product Taxonomy: its category tree and its attributes, with Chinese labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagllm.errors import TaxonomyError
from tagllm.taxonomy.files import numbered_jsonl
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.nodes import CATEGORY, Facet, Value

_FIELDS = {
    "categories.jsonl": ("id", "name", "path"),
    "categories_zh-CN.jsonl": ("id", "name"),
    "attributes.jsonl": ("id", "name", "handle", "values", "value_ids", "value_handles"),
    "attributes_zh-CN.jsonl": ("handle", "name", "values", "value_ids"),
}

# Shopify's zh-CN files translate each English value name once, whatever the attribute, and "Blue", "Red" and "Orange"
# took the wine sense: 蓝酒, 红酒, 橙酒 label the colours of `color`, `hair-color-shade` and `makeup-color-shade`, and
# Orange as a flavour, as well as the wine varieties (2025-01-unstable). Read as written, 蓝色 and 红色 were no colour
# and a 红酒杯 (a red-wine glass) stated the colour Red. Outside the wine attributes those labels are read as the colour
# word in a colour attribute and dropped elsewhere: no label is better than a wrong one.
_WINE_SENSE = {"蓝酒": "蓝色", "红酒": "红色", "橙酒": "橙色"}


def load_shopify(directory: Path, *, attributes: bool = True) -> Taxonomy:
    """Shopify's Standard Product Taxonomy: categories, plus each attribute as a flat facet of its values.

    ``*_zh-CN.jsonl`` beside the English files become Chinese labels on the same ids.
    """
    categories = _read(directory / "categories.jsonl")
    zh_names = _zh_names(directory / "categories_zh-CN.jsonl")
    facets: dict[str, Facet] = {CATEGORY: Facet(CATEGORY, "Category", "Shopify product category", True, False, True)}
    values: dict[str, Value] = {}
    scope_of: dict[str, set[str]] = {}  # attribute id -> the categories that list it
    for c in categories:
        labels = (("zh-CN", zh_names[c["id"]]),) if c["id"] in zh_names else ()
        values[c["id"]] = Value(c["id"], c["name"], CATEGORY, c.get("parent_id"), c["path"], (), labels)
        for attribute_id in c.get("attribute_ids") or ():
            scope_of.setdefault(str(attribute_id), set()).add(c["id"])
    if attributes and (directory / "attributes.jsonl").exists():
        zh_values: dict[str, str] = {}
        zh_facets: dict[str, str] = {}
        zh_path = directory / "attributes_zh-CN.jsonl"
        if zh_path.exists():
            for a in _read(zh_path):
                zh_facets[a["handle"]] = a["name"]
                zh_values.update(zip(a["value_ids"], a["values"], strict=False))
        for a in _read(directory / "attributes.jsonl"):
            handle = a["handle"]
            facet_labels = (("zh-CN", zh_facets[handle]),) if handle in zh_facets else ()
            # Shopify lists each category's attributes on the category itself (children do not simply inherit
            # them: 821 categories lack one of their parent's); an attribute no category lists applies everywhere.
            scope = scope_of.get(str(a["id"]))
            facets[handle] = Facet(
                handle, a["name"], a.get("description") or "", False, True, False, facet_labels,
                frozenset(scope) if scope else None,
            )  # fmt: skip
            for vid, vname, vhandle in zip(a["value_ids"], a["values"], a["value_handles"], strict=False):
                label = _zh_value_label(handle, zh_values.get(vid))
                labels = (("zh-CN", label),) if label else ()
                values[vid] = Value(vid, vname, handle, None, None, (), labels, vhandle)
    return Taxonomy("shopify", facets, values, source=str(directory), languages=("en", "zh-CN"))


def _zh_value_label(handle: str, label: str | None) -> str | None:
    """The Chinese label of a value of attribute ``handle``, Shopify's wine-sense colour words put right."""
    if label not in _WINE_SENSE or "wine" in handle:
        return label
    return _WINE_SENSE[label] if "color" in handle or "colour" in handle else None


def _zh_names(path: Path) -> dict[str, str]:
    return {c["id"]: c["name"] for c in _read(path)} if path.exists() else {}


def _read(path: Path) -> list[dict[str, Any]]:
    """A file of the directory, each line with the fields Shopify's gives it: a line without one stopped the load
    with a traceback (KeyError: 'name'), as a bug of tagllm's."""
    fields = _FIELDS[path.name]
    items = []
    for lineno, item in numbered_jsonl(path):
        missing = [f for f in fields if not isinstance(item, dict) or item.get(f) in (None, "")]
        if missing:
            raise TaxonomyError(
                f"{path}:{lineno}: no {', '.join(map(repr, missing))}; a Shopify taxonomy directory's {path.name} "
                f"gives each line {', '.join(fields)}, as Shopify's dist/en files do. A category tree of your own is "
                "a list of paths: a directory holding categories.jsonl alone, or a file of 'A > B > C' lines"
            )
        items.append(item)
    return items
