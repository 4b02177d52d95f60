"""The lexical model: hashed character n-gram TF-IDF, which works for Chinese where the English embedder is weak."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tagllm.text import normalize

N_FEATURES = 2**20
WORD_OFFSET = 2**19  # character n-grams hash below, words and word pairs above: models can tell them apart
LEXICAL_VERSION = 2  # changes whenever a text would hash to other features
NGRAMS = (1, 4)


class LexicalModel:
    """Stateless hashing of character n-grams and word uni/bigrams, plus IDF weights learnt from the examples.

    Character n-grams carry Chinese (no spaces) and misspellings; word n-grams carry English phrases.

    Hashing keeps the model a plain array (no vocabulary to pickle) and lets new examples be added without refitting
    the feature space; only the IDF vector is refreshed.
    """

    def __init__(self, idf: np.ndarray | None = None, doc_freq: np.ndarray | None = None, n_docs: int = 0) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self._hasher = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=NGRAMS,
            n_features=WORD_OFFSET,
            alternate_sign=False,
            norm=None,
            lowercase=False,  # counts() normalises (and case-folds) each text once for both vectorizers
            dtype=np.float32,
        )
        self._words = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            n_features=WORD_OFFSET,
            alternate_sign=False,
            norm=None,
            lowercase=False,  # counts() normalises (and case-folds) each text once for both vectorizers
            dtype=np.float32,
        )
        self.doc_freq = doc_freq if doc_freq is not None else np.zeros(N_FEATURES, dtype=np.float32)
        self.n_docs = n_docs
        self.idf = idf if idf is not None else self._idf()

    def _idf(self) -> np.ndarray:
        return (np.log((1.0 + self.n_docs) / (1.0 + self.doc_freq)) + 1.0).astype(np.float32)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        normalized = [normalize(t) for t in texts]
        return sp.hstack([self._hasher.transform(normalized), self._words.transform(normalized)], format="csr")

    def fit(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Learn document frequencies from ``texts`` (adding to what is known) and return their vectors."""
        counts = self.counts(texts)
        self.doc_freq += np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
        self.n_docs += len(texts)
        self.idf = self._idf()
        return self.weigh(counts)

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear TF times IDF, rows L2-normalised."""
        x = counts.copy()
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x, dtype=np.float32)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.weigh(self.counts(texts))

    def save(self, directory: Path) -> None:
        nz = np.flatnonzero(self.doc_freq)
        np.savez(directory / "lexical.npz", df_index=nz, df_value=self.doc_freq[nz], n_docs=np.array(self.n_docs))

    @classmethod
    def load(cls, directory: Path) -> LexicalModel:
        with np.load(directory / "lexical.npz", allow_pickle=False) as data:
            df = np.zeros(N_FEATURES, dtype=np.float32)
            df[data["df_index"]] = data["df_value"]
            return cls(doc_freq=df, n_docs=int(data["n_docs"]))


# The few features that nearly every text has (single letters, "the", "for") make most of the work of a sparse
# product with many columns while carrying a few per cent of a query's weight (on Flipkart, features in over 20% of
# the examples made 77% of the multiply-adds for 8.5% of the weight); keeping them as a dense block multiplied with
# BLAS is exact and made lexical search of 2,000 products over 12,593 examples 4x faster (3.2 s -> 0.77 s).
DENSE_FEATURES = 256
DENSE_BYTES = 64 * 2**20


class FeatureMatrix:
    """A (columns x features) lexical matrix prepared for products with batches of sparse rows: ``dot`` returns the
    dense (rows x columns) inner products, with the most frequent features in a dense block and the rest sparse."""

    def __init__(self, matrix: sp.csr_matrix, dense_features: int = DENSE_FEATURES) -> None:
        matrix = matrix.tocsr()
        columns, n_features = matrix.shape
        df = np.bincount(matrix.indices, minlength=n_features)
        budget = DENSE_BYTES // (4 * max(columns, 1))
        m = int(min(dense_features, budget, np.count_nonzero(df)))
        self.dense_ids = np.sort(np.argsort(-df, kind="stable")[:m])
        self.slot = np.full(n_features, -1, dtype=np.int64)  # feature -> its column in the dense block, -1 if sparse
        self.slot[self.dense_ids] = np.arange(m)
        dense, sparse = self._split(matrix)
        self.dense_t = np.ascontiguousarray(dense.T)
        self.sparse_t = sparse.T.tocsr()

    def dot(self, rows: sp.csr_matrix) -> np.ndarray:
        dense, sparse = self._split(rows.tocsr())
        return (sparse @ self.sparse_t).toarray() + dense @ self.dense_t

    def _split(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, sp.csr_matrix]:
        """The entries of ``matrix`` in the dense features as a (rows x dense features) array, and the rest."""
        slot = self.slot[matrix.indices]
        in_dense = slot >= 0
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        dense = np.zeros((matrix.shape[0], len(self.dense_ids)), dtype=np.float32)
        np.add.at(dense, (rows[in_dense], slot[in_dense]), matrix.data[in_dense])
        rest = ~in_dense
        sparse = sp.csr_matrix((matrix.data[rest], (rows[rest], matrix.indices[rest])), shape=matrix.shape)
        return dense, sparse
