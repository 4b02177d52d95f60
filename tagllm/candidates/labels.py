"""Label similarity: how close a product's text is to the taxonomy's own label of a value, the only learned-free
evidence for values no example carries.

``LabelSimilarity``: cosine of the product's embedding to the value's (its path embedded) and of their character
n-grams (the name, synonyms and other-language labels); ``PathSimilarity``: character n-grams of the labels of the
value's whole path ('Men's Clothing' above 'Shirts' is what tells a men's shirt from a women's one).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tagllm.candidates.base import TOP_PER_SIGNAL, Batch, Candidates, Evidence, FacetData, Family, top_keys
from tagllm.retrieval.labels import LabelSpace

# On a lazy label space (a large facet, see ``tagllm.retrieval.labels.LAZY_LABELS_ABOVE``) the embeddings propose
# nothing, so each lexical signal proposes more values.
LAZY_TOP_PER_SIGNAL = 15


class LabelSimilarity(Family):
    columns = ("label_emb", "label_lex")
    relative = ("label_emb", "label_lex")
    default_weights = {"label_emb": 3.0, "label_lex": 3.0}

    def __init__(self, data: FacetData) -> None:
        self.space = data.space

    @classmethod
    def build(cls, data: FacetData) -> LabelSimilarity:
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        lex = self.space.lex.dot(batch.lex)
        if self.space.is_lazy:  # a large facet: the embeddings score the candidates the rest proposes
            return Evidence([top_keys(lex, LAZY_TOP_PER_SIGNAL, self.space.size)], _lazy(self.space, batch.emb, lex))
        signals = [batch.emb @ self.space.emb.T, lex]
        return Evidence([top_keys(s, TOP_PER_SIGNAL, self.space.size) for s in signals], _at(signals))


class PathSimilarity(Family):
    columns = ("label_path_lex",)
    relative = ("label_path_lex",)

    def __init__(self, data: FacetData) -> None:
        self.space = data.space

    @classmethod
    def build(cls, data: FacetData) -> PathSimilarity:
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        signal = self.space.path_lex.dot(batch.lex)
        top = LAZY_TOP_PER_SIGNAL if self.space.is_lazy else TOP_PER_SIGNAL
        return Evidence([top_keys(signal, top, self.space.size)], _at([signal]))


def lazy_similarity(space: LabelSpace, vectors: np.ndarray, candidates: Candidates) -> np.ndarray:
    """Cosine of each candidate's product vector (``vectors``: products x dim) to the candidate's label embedding,
    embedding only the labels of these candidates (a lazy label space)."""
    values, where = np.unique(candidates.values, return_inverse=True)
    labels = space.vectors.at(values)
    return np.einsum("ij,ij->i", vectors[candidates.rows], labels[where]).astype(np.float64)


def _lazy(space: LabelSpace, vectors: np.ndarray, lex: np.ndarray) -> Callable[[Candidates], np.ndarray]:
    def columns(candidates: Candidates) -> np.ndarray:
        return np.column_stack([lazy_similarity(space, vectors, candidates), lex[candidates.rows, candidates.values]])

    return columns


def _at(signals: list[np.ndarray]) -> Callable[[Candidates], np.ndarray]:
    """Columns holding each signal (products x values) at the candidates."""

    def columns(candidates: Candidates) -> np.ndarray:
        return np.column_stack([s[candidates.rows, candidates.values] for s in signals]).astype(np.float64)

    return columns
