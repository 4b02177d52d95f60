"""Whether the embedder agrees with a rule: the whole string is near the value a rule found, and no rival is nearer.

A rule (WordNet's senses, a stripped modifier, a head noun) proposes a value from part of what a string says; the
sentence embedding of the whole string then has the last word. Used by the modifier stage (a head or a stripped
phrase in a category) and the lexical stage (a WordNet landing in a category).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from tagllm.mapping.keys import JOINED_NAME, keys, stem
from tagllm.mapping.repeats import QUALIFIERS
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

HEAD_AGREEMENT = 0.6
"""In a hierarchical facet, a string's head ("travel backpack" -> "backpack") is taken only when the whole string
is at least this similar (sentence embeddings) to the value found: "football match" is no kind of "Matches"."""
HEAD_TRAIL = 0.05
"""... and no other value's label is more than this nearer the whole string than the value's own labels."""
WHOLE_TRAIL = 0.15
"""In a hierarchical facet, a string whose stripped phrase names a value ("soft toy" -> "toy") is rejected when another
value is more than this nearer the whole string (a looser bar than the head's: the phrase was named, not guessed)."""
"""Where an "A & B" or "A, B and C" name parts."""
STOP = frozenset({"a", "an", "the", "of", "and", "or", "for", "with", "in", "on", "to", "s"})


Query = tuple[str, str]
"""One check: the whole string, and the value a rule found for it."""


def agreement(mapper: Mapper, text: str, vid: str, facet: str | None, floor: float, trail: float) -> float | None:
    """The whole string's similarity to the value (its best label), when it is at least ``floor`` and no label of
    another value is more than ``trail`` nearer; the value's ancestors are no rivals ("sterling silver necklace" is
    near Jewelry too), its descendants are ("soft toy" is nearer Stuffed Animals than Toys). None without an embedder.
    """
    return agreements(mapper, [(text, vid)], facet, floor, trail)[0]


def agreements(
    mapper: Mapper, queries: Sequence[Query], facet: str | None, floor: float, trail: float
) -> list[float | None]:
    """``agreement`` for a batch: the strings encoded in one call, compared to the facet's labels in one product."""
    return _agreements(mapper, queries, facet, floor, trail, [None] * len(queries))


def rivals_nearer(
    mapper: Mapper, queries: Sequence[Query], facet: str | None, rivals: Sequence[frozenset[str]], margin: float
) -> list[bool]:
    """Whether one of the given rival values (per query) comes within ``margin`` of the value a rule found, or nearer
    (the whole string against each value's best label); False for an empty rival set, or without an embedder."""
    asked = [i for i, r in enumerate(rivals) if r]
    found = _agreements(mapper, [queries[i] for i in asked], facet, -1.0, -margin, [rivals[i] for i in asked])
    out = [False] * len(queries)
    for i, score in zip(asked, found, strict=True):
        out[i] = score is None
    return out


def named_rival(mapper: Mapper, text: str, vid: str, facet: str | None, trail: float) -> bool:
    """Whether the taxonomy names the string's own words in other values, and the embedder puts one of those more
    than ``trail`` nearer the string than the value a rule found ("kettle": WordNet's kettle is a boiler, but
    Electric Kettles is far nearer). False when the value's own name holds the words, or without an embedder."""
    return named_rivals(mapper, [(text, vid)], facet, trail)[0]


def named_rivals(
    mapper: Mapper,
    queries: Sequence[Query],
    facet: str | None,
    trail: float,
    is_adjective: Callable[[str], bool] | None = None,
) -> list[bool]:
    """``named_rival`` for a batch (one encoding call, one product); only values that use the string's words as it
    does are rivals (``_same_use``; ``is_adjective``, WordNet's, tells a word a name may use as a modifier)."""
    if not mapper.use_embeddings or facet is None:
        return [False] * len(queries)
    rivals: list[frozenset[str] | None] = []
    for text, vid in queries:
        words = content_stems(text)
        named = (
            _values_naming(mapper, facet, words)
            if words and not words <= content_stems(mapper.values[vid].name)
            else frozenset()
        )
        rivals.append(frozenset(r for r in named if _same_use(mapper, text, r, is_adjective)) or None)
    asked = [i for i, r in enumerate(rivals) if r is not None]
    found = _agreements(mapper, [queries[i] for i in asked], facet, -1.0, trail, [rivals[i] for i in asked])
    out = [False] * len(queries)
    for i, score in zip(asked, found, strict=True):
        out[i] = score is None
    return out


def _same_use(mapper: Mapper, text: str, rival: str, is_adjective: Callable[[str], bool] | None) -> bool:
    """Whether a value naming the string's words uses them as the string does. A word WordNet knows as an adjective
    may be any name's modifier ("Waterproof Bath Dolls" is the taxonomy's use of "waterproof"); a noun must head the
    value's name or one part of its "A & B" name (not "Jumper Cables" for "jumper"), on a shelf with no audience or
    use the string does not say (``repeats.QUALIFIERS``: "Baby Jumpers" or the small animals' "Biscuits & Bakery" are
    not what a plain "jumper" or "biscuits" means, as "jeans" is the plain Jeans)."""
    said = normalize(text.replace("-", " ")).split()
    if not said or is_adjective is None or is_adjective(said[-1]):
        return True
    value = mapper.values[rival]
    parts = (normalize(part).split() for part in JOINED_NAME.split(value.name.replace("-", " ")))
    heads = {stem(words[-1]) for words in parts if words}
    if stem(said[-1]) not in heads:
        return False
    shelf = {stem(w) for v in (*mapper.taxonomy.ancestors(rival), value) for w in normalize(v.name).split()}
    return not (shelf & QUALIFIERS) - {stem(w) for w in said}


def modifier_rivals(
    mapper: Mapper, text: str, vid: str, facet: str | None, describing: frozenset[str]
) -> frozenset[str]:
    """The values whose names hold a compound's modifier, where the value a rule found gives the compound's head
    another modifier of its own: "smoke alarm" and Fire Alarms (one WordNet synset), while Smoke Detectors names
    "smoke". The taxonomy tells the two compounds apart where WordNet does not, so those values are rivals the
    embedder must not put nearer the string. Nothing when the value's part that holds the head has no other word,
    or one the string holds too; when the word before the head is a value of a describing facet (``describing``:
    "elastic" is a material, "elastic bands" still Rubber Bands), or holds no letter."""
    words = content_words(text)
    if facet is None or len(words) < 2 or not words[-2].isalpha():
        return frozenset()
    head, modifier = stem(words[-1]), words[-2]
    if stem(modifier) in describing or keys(modifier)[1] in describing:
        return frozenset()
    parts = [content_stems(part) for part in JOINED_NAME.split(mapper.values[vid].name.replace("-", " "))]
    part = next((p for p in parts if head in p), None)
    theirs = part - {head} if part is not None else frozenset()
    if not theirs or theirs & {stem(w) for w in words}:
        return frozenset()
    return _values_naming(mapper, facet, frozenset({stem(modifier)})) - {vid}


def nearer_namesakes(mapper: Mapper, queries: Sequence[Query], facet: str | None) -> list[frozenset[str]]:
    """Per query, the other values whose names hold the string's words too ("tops": Clothing Tops, Tank Tops beside
    Spinning Tops) that the embedder puts at least as near the string as the value a rule found; nothing without an
    embedder."""
    out: list[frozenset[str]] = [frozenset()] * len(queries)
    if not mapper.use_embeddings or facet is None:
        return out
    others = [_values_naming(mapper, facet, content_stems(text)) - {vid} for text, vid in queries]
    asked = [i for i, named in enumerate(others) if named]
    found = _agreements(mapper, [queries[i] for i in asked], facet, -1.0, 0.0, [others[i] for i in asked])
    for i, score in zip(asked, found, strict=True):
        if score is None:
            out[i] = others[i]
    return out


def content_words(text: str) -> list[str]:
    """The normalised words of a string or a value's name, hyphens parting words ("Medium-heavy": medium, heavy),
    without the function words (``STOP``): the one splitter the stages that compare names word by word share."""
    return [w for w in normalize(text.replace("-", " ")).split() if w not in STOP]


def content_stems(text: str) -> frozenset[str]:
    """``content_words`` as ``keys.stem`` reads them, so that "knives" and "knife" meet."""
    return frozenset(stem(w) for w in content_words(text))


def _agreements(
    mapper: Mapper,
    queries: Sequence[Query],
    facet: str | None,
    floor: float,
    trail: float,
    rivals: Sequence[frozenset[str] | None],
) -> list[float | None]:
    if not queries or not mapper.use_embeddings or facet is None:
        return [None] * len(queries)
    from tagllm.mapping.embedding import EmbeddingStage

    index = EmbeddingStage.shared(mapper).index(facet)
    if not index.texts:
        return [None] * len(queries)
    texts = list(dict.fromkeys(text for text, _ in queries))
    column = {text: j for j, text in enumerate(texts)}
    sims = index.vectors @ mapper.embedder.encode(texts).T  # labels x strings: the one product
    rows = index.rows
    out: list[float | None] = []
    for (text, vid), named in zip(queries, rivals, strict=True):
        col = sims[:, column[text]]
        mine_rows = rows.get(vid)
        mine = float(col[mine_rows].max()) if mine_rows is not None else -1.0
        if named is None:
            allowed = np.ones(len(col), dtype=bool)
        else:
            allowed = np.zeros(len(col), dtype=bool)
            for rid in named:
                if rid in rows:
                    allowed[rows[rid]] = True
        for friend in (vid, *(a.id for a in mapper.taxonomy.ancestors(vid))):
            if friend in rows:
                allowed[rows[friend]] = False
        rival = float(col[allowed].max()) if allowed.any() else -1.0
        out.append(None if mine < floor or mine < rival - trail else mine)
    return out


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
