"""Whether the embedder agrees with a rule: the whole string is near the value a rule found, and no rival is nearer.

A rule (WordNet's senses, a stripped modifier, a head noun) proposes a value from part of what a string says; the
sentence embedding of the whole string then has the last word. Used by the modifier stage (a head or a stripped
phrase in a category) and the lexical stage (a WordNet landing in a category).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from tagllm.mapping.keys import stem
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

STOP = frozenset({"a", "an", "the", "of", "and", "or", "for", "with", "in", "on", "to", "s"})


def agreement(mapper: Mapper, text: str, vid: str, facet: str | None, floor: float, trail: float) -> float | None:
    """The whole string's similarity to the value (its best label), when it is at least ``floor`` and no label of
    another value is more than ``trail`` nearer; the value's ancestors are no rivals ("sterling silver necklace" is
    near Jewelry too), its descendants are ("soft toy" is nearer Stuffed Animals than Toys). None without an embedder.
    """
    return _agreement(mapper, text, vid, facet, floor, trail, None)


def named_rival(mapper: Mapper, text: str, vid: str, facet: str | None, trail: float) -> bool:
    """Whether the taxonomy names the string's own words in other values, and the embedder puts one of those more
    than ``trail`` nearer the string than the value a rule found ("kettle": WordNet's kettle is a boiler, but
    Electric Kettles is far nearer). False when the value's own name holds the words, or without an embedder."""
    words = content_stems(text)
    if not words or not mapper.use_embeddings or facet is None:
        return False
    if words <= content_stems(mapper.values[vid].name):
        return False
    rivals = _values_naming(mapper, facet, words)
    if not rivals:
        return False
    return _agreement(mapper, text, vid, facet, -1.0, trail, rivals) is None


def content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in normalize(text.replace("-", " ")).split() if w not in STOP)


def _agreement(
    mapper: Mapper, text: str, vid: str, facet: str | None, floor: float, trail: float, rivals: frozenset[str] | None
) -> float | None:
    if not mapper.use_embeddings or facet is None:
        return None
    from tagllm.mapping.embedding import EmbeddingStage

    index = EmbeddingStage.shared(mapper).index(facet)
    if not index.texts:
        return None
    sims = index.vectors @ mapper.embedder.encode([text])[0]
    friends = {vid} | {a.id for a in mapper.taxonomy.ancestors(vid)}
    mine, rival = -1.0, -1.0
    for j, ids in enumerate(index.ids):
        if vid in ids:
            mine = max(mine, float(sims[j]))
        elif not friends.intersection(ids) and (rivals is None or rivals.intersection(ids)):
            rival = max(rival, float(sims[j]))
    if mine < floor or mine < rival - trail:
        return None
    return mine


@lru_cache(maxsize=64)
def _word_index(mapper: Mapper, facet: str) -> dict[str, frozenset[str]]:
    """The facet's values by the stems of their names' words."""
    index: dict[str, set[str]] = {}
    for value in mapper.taxonomy.facet_values(facet):
        for word in content_stems(value.name):
            index.setdefault(word, set()).add(value.id)
    return {w: frozenset(ids) for w, ids in index.items()}


def _values_naming(mapper: Mapper, facet: str, words: frozenset[str]) -> frozenset[str]:
    """The values of ``facet`` whose names hold every one of ``words``."""
    index = _word_index(mapper, facet)
    found: frozenset[str] | None = None
    for word in words:
        ids = index.get(word, frozenset())
        found = ids if found is None else found & ids
        if not found:
            return frozenset()
    return found or frozenset()
