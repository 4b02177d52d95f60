"""Class centroids: cosine of a product to the sum of the examples labelled with a value.

A linear model that generalises where single neighbours are noisy: the embedding centroid (``emb_centroid``), the
lexical one (``lex_centroid``), and a class-feature centroid (``lex_cfc``) whose terms are weighted by how few
classes use them, so words that single out a class count more than words every class shares. When fitting, each
example is taken out of its own classes' centroids exactly.
"""

from __future__ import annotations

import math

import numpy as np

from tagllm.candidates.base import Batch, Classes, ClassFamily, Evidence, FacetData, loo_cosine, row_values
from tagllm.retrieval.lexical import FeatureMatrix


class ClassCentroids(ClassFamily):
    columns = ("emb_centroid", "lex_centroid", "lex_cfc")
    relative = ("emb_centroid", "lex_centroid", "lex_cfc")
    default_weights = {"emb_centroid": 2.0, "lex_centroid": 2.0, "lex_cfc": 2.0}

    def __init__(self, data: FacetData, classes: Classes) -> None:
        super().__init__(data, classes)
        index = data.index
        assert index is not None
        self.emb_sums = np.asarray(classes.y.T @ index.vectors, dtype=np.float32)
        self.emb_norms = np.linalg.norm(self.emb_sums, axis=1)
        lex_sums = (classes.y.T @ index.lexical_matrix).tocsr()
        lex_sums.sort_indices()
        self.lex_sums = lex_sums
        self.lex_centroids = FeatureMatrix(lex_sums)  # class sums, ready for products with a batch
        self.lex_norms = np.sqrt(np.asarray(lex_sums.multiply(lex_sums).sum(axis=1)).ravel())
        class_freq = np.bincount(lex_sums.indices, minlength=lex_sums.shape[1])
        self.icf = np.log((1.0 + len(classes.ids)) / (1.0 + class_freq)).astype(np.float32)  # inverse class frequency
        cfc = lex_sums.multiply(self.icf[None, :]).tocsr()
        self.cfc = FeatureMatrix(cfc)
        self.cfc_norms = np.sqrt(np.asarray(cfc.multiply(cfc).sum(axis=1)).ravel())

    @classmethod
    def build(cls, data: FacetData) -> ClassCentroids | None:
        return cls(data, data.classes) if data.classes is not None else None

    def read(self, batch: Batch) -> Evidence:
        signals = self._cosines(batch)
        return Evidence(self.proposals(signals), lambda candidates: self.gather(candidates, signals))

    def _cosines(self, batch: Batch) -> list[np.ndarray]:
        """Per product and class: cosine to the class's embedding, lexical and class-feature centroids; with the
        product itself taken out of its own classes when fitting."""
        dots_emb = batch.emb @ self.emb_sums.T
        dots_lex = self.lex_centroids.dot(batch.lex)
        dots_cfc = self.cfc.dot(batch.lex)
        ce = dots_emb / np.maximum(self.emb_norms, 1e-9)
        cl = dots_lex / np.maximum(self.lex_norms, 1e-9)
        cc = dots_cfc / np.maximum(self.cfc_norms, 1e-9)
        if batch.exclude is None:
            return [ce, cl, cc]
        # leave the example and its copies (the same normalised text: the same lexical row, and an embedding taken as
        # the same) out of their classes' centroids
        for i in range(len(batch.exclude)):
            cols = batch.lex.indices[batch.lex.indptr[i] : batch.lex.indptr[i + 1]]
            x = batch.lex.data[batch.lex.indptr[i] : batch.lex.indptr[i + 1]].astype(np.float64)
            icf = self.icf[cols].astype(np.float64)
            xw_sq = float(((x * icf) ** 2).sum())
            own = float((x * x * icf).sum())
            for c, m in self.left_out_classes(batch, i).items():
                ce[i, c] = loo_cosine(dots_emb[i, c], self.emb_norms[c], 1.0, m)
                cl[i, c] = loo_cosine(dots_lex[i, c], self.lex_norms[c], 1.0, m)
                # x.(S-mx)w / |(S-mx)w| with w = icf: cross term S.w^2.x, and |xw|^2
                cross = float((row_values(self.lex_sums, c, cols) * icf * icf * x).sum())
                rest = self.cfc_norms[c] ** 2 - 2 * m * cross + m * m * xw_sq
                cc[i, c] = (dots_cfc[i, c] - m * own) / math.sqrt(rest) if rest > 1e-9 else 0.0
        return [ce, cl, cc]
