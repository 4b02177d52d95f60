"""The taxonomy's own labels as search targets: embeddings (cached), character n-grams, and mentions in text."""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from tagllm.cache import DAMAGED, cache_dir, cache_key, load_array, save_cache
from tagllm.phrases import PhraseTable, Spans
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.lexical import LEXICAL_VERSION, FeatureMatrix, LexicalModel
from tagllm.taxonomy import Taxonomy, Value

# A facet with more values than this has its labels embedded as candidates need them, not all at once: embedding
# Shopify's 10,595 category paths took most of a first run's minutes on two cores, for 20 products whose candidates
# are a few hundred of them. Below it, embedding every label takes seconds and lets the embeddings propose values.
LAZY_LABELS_ABOVE = 2000
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
        self.vectors = LabelVectors(taxonomy, facet, embedder, lazy=len(values) > LAZY_LABELS_ABOVE)
        names, paths = label_counts(taxonomy, facet, lexical)
        self.lex = FeatureMatrix(lexical.weigh(names))
        self.path_lex = FeatureMatrix(lexical.weigh(paths))
        self.phrases = PhraseTable(
            (phrase, v.id) for v in values for phrase in (v.name, *v.synonyms, *(text for _, text in v.labels))
        )

    @property
    def emb(self) -> np.ndarray:
        """Every value's label embedding (values x dim); on a lazy space this embeds every label."""
        return self.vectors.all()

    @property
    def is_lazy(self) -> bool:
        """Whether labels are embedded as candidates need them (see ``LAZY_LABELS_ABOVE``): embeddings then score
        the candidates that other evidence proposes and propose none themselves."""
        return self.vectors.lazy

    def mentions(self, norm: str) -> set[str]:
        """Values whose name, synonym or label occurs as whole words (or as a CJK substring) in a text normalised by
        ``tagllm.text.normalize``."""
        return self.phrases.keys(norm)

    def named(self, norm: str) -> set[str]:
        """``mentions`` less the values named only inside a longer name of another value: "spark plugs" names Spark
        Plugs, not Plugs."""
        return Spans(self.phrases.spans(norm)).outermost()

    @property
    def cjk_phrases(self) -> list[tuple[str, str]]:
        """(Chinese name without spaces, value id) of every name written in Chinese."""
        return self.phrases.cjk


def label_counts(taxonomy: Taxonomy, facet: str, lexical: LexicalModel) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Lexical feature counts of a facet's names and paths, cached on disk by taxonomy version and facet (hashing
    them costs more than the rest of loading an index; the index's IDF weighs them afresh each time)."""
    values = taxonomy.facet_values(facet)
    key = cache_key(taxonomy.version, taxonomy.layout(facet), facet, str(LEXICAL_VERSION), "npz")
    path = cache_dir() / f"label-counts-{key}.npz"
    try:
        stacked = sp.load_npz(path).tocsr()
        if stacked.shape[0] == 2 * len(values):
            return stacked[: len(values)], stacked[len(values) :]
    except DAMAGED:  # not cached yet, or unreadable (cut short, garbage): count again and overwrite it
        pass
    names = lexical.counts([lexical_text(v) for v in values])
    paths = lexical.counts([path_text(taxonomy, v) for v in values])
    stacked = sp.vstack([names, paths], format="csr")
    save_cache(path, lambda handle: sp.save_npz(handle, stacked, compressed=False), ".npz")
    return names, paths


class LabelVectors:
    """A facet's label embeddings, cached on disk by taxonomy version, facet and embedder: all at once, or (``lazy``)
    value by value as they are asked for, the ones embedded so far kept in a partial cache file that grows."""

    def __init__(self, taxonomy: Taxonomy, facet: str, embedder: Embedder, *, lazy: bool) -> None:
        self.taxonomy, self.facet, self.embedder, self.lazy = taxonomy, facet, embedder, lazy
        self.values = taxonomy.facet_values(facet)
        self._all: np.ndarray | None = None
        self._rows: np.ndarray | None = None  # lazy: values x dim, rows of ``_done`` filled
        self._done: np.ndarray | None = None
        self.path = cache_dir() / f"labels-{_key(taxonomy, facet, embedder)}.npy"
        self.partial = self.path.with_suffix(".partial.npz")

    def all(self) -> np.ndarray:
        if self._all is None:
            if not self.values:
                self._all = np.zeros((0, 1), np.float32)
            elif self.lazy:
                self._all = self.at(np.arange(len(self.values)))
            else:
                self._all = label_embeddings(self.taxonomy, self.facet, self.embedder)
        return self._all

    def at(self, positions: np.ndarray) -> np.ndarray:
        """The embeddings of the values at ``positions`` (label-space order), embedding those not done yet."""
        if self._all is not None or not self.lazy:
            return self.all()[positions]
        rows, done = self._load()
        missing = np.unique(positions[~done[positions]])
        if len(missing):
            rows[missing] = self.embedder.encode([embedding_text(self.values[i]) for i in missing.tolist()])
            done[missing] = True
            self._save(rows, done)
        return rows[positions]

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        if self._rows is None or self._done is None:
            n = len(self.values)
            rows, done = None, None
            cached = load_array(self.path, (n, self.embedder.dim))  # every label embedded once (a small facet)
            if cached is not None:
                rows, done = cached, np.ones(n, bool)
            if rows is None and self.partial.exists():
                try:
                    with np.load(self.partial, allow_pickle=False) as saved:
                        if saved["done"].shape == (n,) and saved["rows"].shape == (n, self.embedder.dim):
                            rows, done = saved["rows"], saved["done"]
                except DAMAGED:  # unreadable (cut short, garbage): embed again and overwrite it
                    pass
            if rows is None or done is None:
                rows, done = np.zeros((n, self.embedder.dim), np.float32), np.zeros(n, bool)
            self._rows, self._done = rows, done
        return self._rows, self._done

    def _save(self, rows: np.ndarray, done: np.ndarray) -> None:
        save_cache(self.partial, lambda handle: np.savez(handle, rows=rows, done=done), ".npz")


def _key(taxonomy: Taxonomy, facet: str, embedder: Embedder) -> str:
    """A facet's label embeddings' cache key: rows in the order of its values (``Taxonomy.layout``)."""
    return cache_key(taxonomy.version, taxonomy.layout(facet), facet, embedder.name)


def label_embeddings(taxonomy: Taxonomy, facet: str, embedder: Embedder) -> np.ndarray:
    """Embeddings of a facet's labels, cached on disk by taxonomy version, facet and embedder; a damaged cache file
    (cut short, garbage, another model's width) is embedded again and overwritten."""
    values = taxonomy.facet_values(facet)
    path = cache_dir() / f"labels-{_key(taxonomy, facet, embedder)}.npy"
    cached = load_array(path, (len(values), embedder.dim))
    if cached is not None:
        return cached
    vectors = embedder.encode([embedding_text(v) for v in values])
    save_cache(path, lambda handle: np.save(handle, vectors, allow_pickle=False), ".npy")
    return vectors
