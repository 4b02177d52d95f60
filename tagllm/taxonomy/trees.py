"""Category trees from path lists: "A > B > C" lines or Flipkart/OpenBG ``categories.jsonl``, Google's taxonomy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tagllm.errors import TaxonomyError
from tagllm.taxonomy.files import read_jsonl, read_text
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.nodes import CATEGORY, PATH_SEPARATOR, Facet, Value


def from_paths(
    paths: Iterable[str | dict[str, Any]], *, name: str = "paths", source: str = "", separator: str = ">"
) -> Taxonomy:
    """A one-facet hierarchical taxonomy from category paths; intermediate nodes are created as needed.

    Items may be strings or dicts with ``path`` (a string, or a list of the path's names from the root, as
    ``gold_tags`` lists them) and optionally ``id``. Nodes without an id get the path itself as id, which is stable
    across runs and readable in results.
    """
    values: dict[str, Value] = {}
    by_path: dict[str, str] = {}
    listed = [_parts(item, separator) for item in paths]
    # the ids the list gives, read first: a child listed before its parent made the parent with its path as id, and
    # the parent's own line was then refused, "path 'Home' has two ids"
    given: dict[str, str] = {}
    for parts, given_id in listed:
        if parts and given_id:
            path = PATH_SEPARATOR.join(parts)
            if given.setdefault(path, given_id) != given_id:
                raise TaxonomyError(f"{source or name}: path {path!r} has two ids ({given[path]!r}, {given_id!r})")
    for parts, _ in listed:
        parent: str | None = None
        for depth, part in enumerate(parts):
            path = PATH_SEPARATOR.join(parts[: depth + 1])
            if path in by_path:
                parent = by_path[path]
                continue
            vid = given.get(path, path)
            if vid in values:
                raise TaxonomyError(f"{source or name}: id {vid!r} appears twice")
            values[vid] = Value(id=vid, name=part, facet=CATEGORY, parent_id=parent, path=path)
            by_path[path] = vid
            parent = vid
    if not values:
        raise TaxonomyError(f"{source or name}: no category paths found")
    facet = Facet(CATEGORY, title="Category", hierarchical=True, required=True)
    languages = ("zh-CN",) if any(_is_cjk_text(v.name) for v in list(values.values())[:50]) else ("en",)
    return Taxonomy(name, {CATEGORY: facet}, values, source=source, languages=languages)


def _parts(item: str | dict[str, Any], separator: str) -> tuple[list[str], str | None]:
    """A listed path's names from the root, and the id it is given (None: none)."""
    raw = item if isinstance(item, str) else item.get("path")
    given_id = None if isinstance(item, str) or item.get("id") in (None, "") else str(item["id"])
    if isinstance(raw, list):  # ["Clothing", "Women"]: read as its repr, a category "['Clothing', 'Women']"
        return [name for p in raw if (name := str(p).strip())], given_id
    return [p.strip() for p in str(raw or "").split(separator) if p.strip()], given_id


def _is_cjk_text(text: str) -> bool:
    from tagllm.text import has_cjk

    return has_cjk(text)


def load_paths(path: Path) -> Taxonomy:
    """Load a list of category paths: JSONL with a ``path`` field (and ``id``), or text with one path per line."""
    if path.suffix.lower() == ".jsonl":
        items: list[str | dict[str, Any]] = list(read_jsonl(path))
        for lineno, item in enumerate(items, 1):
            if not isinstance(item, dict) or not item.get("path"):
                raise TaxonomyError(f"{path}:{lineno}: a category line needs a 'path' field like \"A > B > C\"")
    else:
        items = [line.strip() for line in read_text(path).splitlines() if line.strip() and not line.startswith("#")]
    name = path.absolute().parent.name if path.stem == "categories" else path.stem
    return from_paths(items, name=name, source=str(path))


# -- Google product taxonomy ---------------------------------------------------------------------------------------
GOOGLE_LINE = re.compile(r"^\s*(\d+)\s+-\s+(.+?)\s*$")


def load_google(path: Path) -> Taxonomy:
    """Google's product taxonomy: ``taxonomy-with-ids.<lang>.txt`` ("1 - A > B") or a JSONL of {id, path}."""
    if path.suffix.lower() == ".jsonl":
        return from_paths(read_jsonl(path), name="google", source=str(path))
    items: list[str | dict[str, Any]] = []
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = GOOGLE_LINE.match(line)
        if not match:
            raise TaxonomyError(f"{path}:{lineno}: expected 'ID - Path > To > Category', got {line[:80]!r}")
        items.append({"id": match.group(1), "path": match.group(2)})
    return from_paths(items, name="google", source=str(path))
