"""Names a hierarchical taxonomy repeats under several parents, read as the general one when there is one.

Shopify names two categories "Sweaters" (Clothing Tops, and Baby & Toddler Tops), three "Shorts" (Clothing, Activewear
Pants, Loungewear Bottoms) and two "Rocking Chairs" (Chairs, and Outdoor Chairs). The others are the same thing
narrowed to an audience or a use: deeper in the same branch, their paths holding every word of the general one's path
and a qualifier besides. A string that names the thing and no qualifier means the general one, so it is taken. Names
repeated across branches ("Brushes" for pets and for drums, "Gloves" for pet grooming and sports fans) or with no
general one among them ("Coffee Tables" under Accent Tables and under Outdoor Tables) stay ambiguous. The others stay
on the outcome as its candidates, so a product's allowed values still choose among them.
"""

from __future__ import annotations

from collections.abc import Sequence

from tagllm.mapping.keys import stem
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize


def general_value(taxonomy: Taxonomy, ids: Sequence[str]) -> str | None:
    """The value among ``ids`` (one name, one facet, one top-level branch) whose ancestors' words are all among every
    other's, with fewer ancestors than each; None when there is no such value."""
    unique = list(dict.fromkeys(ids))
    if len(unique) < 2:
        return None
    values = [taxonomy.values[vid] for vid in unique]
    if len({(v.facet, normalize(v.name)) for v in values}) != 1:
        return None
    paths = {vid: taxonomy.ancestors(vid) for vid in unique}
    if any(not p for p in paths.values()) or len({p[0].id for p in paths.values()}) != 1:
        return None
    words = {vid: {stem(w) for a in p for w in normalize(a.name).split()} for vid, p in paths.items()}
    for vid in unique:
        others = [o for o in unique if o != vid]
        if all(len(paths[vid]) < len(paths[o]) and words[vid] <= words[o] for o in others):
            return vid
    return None
