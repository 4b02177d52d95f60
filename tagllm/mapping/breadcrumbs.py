"""How another catalogue's path reads around its leaf: storefront root segments, and qualifiers written in other words.

Used by the ``foreign_path`` stage (``foreign.py``): its ancestors agree with a value as written or without the
leading segments that name the storefront, and the qualifiers they say include those a catalogue writes otherwise.
"""

from __future__ import annotations

from tagllm.mapping.keys import stem
from tagllm.text import normalize

ROOTS = frozenset(
    {"home", "homepage", "home page", "shop", "shop all", "all", "all categories", "all products", "products",
     "collections", "categories", "catalog", "catalogue", "store", "首页", "全部分类", "所有分类", "全部商品"}
)  # fmt: skip
"""Leading breadcrumb segments that name the storefront, not a kind of product (normalised)."""
SAYS = {stem(w): stem(q) for w, q in (("garden", "outdoor"), ("patio", "outdoor"), ("yard", "outdoor"))}
"""Words a catalogue writes for one of ``repeats.QUALIFIERS``: Shopify files garden and patio furniture under Outdoor
Furniture. Not said by a segment that also names a home ("Home & Garden" is a whole store, not its garden)."""


def unrooted(context: list[str]) -> list[str]:
    """The ancestors without their leading segments that name the storefront ("Home / Shop / Candles": none)."""
    start = 0
    while start < len(context) and normalize(context[start]) in ROOTS:
        start += 1
    return context[start:]


def words(context: list[str]) -> set[str]:
    """The stems of the ancestors' words, with the qualifiers they write in other words (``SAYS``)."""
    found: set[str] = set()
    for segment in context:
        mine = stems(segment)
        found |= mine
        if stem("home") not in mine:
            found |= {SAYS[w] for w in mine if w in SAYS}
    return found


def stems(text: str) -> set[str]:
    """The stems of a name's words, without the words that join them."""
    return {stem(w) for w in normalize(text.replace("-", " ")).split() if w not in {"and", "s", "of", "the", "for"}}
