"""Shopify's open Standard Product Taxonomy: its category tree and its attributes, with Chinese labels."""

from __future__ import annotations

from pathlib import Path

from tagllm.taxonomy.files import read_jsonl
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.nodes import CATEGORY, Facet, Value


def load_shopify(directory: Path, *, attributes: bool = True) -> Taxonomy:
    """Shopify's Standard Product Taxonomy: categories, plus each attribute as a flat facet of its values.

    ``*_zh-CN.jsonl`` beside the English files become Chinese labels on the same ids.
    """
    categories = list(read_jsonl(directory / "categories.jsonl"))
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
            for a in read_jsonl(zh_path):
                zh_facets[a["handle"]] = a["name"]
                zh_values.update(zip(a["value_ids"], a["values"], strict=False))
        for a in read_jsonl(directory / "attributes.jsonl"):
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
                labels = (("zh-CN", zh_values[vid]),) if vid in zh_values else ()
                values[vid] = Value(vid, vname, handle, None, None, (), labels, vhandle)
    return Taxonomy("shopify", facets, values, source=str(directory), languages=("en", "zh-CN"))


def _zh_names(path: Path) -> dict[str, str]:
    return {c["id"]: c["name"] for c in read_jsonl(path)} if path.exists() else {}
