"""Names a hierarchical taxonomy repeats under several parents, read as the general one when there is one.

Shopify names two categories "Sweaters" (Clothing Tops, and Baby & Toddler Tops), three "Jeans" (Pants, Baby & Toddler
Bottoms, Maternity Pants) and two "Socks" (Clothing, and the sports fans' accessories). The others are the same thing
narrowed to an audience, a use or a fan's merchandise. A string that names the thing and no qualifier means the
general one, so it is taken, by either of two rules:

- one branch, nested words: deeper in the same top-level branch, the others' paths hold every word of the general
  one's path and a qualifier besides ("Rocking Chairs": Chairs, and Outdoor Chairs);
- one plain value: exactly one of them has no qualifier word in its path (an audience: baby, maternity, men, pet…; a
  use: activewear, outdoor, toy…; fan merchandise and collectibles), and each of the others is under the same
  top-level branch, or under a branch that copies the plain one's: the names beside it recur mostly in the plain one's
  top-level branch (the fans' T-Shirts, Hats and Hoodies are clothing's names, so the fans' Socks are a copy of
  Clothing > Socks; the fans' Caps are no copy of the plumbers' Caps, so "Caps" stays ambiguous).

Names repeated across unrelated branches ("Brushes" for pets and for drums), or with no plain one ("Briefs": boys',
girls', men's, women's) stay ambiguous. The others stay on the outcome as its candidates, so a product's allowed values
still choose among them.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from tagllm.mapping.keys import stem
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize, singular

AUDIENCE_QUALIFIERS = frozenset(
    stem(w)
    for w in (
        "baby", "toddler", "infant", "kids", "children", "boys", "girls", "men", "women", "maternity",
        "pet", "dog", "cat", "bird", "fish", "reptile", "horse",
    )
)  # fmt: skip
"""The qualifiers that narrow a kind to whom it is for: a pet's, a baby's, a woman's."""
QUALIFIERS = AUDIENCE_QUALIFIERS | frozenset(
    stem(w) for w in ("activewear", "sports", "fan", "collectibles", "toys", "outdoor", "loungewear")
)
"""Words that narrow a kind to an audience, a use, an occasion or a fan's copy (merchandise): a path that holds one is
no general sense. Not "vehicle": Shopify's Vehicles & Parts holds it at every level, so it narrows nothing within its
branch."""
MIN_COPIED = 2
"""A branch copies another when at least this many of its names recur there, and more than in any other branch."""

_CACHE: dict[int, tuple[weakref.ref[Taxonomy], dict[str, Any]]] = {}
"""What these rules build once per taxonomy, by the taxonomy's id (a taxonomy is not hashable); the weak reference
tells a live entry from one whose taxonomy is gone and whose id was reused."""
_PARTS = re.compile(r"\s*(?:&|,)\s*")


def general_value(taxonomy: Taxonomy, ids: Sequence[str]) -> str | None:
    """The value among ``ids`` (one name, one facet) that is the general sense of the name (see the module's two
    rules); None when there is no such value."""
    unique = list(dict.fromkeys(ids))
    if len(unique) < 2:
        return None
    values = [taxonomy.values[vid] for vid in unique]
    if len({(v.facet, normalize(v.name)) for v in values}) != 1:
        return None
    paths = {vid: taxonomy.ancestors(vid) for vid in unique}
    if any(not p for p in paths.values()):
        return None
    if len({p[0].id for p in paths.values()}) == 1:
        words = {vid: {stem(w) for a in p for w in normalize(a.name).split()} for vid, p in paths.items()}
        for vid in unique:
            others = [o for o in unique if o != vid]
            if all(len(paths[vid]) < len(paths[o]) and words[vid] <= words[o] for o in others):
                return vid
    return _plain_value(taxonomy, unique)


def qualifiers(taxonomy: Taxonomy, vid: str) -> frozenset[str]:
    """The qualifier words of a value's ancestors' names and its own ("Baby & Toddler Bottoms" > Jeans: baby,
    toddler; "Pet Scarves": pet)."""
    names = [a.name for a in taxonomy.ancestors(vid)] + [taxonomy.values[vid].name]
    return frozenset(w for name in names for w in _stems(name) if w in QUALIFIERS)


def _plain_value(taxonomy: Taxonomy, ids: list[str]) -> str | None:
    plain = [vid for vid in ids if not qualifiers(taxonomy, vid)]
    if len(plain) != 1:
        return None
    general = plain[0]
    top = _top(taxonomy, general)
    for vid in ids:
        if vid != general and _top(taxonomy, vid) != top and _copied_branch(taxonomy, vid) != top:
            return None
    return general


def _copied_branch(taxonomy: Taxonomy, vid: str) -> str | None:
    """The top-level branch (not the value's own) where the names of the value's siblings recur most: at least
    ``MIN_COPIED`` of them, and more than in any other branch."""
    value = taxonomy.values[vid]
    own = _top(taxonomy, vid)
    names = _names(taxonomy)
    count: Counter[str] = Counter()
    for sibling in taxonomy.children(value.parent_id):
        if sibling.id == vid:
            continue
        tops = {_top(taxonomy, o) for o in names.get((value.facet, normalize(sibling.name)), ())}
        count.update(tops - {own})
    ranked = count.most_common(2)
    if not ranked or ranked[0][1] < MIN_COPIED or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def plain_whole(taxonomy: Taxonomy, vid: str) -> str | None:
    """The plain value a narrowed value's name is one part of, when no other value carries that name: "Jackets" names
    only the activewear Jackets, and is one kind of Outerwear's "Coats & Jackets"; "Scarves" names only the fans'
    Scarves, and is one kind of "Scarves & Shawls". The part must be as long as the name's other parts ("American
    Football Dummies & Sleds" is no plain "Sleds": the short part borrows the long one's words), the plain value the
    only one, in the narrowed value's top-level branch or in the branch that branch copies. None otherwise."""
    wholes = _cached(taxonomy, "wholes", lambda: _wholes(taxonomy))
    return wholes.get(vid)


def _wholes(taxonomy: Taxonomy) -> dict[str, str]:
    names = _names(taxonomy)
    parts: dict[tuple[str, str], list[str]] = {}
    for facet, spec in taxonomy.facets.items():
        if not spec.hierarchical:
            continue
        for value in taxonomy.facet_values(facet):
            pieces = [p for p in _PARTS.split(value.name.replace(" and ", " & ")) if p]
            if len(pieces) > 1 and len({len(p.split()) for p in pieces}) == 1 and not qualifiers(taxonomy, value.id):
                for piece in pieces:
                    parts.setdefault((facet, _singular(piece)), []).append(value.id)
    out: dict[str, str] = {}
    for (facet, name), ids in names.items():
        key = (facet, " ".join(singular(w) for w in name.split()))
        if len(ids) != 1 or key not in parts or not qualifiers(taxonomy, ids[0]):
            continue
        vid = ids[0]
        top, copied = _top(taxonomy, vid), _copied_branch(taxonomy, vid)
        plain = [p for p in parts[key] if _top(taxonomy, p) in (top, copied)]
        if len(plain) == 1:
            out[vid] = plain[0]
    return out


def _names(taxonomy: Taxonomy) -> dict[tuple[str, str], list[str]]:
    """The taxonomy's values by (facet, normalised name)."""

    def build() -> dict[tuple[str, str], list[str]]:
        index: dict[tuple[str, str], list[str]] = {}
        for value in taxonomy.values.values():
            index.setdefault((value.facet, normalize(value.name)), []).append(value.id)
        return index

    return _cached(taxonomy, "names", build)


def _cached(taxonomy: Taxonomy, what: str, build: Callable[[], Any]) -> Any:
    entry = _CACHE.get(id(taxonomy))
    if entry is None or entry[0]() is not taxonomy:
        entry = (weakref.ref(taxonomy), {})
        _CACHE[id(taxonomy)] = entry
    if what not in entry[1]:
        entry[1][what] = build()
    return entry[1][what]


def _singular(text: str) -> str:
    return " ".join(singular(w) for w in normalize(text).split())


def _top(taxonomy: Taxonomy, vid: str) -> str:
    path = taxonomy.ancestors(vid)
    return path[0].id if path else vid


def _stems(name: str) -> set[str]:
    return {stem(w) for w in normalize(name.replace("-", " ")).split()}
