"""Writing a taxonomy in the project's own YAML/JSON format, which ``tagllm.taxonomy.own`` reads back to the same
version hash: what the format cannot say (a scope that is not whole subtrees) refused, and the file replaced whole.

Apart from the reader because writing shares none of its validation and messages, and only the commands that build
or convert a taxonomy need it.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from tagllm.errors import OutputError, TaxonomyError, os_reason
from tagllm.taxonomy.model import Taxonomy
from tagllm.taxonomy.nodes import Value


def to_own_format(taxonomy: Taxonomy, *, description: str = "") -> dict[str, Any]:
    """The taxonomy as the project's own format (what ``load_own`` reads back to the same version hash).

    Hierarchies are written nested; a facet's scope becomes ``applies_to``, which names whole subtrees, so a scope
    that is not a union of subtrees (Shopify lists attributes per category) cannot be written and is an error.
    """

    def spec(v: Value) -> dict[str, Any]:
        out: dict[str, Any] = {"id": v.id, "name": v.name}
        if v.synonyms:
            out["synonyms"] = list(v.synonyms)
        if v.labels:
            out["labels"] = dict(v.labels)
        children = [c for c in taxonomy.children(v.id) if c.facet == v.facet]
        if children:
            out["children"] = [spec(c) for c in children]
        return out

    check_own_scopes(taxonomy)
    facets = []
    for name, f in taxonomy.facets.items():
        entry: dict[str, Any] = {"name": name}
        if f.title and f.title != name:
            entry["title"] = f.title
        if f.description:
            entry["description"] = f.description
        for flag in ("hierarchical", "multi_valued", "required"):
            if getattr(f, flag):
                entry[flag] = True
        if f.labels:
            entry["labels"] = dict(f.labels)
        if f.categories is not None:
            entry["applies_to"] = taxonomy.scope_roots(name)
        entry["values"] = [spec(v) for v in taxonomy.facet_values(name) if v.parent_id is None]
        facets.append(entry)
    out: dict[str, Any] = {"name": taxonomy.name}
    if description:
        out["description"] = description
    out["languages"] = list(taxonomy.languages)
    out["facets"] = facets
    return out


def check_own_scopes(taxonomy: Taxonomy) -> None:
    """Refuse a taxonomy with a facet whose scope is not a union of whole subtrees: ``applies_to`` cannot say it, so
    the own format cannot write it (``tagllm taxonomy build -t shopify`` learned from every product first)."""
    name = next(
        (n for n, f in taxonomy.facets.items() if f.categories is not None and not taxonomy.is_subtree_scope(n)), None
    )
    if name is None:
        return
    where = f" ({taxonomy.source})" if taxonomy.source else ""
    raise TaxonomyError(
        f"taxonomy {taxonomy.name!r}{where}: facet {name!r} applies to categories that are not whole subtrees (as "
        "Shopify lists attributes on each category), which the own format's applies_to cannot say, so a taxonomy "
        "built from it cannot be written; extend a category tree instead (-t categories.jsonl, a list of paths, or "
        "a taxonomy of the own format)"
    )


def check_own_path(path: str | Path) -> Path:
    """A path ``save_own`` can write: YAML (.yaml, .yml) or JSON (.json); any other name is refused, not written as
    YAML under it (``-o examples.jsonl``)."""
    target = Path(path)
    if target.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise OutputError(f"{target}: a taxonomy is written as .yaml (or .yml) or .json; name the file so")
    return target


def save_own(taxonomy: Taxonomy, path: str | Path, *, description: str = "", header: str = "") -> Path:
    """Write ``taxonomy`` in the project's YAML (or, for a ``.json`` path, JSON) format; ``header``: a comment."""
    import yaml

    target = check_own_path(path)
    data = to_own_format(taxonomy, description=description)
    if target.suffix.lower() == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    else:
        comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        # flow style for the innermost lists and mappings: one line per leaf value, as a person writes it
        text = comment + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    # written beside it and renamed over it: a kill or a full disk mid-write leaves the file there as it was
    place = target.resolve()  # a taxonomy linked from elsewhere stays linked
    # a name of this writer's own: two builds writing one file at once shared "taxonomy.yaml.tmp", and one renamed the
    # other's half-written copy into place, or failed "cannot write the taxonomy (No such file or directory)"
    tmp = place.with_name(f".{place.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        place.parent.mkdir(parents=True, exist_ok=True)  # as `generate -o` does: the place was checked to be creatable
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, place)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write the taxonomy ({os_reason(exc)}); write it elsewhere") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
