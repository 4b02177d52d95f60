"""The taxonomy's own labels as search targets: embeddings (cached), character n-grams, and mentions in text."""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from tagllm.cache import cache_dir, cache_key
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.lexical import LEXICAL_VERSION, FeatureMatrix, LexicalModel
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import has_cjk, normalize, singular, singular_key

MAX_PHRASE_WORDS = 5
_WORD = re.compile(r"\w+")


def embedding_text(value: Value) -> str:
    """What the embedder reads for a value: the full path gives a short name its context ('Shorts' under Women's)."""
    return value.path or value.name


def lexical_text(value: Value) -> str:
    """What the character n-grams see: the name, its synonyms and its labels in other languages."""
    return " ; ".join([value.name, *value.synonyms, *(text for _, text in value.labels)])


def path_text(taxonomy: Taxonomy, value: Value) -> str:
    """The lexical text of a value and of each of its ancestors: 'Men's Clothing' above 'Shirts' is what tells a
    men's shirt from a women's one."""
    return " ; ".join(lexical_text(taxonomy.values[a]) for a in taxonomy.lineage(value.id))


class LabelSpace:
    """One facet's values with their label vectors, and a phrase table to spot names written in a product's text."""

    def __init__(self, taxonomy: Taxonomy, facet: str, embedder: Embedder, lexical: LexicalModel) -> None:
        values = taxonomy.facet_values(facet)
        self.ids = [v.id for v in values]
        self.position = {vid: i for i, vid in enumerate(self.ids)}
        self.size = len(values)
        self.emb = label_embeddings(taxonomy, facet, embedder) if values else np.zeros((0, 1), np.float32)
        names, paths = label_counts(taxonomy, facet, lexical)
        self.lex = FeatureMatrix(lexical.weigh(names))
        self.path_lex = FeatureMatrix(lexical.weigh(paths))
        self._words: dict[str, set[str]] = {}
        self._cjk: list[tuple[str, str]] = []
        for v in values:
            for phrase in [v.name, *v.synonyms, *(text for _, text in v.labels)]:
                key = normalize(phrase)
                if not key:
                    continue
                if has_cjk(key):
                    if len(key.replace(" ", "")) >= 2:  # one ideograph alone matches inside too many words
                        self._cjk.append((key.replace(" ", ""), v.id))
                elif len(key.split()) <= MAX_PHRASE_WORDS:
                    self._words.setdefault(key, set()).add(v.id)
                    self._words.setdefault(singular_key(phrase), set()).add(v.id)
        self._longest: dict[str, int] = {}  # first word of a phrase -> most words a phrase starting with it has
        for phrase in self._words:
            first, *rest = phrase.split()
            self._longest[first] = max(self._longest.get(first, 0), 1 + len(rest))

    def mentions(self, norm: str) -> set[str]:
        """Values whose name, synonym or label occurs as whole words (or as a CJK substring) in a text normalised by
        ``tagllm.text.normalize``."""
        found: set[str] = set()
        words = norm.split()
        singles = [singular(w) for w in words]
        for tokens in (words, singles):
            for start, token in enumerate(tokens):
                for n in range(1, min(self._longest.get(token, 0), len(tokens) - start) + 1):
                    ids = self._words.get(" ".join(tokens[start : start + n]))
                    if ids:
                        found |= ids
        if self._cjk and has_cjk(norm):
            compact = norm.replace(" ", "")
            found.update(vid for phrase, vid in self._cjk if phrase in compact)
        return found

    @property
    def cjk_phrases(self) -> list[tuple[str, str]]:
        """(Chinese name without spaces, value id) of every name written in Chinese."""
        return self._cjk


def label_counts(taxonomy: Taxonomy, facet: str, lexical: LexicalModel) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Lexical feature counts of a facet's names and paths, cached on disk by taxonomy version and facet (hashing
    them costs more than the rest of loading an index; the index's IDF weighs them afresh each time)."""
    values = taxonomy.facet_values(facet)
    path = cache_dir() / f"label-counts-{cache_key(taxonomy.version, facet, str(LEXICAL_VERSION), 'npz')}.npz"
    try:
        stacked = sp.load_npz(path).tocsr()
        if stacked.shape[0] == 2 * len(values):
            return stacked[: len(values)], stacked[len(values) :]
    except (OSError, ValueError):  # not cached yet, or unreadable: count again and overwrite it
        pass
    names = lexical.counts([lexical_text(v) for v in values])
    paths = lexical.counts([path_text(taxonomy, v) for v in values])
    tmp = path.with_suffix(".tmp.npz")
    sp.save_npz(tmp, sp.vstack([names, paths], format="csr"), compressed=False)
    tmp.replace(path)
    return names, paths


def label_embeddings(taxonomy: Taxonomy, facet: str, embedder: Embedder) -> np.ndarray:
    """Embeddings of a facet's labels, cached on disk by taxonomy version, facet and embedder."""
    values = taxonomy.facet_values(facet)
    path = cache_dir() / f"labels-{cache_key(taxonomy.version, facet, embedder.name)}.npy"
    if path.exists():
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(values):
            return cached
    vectors = embedder.encode([embedding_text(v) for v in values])
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors, allow_pickle=False)
    tmp.replace(path)
    return vectors
