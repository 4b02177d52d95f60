"""The words a title's head is read with, drawn from the taxonomy (``HeadFinder``'s vocabulary): the words heading
its categories' names and their two-word names, the broad attributes' values that describe a product rather than name
it, the shades sellers write after the noun, and each attribute's values with the words of its own name, where it
applies (a "Long Sleeve" after a shirt is its sleeve)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from tagllm.candidates.head_keys import MIN_HEAD_LETTERS, category_heads, head_key, name_heads
from tagllm.candidates.noun_senses import part_words, substance_words
from tagllm.candidates.synonyms import synonyms, usual
from tagllm.candidates.title_head import HeadFinder
from tagllm.mapping.colours import survey
from tagllm.taxonomy import Taxonomy

BROAD_ATTRIBUTE = 0.1  # share of the categories an attribute applies to for its values to describe


def head_finder(taxonomy: Taxonomy, facet: str, embed: Callable[[list[str]], np.ndarray] | None = None) -> HeadFinder:
    """A ``HeadFinder`` for titles of products tagged with ``facet`` (a hierarchical facet): the words heading its
    values' names, their two-word names, the broad attributes' words, the shades, and the attribute phrases."""
    heads = [set().union(*(category_heads(n) for n in (v.name, *v.synonyms))) for v in taxonomy.facet_values(facet)]
    known = {word for named in heads for word, _ in named}
    pairs = {pair for named in heads for pair in named if pair[1]}
    # a word whose usual sense another name heads, as written or written closed from a two-word name ("watchband"
    # for "Watch Bands", which ``HeadNoun.opened`` opens)
    closed = {before + word for word, before in pairs}
    known |= {w for w in usual() if any(n in known or n in closed for n in synonyms()[w])}
    return HeadFinder(
        known,
        pairs,
        describing_words(taxonomy, facet),
        shade_words(),
        embed=embed,
        attributes=attribute_words(taxonomy, facet),
        parts=part_words(),
        substances=substance_words(),
    )


# value word -> (word of the attribute's name, head words of the categories it applies to; None: every category)
AttributeWords = dict[str, list[tuple[str, frozenset[str] | None]]]
_GENERIC_FACET_WORDS = frozenset({"type", "design", "style", "kind", "other"})


def attribute_words(taxonomy: Taxonomy, facet: str) -> AttributeWords:
    """For ``HeadFinder.names_attribute``: each one-word value name of the taxonomy's attributes, with the words of
    its attribute's name ("sleeve-length-type": sleeve, length) and the head words of the ``facet`` values the
    attribute applies to. A taxonomy's attributes say which words describe a product part rather than name a
    product: Shopify's sleeve-length-type has Long and Short, so "Long Sleeve" after a shirt is its sleeve."""
    heads_of: dict[str, set[str]] = {}
    for value in taxonomy.facet_values(facet):
        heads_of[value.id] = {word for word, _ in name_heads(value.name)}
    out: AttributeWords = {}
    for name, spec in taxonomy.facets.items():
        if name == facet or spec.hierarchical:
            continue
        scope = taxonomy.categories_of(name)
        heads = None if scope is None else frozenset().union(*(heads_of.get(c, ()) for c in scope))
        facet_words = {head_key(w) for w in re.split(r"[-\s_]+", f"{name} {spec.title}".casefold())}
        facet_words = {w for w in facet_words if len(w) >= MIN_HEAD_LETTERS and w not in _GENERIC_FACET_WORDS}
        for value in taxonomy.facet_values(name):
            for text in (value.name, *value.synonyms):
                if text.isalpha():
                    out.setdefault(head_key(text.casefold()), []).extend((w, heads) for w in facet_words)
    return out


@lru_cache(maxsize=1)
def shade_words() -> frozenset[str]:
    """The one-word colour names of the xkcd colour survey, as ``head_key``s: sellers write a shade after the noun
    whatever the taxonomy's colours are, and many shades name products too (charcoal, cream, lavender, coffee)."""
    return frozenset(head_key(name) for name in survey() if name.isalpha())


def describing_words(taxonomy: Taxonomy, facet: str) -> set[str]:
    """The one-word value names (and synonyms) of the taxonomy's broad attributes, those that apply to at least
    ``BROAD_ATTRIBUTE`` of ``facet``'s values (Shopify's color, pattern and material): after a measure they describe
    the product ("Mug 350ml Matte Black", "Kettle 1.7L Brushed Steel") rather than name it."""
    size = len(taxonomy.facet_values(facet))
    words: set[str] = set()
    for name in taxonomy.facets:
        scope = taxonomy.categories_of(name) if name != facet else ()
        if name == facet or (scope is not None and len(scope) < BROAD_ATTRIBUTE * size):
            continue
        for value in taxonomy.facet_values(name):
            words |= {head_key(n.casefold()) for n in (value.name, *value.synonyms) if n.isalpha()}
    return words
