"""A linear text classifier per attribute facet (``lex_linear``): one-vs-rest linear SVM margins over the lexical
features (hashed character n-grams, words and word pairs, TF-IDF weighted) of the examples that carry the facet.

Centroids and naive Bayes weigh every word of a class alike; a discriminative linear model learns which few words
decide a value ("navy" for a colour, "kurta" against "kurti" for a type, 碎花 for a pattern) and ignores the rest:
the per-facet TF-IDF + LinearSVC that attribute benchmarks compare with, here as one evidence column the stacker
weighs against the others. It is fitted when the facet is first scored (well under a second for a few thousand
examples per facet). The stacker is fitted on cross-fitted margins: an example's margin comes from the model fitted
on the folds it is not in, and examples sharing a normalised text (a listing's colour and size variants) share a
fold, so the stacker sees the margins a new listing would get, not those of a copy of its own training row.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from tagllm.candidates.base import Batch, Classes, ClassFamily, Evidence, FacetData
from tagllm.candidates.calibration import FOLDS, text_folds
from tagllm.retrieval.lexical import WORD_OFFSET

MIN_DOC_FREQ = 2  # a feature no two examples share cannot generalise to a new product; dropping it shrinks the model
SVM_C = 1.0  # liblinear's default, as the TF-IDF + LinearSVC baseline
# liblinear's dual solver visits the rows in a random order; unseeded, it draws from numpy's global generator, so a
# product's margins depended on what else the process had drawn (and on the run): seeded, a file tags alike however
# it is split or whatever ran before it


class LinearModel:
    """One-vs-rest linear SVMs over the lexical features that at least MIN_DOC_FREQ of the rows have, its character
    n-grams and its words each scaled to unit length (``blocks``)."""

    def __init__(self, x: sp.csr_matrix, y: sp.csr_matrix) -> None:
        from sklearn.svm import LinearSVC

        counts = np.bincount(x.indices, minlength=x.shape[1])
        self.columns = np.flatnonzero(counts >= MIN_DOC_FREQ)  # ascending: the character n-grams, then the words
        self.n_chars = int(np.searchsorted(self.columns, WORD_OFFSET))
        features = self.blocks(x)
        labels = y.toarray().astype(np.int8)
        n_classes = labels.shape[1]
        self.coef = np.zeros((n_classes, len(self.columns)), np.float32)
        self.intercept = np.full(n_classes, -1.0, np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # liblinear's convergence warning: the margins are still usable
            for c in range(n_classes):
                target = labels[:, c]
                if not len(target) or target.min() == target.max():  # every row or none carries it: constant
                    self.intercept[c] = 1.0 if len(target) and target[0] else -1.0
                    continue
                model = LinearSVC(C=SVM_C, random_state=0).fit(features, target)
                self.coef[c] = model.coef_[0]
                self.intercept[c] = model.intercept_[0]

    def blocks(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """The kept columns of ``x``, its character n-grams and its words each scaled to unit length per row.

        The lexical vectors are normalised as a whole, and a title has several times more character n-grams than
        words, so its words, which name most values ("kurta", "casual", "navy"), weigh little next to its n-grams.
        Scaled apart, as the TF-IDF + LinearSVC baseline's two vectorisers are, the two kinds weigh alike. Measured
        (benchmarks/attributes.py, micro-F1 over facets, the default's best candidate always answering): fashion 0.893
        -> 0.896, Flipkart 0.723 -> 0.729, OpenBG 0.437 -> 0.442 (runs differed by about 0.003 there while liblinear
        shuffled unseeded); at the default threshold fashion 0.872 -> 0.876, Flipkart 0.690 -> 0.691."""
        kept = x[:, self.columns]
        scale = np.ones(kept.shape[0] * 2)
        squares = kept.multiply(kept).tocsr()
        for b, part in enumerate((squares[:, : self.n_chars], squares[:, self.n_chars :])):
            norms = np.sqrt(np.asarray(part.sum(axis=1)).ravel())
            scale[b::2] = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 1.0)
        is_word = (kept.indices >= self.n_chars).astype(np.int64)
        rows = np.repeat(np.arange(kept.shape[0]), np.diff(kept.indptr))
        out = kept.copy()
        out.data = (out.data * scale[rows * 2 + is_word]).astype(np.float32)
        return out

    def margins(self, x: sp.csr_matrix) -> np.ndarray:
        """Per row and class, the signed distance to the class's separating hyperplane."""
        return np.asarray(self.blocks(x) @ self.coef.T, dtype=np.float64) + self.intercept


class LinearEvidence(ClassFamily):
    columns = ("lex_linear",)
    relative = ("lex_linear",)

    def __init__(self, data: FacetData, classes: Classes) -> None:
        super().__init__(data, classes)
        assert data.index is not None
        self.index = data.index
        # only the examples that carry the facet: one with no colour tag is no evidence against any colour
        self.rows = np.flatnonzero(np.diff(classes.y.indptr) > 0)
        self.model = LinearModel(self.index.lexical_matrix[self.rows], classes.y[self.rows])
        self._folds: np.ndarray | None = None
        self._fold_models: list[LinearModel] = []

    @classmethod
    def build(cls, data: FacetData) -> LinearEvidence | None:
        """Flat facets with two values or more: the category tree has its own learned evidence, and a linear model
        per node of a 1,000-node tree costs more than it adds there."""
        if data.classes is None or data.tables.hierarchical or len(data.classes.ids) < 2:
            return None
        return cls(data, data.classes)

    def read(self, batch: Batch) -> Evidence:
        margins = self.model.margins(batch.lex) if batch.exclude is None else self._cross_fitted(batch)
        proposals = self.proposals([margins - margins.min(axis=1, keepdims=True)])
        return Evidence(proposals, lambda candidates: self.gather(candidates, [margins], fill=-1.0))

    def _cross_fitted(self, batch: Batch) -> np.ndarray:
        """Margins of examples (``batch.exclude``) from the models fitted without their fold."""
        assert batch.exclude is not None
        if self._folds is None:
            examples = self.index.examples  # every facet's model uses the same folds: hashed once
            self._folds = self.data.shared.get("text-folds", lambda: text_folds([e.text() for e in examples], FOLDS))
            fold_of_row = self._folds[self.rows]
            x, y = self.index.lexical_matrix[self.rows], self.classes.y[self.rows]
            self._fold_models = [LinearModel(x[fold_of_row != k], y[fold_of_row != k]) for k in range(FOLDS)]
        which = self._folds[np.asarray(batch.exclude)]
        out = np.zeros((len(batch.exclude), len(self.classes.ids)))
        for k in np.unique(which).tolist():
            rows = np.flatnonzero(which == k)
            out[rows] = self._fold_models[k].margins(batch.lex[rows])
        return out
