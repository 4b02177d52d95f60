"""The words a flat facet's values are kinds of, read from WordNet's hypernyms: a closure type is a "fastener"
("toggle fastening" -> Toggle), a fabric a "cloth" ("cotton cloth" -> Cotton), a material a "solid"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tagllm.mapping.keys import stem
from tagllm.mapping.landing import GENERIC
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper
    from tagllm.mapping.wordnet import WordNet

KIND_DEPTH = 2
"""How far up the hypernyms of a value's most frequent sense its kind words are read."""
KIND_VALUES = 2
"""A word is a kind word of the facet when the hypernyms of at least this many of its values hold it."""


def kind_words(wordnet: WordNet, names: Iterable[str]) -> frozenset[str]:
    """Stems of the words WordNet's hypernyms of at least ``KIND_VALUES`` of ``names`` share."""
    counts: Counter[str] = Counter()
    for name in names:
        senses = wordnet.noun_synsets(name)[:1]
        words: set[str] = set()
        frontier = list(senses)
        for _ in range(KIND_DEPTH):
            frontier = [h for sid in frontier for h in wordnet.synset(sid).hypernyms]
            for sid in frontier:
                words |= wordnet.synset(sid).words
        counts.update(words)
    return frozenset(w for w, n in counts.items() if n >= KIND_VALUES and len(w) > 2) - GENERIC - {"and", "the"}


def facet_words(mapper: Mapper, facet: str | None) -> frozenset[str]:
    """Stems of the words that name a facet rather than a value: its name and title in both spellings ("colour" and
    "color", "flavour" and "flavor"; "sz" for "size"), "category" in a hierarchical facet, and in a flat one the kind
    words of its values (``kind_words``)."""
    words: set[str] = {"category"} if facet is None or mapper.taxonomy.facets[facet].hierarchical else set()
    if facet is None:
        return frozenset(words)
    spec = mapper.taxonomy.facets[facet]
    words |= {stem(w) for text in (spec.name, spec.title) for w in normalize(text).split() if len(w) > 2}
    if {"colour", "color"} & words:
        words |= {"colour", "color"}
    words |= {w[:-2] + "our" for w in words if w.endswith("or")} | {w[:-3] + "or" for w in words if w.endswith("our")}
    if stem("size") in words:
        words.add(stem("sz"))  # "sz 14", "sz. 6": how sellers shorten the word
    wordnet = getattr(mapper.lexical, "wordnet", None) if mapper.lexical is not None else None
    if not spec.hierarchical and wordnet is not None:  # "toggle fastening": closures are fasteners
        words |= kind_words(wordnet, (v.name for v in mapper.taxonomy.facet_values(facet)))
    return frozenset(words)
