"""The lexical model: hashed character n-gram TF-IDF, which works for Chinese where the English embedder is weak."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tagllm.text import normalize

HASH_BITS = 19
WORD_OFFSET = 2**HASH_BITS  # character n-grams hash below, words and word pairs above: models can tell them apart
N_FEATURES = 2 * WORD_OFFSET
LEXICAL_VERSION = 4  # changes whenever a text would hash to other features
MAX_NGRAM = 4


class LexicalModel:
    """Stateless hashing of character n-grams and word uni/bigrams, plus IDF weights learnt from the examples.

    Character n-grams carry Chinese (no spaces) and misspellings; word n-grams carry English phrases.

    Hashing keeps the model a plain array (no vocabulary to pickle) and lets new examples be added without refitting
    the feature space; only the IDF vector is refreshed.
    """

    def __init__(self, idf: np.ndarray | None = None, doc_freq: np.ndarray | None = None, n_docs: int = 0) -> None:
        self.doc_freq = doc_freq if doc_freq is not None else np.zeros(N_FEATURES, dtype=np.float32)
        self.n_docs = n_docs
        self.idf = idf if idf is not None else self._idf()

    def _idf(self) -> np.ndarray:
        return (np.log((1.0 + self.n_docs) / (1.0 + self.doc_freq)) + 1.0).astype(np.float32)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Feature counts per text (rows), from the texts' normalised forms."""
        return hash_counts([normalize(t) for t in texts])

    def fit(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Learn document frequencies from ``texts`` (adding to what is known) and return their vectors."""
        counts = self.counts(texts)
        self.doc_freq += np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
        self.n_docs += len(texts)
        self.idf = self._idf()
        return self.weigh(counts)

    def forget(self, texts: Sequence[str]) -> None:
        """Take back what ``fit`` learned from ``texts`` (examples being replaced)."""
        counts = self.counts(texts)
        self.doc_freq -= np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
        np.maximum(self.doc_freq, 0, out=self.doc_freq)
        self.n_docs = max(0, self.n_docs - len(texts))
        self.idf = self._idf()

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


def hash_counts(texts: Sequence[str], max_n: int = MAX_NGRAM) -> sp.csr_matrix:
    """Counts of hashed features per text, for texts already normalised (words of word characters, single spaces).

    Features: the character 1..max_n-grams of each word padded with a space on both sides (sklearn's ``char_wb``:
    ' red ' gives ' r', 'red ', ' red '...), each word, and each pair of adjacent words. The whole batch is hashed
    with array operations over its code points: about 10x faster than sklearn's HashingVectorizer, which builds
    every n-gram as a Python string (3,000 Flipkart texts: 0.05 s against 0.5 s).

    An n-gram's hash is sum(code[t] * K[t]) over its positions t, mod 2**64, with odd constants K, then mixed and
    cut to HASH_BITS bits; a text's features do not depend on the other texts of the batch.
    """
    n_texts = len(texts)
    lengths = np.fromiter((len(t) + 2 for t in texts), np.int64, n_texts)
    joined = "".join(f" {t} " for t in texts).encode("utf-32-le", errors="surrogatepass")  # 4 bytes per character
    codes = np.frombuffer(joined, dtype=np.uint32).astype(np.uint64)
    size = len(codes)
    doc = np.repeat(np.arange(n_texts), lengths)
    space = codes == ord(" ")
    docs, features = [], []

    # character n-grams: the windows [i, i+n) inside one text with no space inside them (a space may open or close
    # one: that marks a word's start or end) and not all space
    h = np.zeros(size, np.uint64)
    inner_space = np.zeros(size, bool)
    for n in range(1, max_n + 1):
        m = size - n + 1
        if m <= 0:
            break
        h[:m] += codes[n - 1 :] * _K[n - 1]
        if n >= 3:
            inner_space[:m] |= space[n - 2 : n - 2 + m]
        ok = (doc[n - 1 :] == doc[:m]) & ~inner_space[:m]
        if n <= 2:
            ok &= ~(space[:m] & space[n - 1 :])
        at = np.flatnonzero(ok)
        docs.append(doc[at])
        features.append(_bucket(h[at], n))

    # words (runs of non-space) and adjacent pairs of words within a text
    letters = np.flatnonzero(~space)  # every text starts with a space, so letters - 1 >= 0
    starts = space[letters - 1]
    first = np.flatnonzero(starts)
    offset = np.arange(len(letters)) - first[np.cumsum(starts) - 1]
    words = np.add.reduceat(codes[letters] * _K[offset % len(_K)], first) if len(first) else np.zeros(0, np.uint64)
    word_doc = doc[letters[first]]
    pairs = word_doc[1:] == word_doc[:-1]
    docs += [word_doc, word_doc[1:][pairs]]
    features += [
        WORD_OFFSET + _bucket(words, MAX_NGRAM + 1),
        WORD_OFFSET + _bucket((_mix(words[:-1]) * _K[0] + words[1:])[pairs], MAX_NGRAM + 2),
    ]

    doc_all = np.concatenate(docs)
    order = np.argsort(doc_all, kind="stable")  # runs already sorted by text: a merge
    indptr = np.zeros(n_texts + 1, np.int64)
    np.cumsum(np.bincount(doc_all, minlength=n_texts), out=indptr[1:])
    ones = np.ones(len(order), np.float32)
    matrix = sp.csr_matrix((ones, np.concatenate(features)[order], indptr), shape=(n_texts, N_FEATURES))
    matrix.sum_duplicates()
    return matrix


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit flips about half the output bits (uint64 arithmetic wraps)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_CONSTANTS = _mix(np.arange(1, 41, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
_K = _CONSTANTS[:32] | np.uint64(1)  # per position in an n-gram or word; odd, so no code point is lost mod 2**64
_SALT = _CONSTANTS[32:]  # per kind of feature


def _bucket(h: np.ndarray, kind: int) -> np.ndarray:
    """A hash of one kind of feature (n-gram length, word, word pair) cut to a feature in [0, WORD_OFFSET)."""
    return (_mix(h + _SALT[kind]) >> np.uint64(64 - HASH_BITS)).astype(np.int64)


# The few features that nearly every text has (single letters, "the", "for") make most of the work of a sparse
# product with many columns while carrying a few per cent of a query's weight (on Flipkart, features in over 20% of
# the examples made 77% of the multiply-adds for 8.5% of the weight); keeping them as a dense block multiplied with
# BLAS is exact and made lexical search of 2,000 products over 12,593 examples 4x faster (3.2 s -> 0.77 s).
DENSE_FEATURES = 512  # 1,000 Flipkart queries over 3,000 / 12,600 examples: 59 / 236 ms, against 72 / 259 ms with 256
DENSE_BYTES = 64 * 2**20


def _renumbered(features: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted distinct ``features`` (of ``space``), each feature's position among them, and how often each
    occurs: ``np.unique(features, return_inverse=True)`` and its counts, by counting over the space instead of
    sorting every entry (the lexical matrix of 3,000 Flipkart examples, 540,000 entries: 65-76 ms sorted, 10-11 ms
    counted; a run builds six such matrices)."""
    counts = np.bincount(features, minlength=space)
    present = counts > 0
    used = np.flatnonzero(present).astype(features.dtype, copy=False)
    return used, (np.cumsum(present) - 1)[features], counts[used]


class FeatureMatrix:
    """A (columns x features) lexical matrix prepared for products with batches of sparse rows: ``dot`` returns the
    dense (rows x columns) inner products, with the most frequent features in a dense block and the rest sparse.

    Only the features the matrix has are kept (``used``), renumbered in order; a product's other features multiply
    nothing. Tables over the whole hashed space (a million features) cost 16 MB per matrix, and an index build with
    85 attribute facets, each with a few such matrices, held 7 GB of them."""

    def __init__(self, matrix: sp.csr_matrix, dense_features: int = DENSE_FEATURES) -> None:
        matrix = matrix.tocsr()
        matrix.sum_duplicates()  # a no-op for canonical CSR (what hashing gives); below, (row, feature) is unique
        columns = matrix.shape[0]
        self.used, local, df = _renumbered(matrix.indices, matrix.shape[1])
        budget = DENSE_BYTES // (4 * max(columns, 1))
        m = int(min(dense_features, budget, len(self.used)))
        dense = np.sort(np.argpartition(-df, m - 1)[:m]) if m else np.zeros(0, np.int64)  # m most frequent
        self.dense_ids = self.used[dense]
        self.slot = np.full(len(self.used), -1, dtype=np.int64)  # used feature -> its dense column, -1 if sparse
        self.slot[dense] = np.arange(m)
        dense_part, sparse = self._split(sp.csr_matrix((matrix.data, local, matrix.indptr), (columns, len(self.used))))
        self.dense_t = np.ascontiguousarray(dense_part.T)
        self.sparse_t = sparse.T.tocsr()

    def dot(self, rows: sp.csr_matrix) -> np.ndarray:
        dense, sparse = self._split(self._local(rows.tocsr()))
        return (sparse @ self.sparse_t).toarray() + dense @ self.dense_t

    def _local(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        """``rows`` over the used features alone, renumbered as they are here."""
        local = rows[:, self.used]
        local.sum_duplicates()  # below, (row, feature) is unique
        return local

    def _split(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, sp.csr_matrix]:
        """The entries of ``matrix`` (over the used features) in the dense features as a (rows x dense features)
        array, and the rest."""
        slot = self.slot[matrix.indices]
        in_dense = slot >= 0
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        dense = np.zeros((matrix.shape[0], len(self.dense_ids)), dtype=np.float32)
        dense[rows[in_dense], slot[in_dense]] = matrix.data[in_dense]
        rest = ~in_dense
        indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)  # the rest keeps CSR order: no COO sort needed
        np.cumsum(np.bincount(rows[rest], minlength=matrix.shape[0]), out=indptr[1:])
        sparse = sp.csr_matrix((matrix.data[rest], matrix.indices[rest], indptr), shape=matrix.shape)
        return dense, sparse
