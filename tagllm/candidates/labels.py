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
        signals = [batch.emb @ self.space.emb.T, self.space.lex.dot(batch.lex)]
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
        return Evidence([top_keys(signal, TOP_PER_SIGNAL, self.space.size)], _at([signal]))


def _at(signals: list[np.ndarray]) -> Callable[[Candidates], np.ndarray]:
    """Columns holding each signal (products x values) at the candidates."""

    def columns(candidates: Candidates) -> np.ndarray:
        return np.column_stack([s[candidates.rows, candidates.values] for s in signals]).astype(np.float64)

    return columns
