"""Ridge regression of each value on the embeddings (``emb_ridge``): which directions of the embedding space
separate the classes, where centroid cosine weighs every direction alike. It is fitted at load time (0.1 s for
12,600 examples), and its leave-one-out predictions are exact, so fitting the stacker sees what a new product would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tagllm.candidates.base import Batch, Classes, ClassFamily, Evidence, FacetData

# Ridge penalties tried, in units of the mean eigenvalue of X'X, each judged by exact leave-one-out accuracy on up
# to RIDGE_SAMPLE of the index's examples: 12,593 Flipkart examples pick the smallest, 400 OpenBG examples 0.03.
RIDGE_PENALTIES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
RIDGE_SAMPLE = 1000


@dataclass
class Ridge:
    """Ridge regression of each class's 0/1 indicator on the embeddings (plus an intercept): a linear model of the
    whole embedding space, which weighs its directions by how well they separate the classes where centroid cosine
    weighs them all alike. Leave-one-out predictions of ridge regression are exact and cheap (through the hat
    matrix's diagonal ``h``: ``(pred - h * y) / (1 - h)``), so the penalty is chosen by leave-one-out accuracy on the
    index's own examples, and the stacker is fitted on the same leave-one-out values it would be for a new product.
    """

    weights: np.ndarray  # (dim + 1) x classes
    inverse: np.ndarray  # (X'X + penalty I)^-1, for the hat matrix's diagonal
    y: sp.csr_matrix  # examples x classes, 0/1
    penalty: float

    @classmethod
    def fit(
        cls, vectors: np.ndarray, y: sp.csr_matrix, *, penalty: float | None = None, basis: RidgeBasis | None = None
    ) -> Ridge:
        """Fit with ``penalty``, or with the one of RIDGE_PENALTIES that leave-one-out accuracy prefers.
        ``basis``: ``RidgeBasis.of(vectors)`` when it is at hand (it is the same for every facet)."""
        basis = basis or RidgeBasis.of(vectors)
        x, eigenvalues, eigenvectors, rows, p = basis.x, basis.eigenvalues, basis.eigenvectors, basis.rows, basis.p
        projected_xty = eigenvectors.T @ np.asarray((y.T @ x).T, dtype=np.float64)  # V'X'Y
        gold = y[rows].tocsr()
        gold_rows = np.repeat(np.arange(len(rows)), np.diff(gold.indptr))
        scale = float(eigenvalues.mean())
        best_accuracy = -1.0
        for factor in RIDGE_PENALTIES if penalty is None else ():  # in units of the mean eigenvalue of X'X
            inv = 1.0 / (eigenvalues + factor * scale)
            h = (p * p) @ inv
            loo = (p * inv) @ projected_xty
            loo[gold_rows, gold.indices] -= h[gold_rows]
            loo /= (1.0 - h)[:, None]
            accuracy = float(gold[np.arange(len(rows)), loo.argmax(axis=1)].mean())
            if accuracy > best_accuracy:
                best_accuracy, penalty = accuracy, factor * scale
        assert penalty is not None
        inverse = (eigenvectors / (eigenvalues + penalty)) @ eigenvectors.T
        weights = eigenvectors @ (projected_xty / (eigenvalues + penalty)[:, None])
        return cls(weights.astype(np.float32), inverse.astype(np.float32), y.tocsr(), penalty)

    def predict(self, vectors: np.ndarray, left_out: list[list[int]] | None = None) -> np.ndarray:
        """Per product and class, the regression's value; for rows that are examples, their value with the examples
        ``left_out[i]`` (the row's example and its copies, whose vectors are taken as the row's) left out: through
        Sherman-Morrison, ``(pred - h * sum of their y) / (1 - m h)`` for m such copies."""
        x = _with_intercept(vectors)
        out = (x @ self.weights).astype(np.float64)
        if left_out is None:
            return out
        h = ((x @ self.inverse) * x).sum(axis=1, dtype=np.float64)
        copies = np.array([len(e) for e in left_out], dtype=np.float64)
        own = self.y[np.concatenate([np.asarray(e, np.int64) for e in left_out])]
        rows = np.repeat(np.repeat(np.arange(len(left_out)), copies.astype(np.int64)), np.diff(own.indptr))
        np.subtract.at(out, (rows, own.indices), h[rows])
        return out / np.maximum(1.0 - copies * h, 1e-9)[:, None]


@dataclass
class RidgeBasis:
    """What a ridge fit needs of the vectors alone, whatever the classes: the eigendecomposition of X'X (X with an
    intercept column) and the rows the penalty is judged on, projected onto its eigenvectors. Every facet's ridge
    is fitted on the same vectors, so this is computed once per index (``FacetData.shared``), not once per facet:
    the eigendecomposition was most of an index build's time with 85 attribute facets."""

    x: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    rows: np.ndarray  # up to RIDGE_SAMPLE examples the penalty is judged on
    p: np.ndarray  # x[rows] @ eigenvectors

    @classmethod
    def of(cls, vectors: np.ndarray) -> RidgeBasis:
        x = _with_intercept(vectors)
        eigenvalues, eigenvectors = np.linalg.eigh((x.T @ x).astype(np.float64))
        eigenvalues = np.maximum(eigenvalues, 0.0)
        rows = np.random.default_rng(0).choice(len(x), size=min(RIDGE_SAMPLE, len(x)), replace=False)
        return cls(x, eigenvalues, eigenvectors, rows, x[rows].astype(np.float64) @ eigenvectors)


def _with_intercept(vectors: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(vectors, dtype=np.float32), np.ones((len(vectors), 1), np.float32)])


class RidgeEvidence(ClassFamily):
    columns = ("emb_ridge",)
    relative = ("emb_ridge",)

    def __init__(self, data: FacetData, classes: Classes) -> None:
        super().__init__(data, classes)
        assert data.index is not None
        vectors = data.index.vectors
        basis = data.shared.get("ridge-basis", lambda: RidgeBasis.of(vectors))
        self.model = Ridge.fit(vectors, classes.y, basis=basis)

    @classmethod
    def build(cls, data: FacetData) -> RidgeEvidence | None:
        return cls(data, data.classes) if data.classes is not None else None

    def read(self, batch: Batch) -> Evidence:
        left_out = None if batch.exclude is None else [batch.left_out(i) for i in range(len(batch.exclude))]
        ridge = self.model.predict(batch.emb, left_out)
        proposals = self.proposals([ridge - ridge.min(axis=1, keepdims=True)])
        return Evidence(proposals, lambda candidates: self.gather(candidates, [ridge]))
