"""Candidate narrowing and scoring: per product and facet, the plausible taxonomy values with fused evidence.

Evidence for a value ``c`` of facet ``f`` and a product ``x``:

- votes of the embedding and lexical neighbours labelled ``c`` (similarity-weighted), of those labelled inside the
  subtree of ``c``, and of those inside the subtree of its parent (hierarchical facets);
- the label of the single nearest neighbour (near-duplicate listings are common in catalogues);
- similarity of ``x`` to the centroid of the examples labelled ``c`` (embedding and lexical): a linear model that
  generalises where single neighbours are noisy; and a class-feature centroid, whose terms are weighted by how few
  classes use them, so words that single out a class count more than words every class shares;
- a ridge regression of ``c`` on the embeddings, which learns which directions of the embedding space separate the
  classes (centroid cosine weighs every direction alike); it is fitted at load time too (0.1 s for 12,600 examples);
- similarity of ``x`` to the taxonomy's own label of ``c`` (embedding and character n-grams) and to the labels of
  its whole path (character n-grams), and whether a name, synonym or other-language label of ``c`` occurs in the
  text: the only evidence for values no example carries;
- the prior frequency of ``c`` among the examples;
- the posterior of ``c`` under multinomial naive Bayes over which lexical features (character n-grams, words) the
  text has: a per-class discriminative reading of single words (a brand, "bracelet") that whole-text similarity
  dilutes. Its class counts come from the index at load time, so nothing extra is stored. A second naive Bayes
  reads words and word pairs alone, where English product types live, undiluted by character n-grams.

A logistic-regression stacker, fitted when the index is built by leave-one-out over its own examples (votes,
centroids and naive Bayes counts all leave the example out exactly), turns the evidence into the probability that
``c`` is right; besides the raw evidence it sees each value relative to the product's best candidate and whether
the candidate ranks first or second by it. Fitting on the user's examples is what lets one method lean on
the lexical side for Chinese (where the default English embedder is weak) and on the embeddings for English.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagllm.models import Candidate
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.index import ExampleIndex, Hits, top_k
from tagllm.retrieval.labels import LabelSpace
from tagllm.retrieval.lexical import WORD_OFFSET, FeatureMatrix, hash_counts
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize

FEATURES = (
    "emb_vote",
    "lex_vote",
    "emb_top1",
    "lex_top1",
    "emb_subtree",
    "lex_subtree",
    "parent_subtree",
    "emb_centroid",
    "lex_centroid",
    "lex_cfc",
    "label_emb",
    "label_lex",
    "mention",
    "prior",
    "nb",
    "nb_log",
    "label_path_lex",
    "nb_word",
    "nb_word_log",
    "emb_ridge",
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}
# Each of these also enters relative to the product's best candidate (value - max), which lets a per-candidate
# logistic regression rank candidates against each other instead of judging each one alone.
RELATIVE = (
    "emb_vote", "lex_vote", "emb_centroid", "lex_centroid", "lex_cfc", "label_emb", "label_lex", "nb_log",
    "label_path_lex", "nb_word_log", "emb_ridge",
)  # fmt: skip
# Each feature also says whether the candidate is the product's best or second best by it (ties share the rank):
# a per-candidate linear model cannot otherwise express "most signals put this candidate first".
TOP_RANKS = 2
ALL_FEATURES = (
    FEATURES
    + tuple(f"{f}_rel" for f in RELATIVE)
    + tuple(f"{f}_rank{r + 1}" for r in range(TOP_RANKS) for f in FEATURES)
)
TOP_PER_SIGNAL = 5
# Used when a facet has too few labelled examples to fit the stacker: votes and label evidence count, roughly
# in the proportions the fitted stackers settle on for both English and Chinese data.
DEFAULT_WEIGHTS = {
    "emb_vote": 2.0, "lex_vote": 2.0, "emb_top1": 1.0, "lex_top1": 1.0, "emb_subtree": 0.5, "lex_subtree": 0.5,
    "parent_subtree": 0.5, "emb_centroid": 2.0, "lex_centroid": 2.0, "lex_cfc": 2.0, "label_emb": 3.0, "label_lex": 3.0,
    "mention": 2.0, "prior": 0.5,
}  # fmt: skip
DEFAULT_INTERCEPT = -6.0
MIN_EXAMPLES_TO_FIT = 30
# Leave-one-out products the stacker is fitted on: a fifth of the index, at least 1,000 and at most 4,000. The fit
# takes about 5 s at 12,593 Flipkart examples (7-8% of encoding them). Measured on Flipkart before the word naive
# Bayes and path features (3 sample seeds, 3,149 held-out products): from a 3,000-example index 1,000 rows give 0.876
# leaf accuracy, 2,000 give 0.877 and 500 give 0.870; from 12,593 examples 2,000 give 0.921 and 4,000 give 0.923.
STACKER_FRACTION = 5
STACKER_SAMPLE = (1000, 4000)
# Naive Bayes over the presence of lexical features. The hashed vocabulary is large (char n-grams and words), so
# the add-alpha smoothing must be small; 0.01 was best on both English and Chinese data among 0.003-0.3.
NB_ALPHA = 0.01
NB_LOG_FLOOR = -30.0  # log-posteriors below this say "not this class" equally; the feature is scaled to [-1, 0]
# Ridge penalties tried, in units of the mean eigenvalue of X'X, each judged by exact leave-one-out accuracy on up
# to RIDGE_SAMPLE of the index's examples: 12,593 Flipkart examples pick the smallest, 400 OpenBG examples 0.03.
RIDGE_PENALTIES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
RIDGE_SAMPLE = 1000


@dataclass
class Stacker:
    """Standardise the evidence, then logistic regression: P(value is right | evidence)."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    fitted_on: int = 0
    k: int | None = None  # the neighbours per product its vote evidence was computed with

    @classmethod
    def default(cls) -> Stacker:
        coef = np.array([DEFAULT_WEIGHTS.get(f, 0.0) for f in ALL_FEATURES], dtype=np.float64)
        return cls(coef, DEFAULT_INTERCEPT, np.zeros(len(ALL_FEATURES)), np.ones(len(ALL_FEATURES)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for candidates (rows of ALL_FEATURES, see ``expand``)."""
        weights = self.coef / self.scale  # standardising folded into the weights: no copy of x
        z = x @ weights + (self.intercept - self.mean @ weights)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(ALL_FEATURES),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "fitted_on": self.fitted_on,
            "k": self.k,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stacker | None:
        if tuple(data["features"]) != ALL_FEATURES:
            return None  # an index from another tagllm version: its weights do not fit these features
        return cls(
            np.array(data["coef"]),
            float(data["intercept"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            int(data.get("fitted_on", 0)),
            data.get("k"),
        )


@dataclass
class _NaiveBayes:
    """Multinomial naive Bayes over which lexical features a text has (presence, not weight), per class."""

    sums: sp.csr_matrix  # per class, how many of its examples have each feature (sorted indices)
    log_counts: FeatureMatrix  # log1p(sums / alpha)
    norm: np.ndarray  # log(feature occurrences in the class + alpha * vocabulary)
    counts: np.ndarray  # examples per class

    @classmethod
    def fit(cls, y: sp.csr_matrix, binary: sp.csr_matrix, counts: np.ndarray) -> _NaiveBayes:
        sums = (y.T @ binary).tocsr()
        sums.sort_indices()
        log_counts = sums.copy()
        log_counts.data = np.log1p(log_counts.data / NB_ALPHA)
        vocabulary = max(len(np.unique(sums.indices)), 1)
        norm = np.log(np.asarray(sums.sum(axis=1)).ravel() + NB_ALPHA * vocabulary)
        return cls(sums, FeatureMatrix(log_counts), norm, counts)

    def log_likelihood(self, binary: sp.csr_matrix) -> np.ndarray:
        """log P(class) + log P(features | class), per row and class (up to a per-row constant)."""
        present = np.diff(binary.indptr).astype(np.float64)
        prior = np.log(self.counts / self.counts.sum())
        return self.log_counts.dot(binary).astype(np.float64) - present[:, None] * self.norm[None, :] + prior

    def leave_out(self, features: np.ndarray, c: int) -> float:
        """``log_likelihood`` for class ``c`` of one of its examples (present ``features``), that example left out."""
        rest = np.maximum(_row_values(self.sums, c, features) - 1.0, 0.0)
        norm = math.exp(self.norm[c]) - len(features)
        value = float(np.log1p(rest / NB_ALPHA).sum()) - len(features) * math.log(max(norm, 1e-9))
        return value + math.log(max(self.counts[c] - 1, 1e-3) / self.counts.sum())


@dataclass
class _Ridge:
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
    def fit(cls, vectors: np.ndarray, y: sp.csr_matrix, *, penalty: float | None = None) -> _Ridge:
        """Fit with ``penalty``, or with the one of RIDGE_PENALTIES that leave-one-out accuracy prefers."""
        x = _with_intercept(vectors)
        eigenvalues, eigenvectors = np.linalg.eigh((x.T @ x).astype(np.float64))
        eigenvalues = np.maximum(eigenvalues, 0.0)
        projected_xty = eigenvectors.T @ np.asarray((y.T @ x).T, dtype=np.float64)  # V'X'Y
        rows = np.random.default_rng(0).choice(len(x), size=min(RIDGE_SAMPLE, len(x)), replace=False)
        p = x[rows].astype(np.float64) @ eigenvectors
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

    def predict(self, vectors: np.ndarray, exclude: list[int] | None = None) -> np.ndarray:
        """Per product and class, the regression's value; for ``exclude`` (the examples the rows are), their
        leave-one-out value."""
        x = _with_intercept(vectors)
        out = (x @ self.weights).astype(np.float64)
        if exclude is None:
            return out
        h = ((x @ self.inverse) * x).sum(axis=1, dtype=np.float64)
        own = self.y[exclude]
        rows = np.repeat(np.arange(len(exclude)), np.diff(own.indptr))
        out[rows, own.indices] -= h[rows]
        return out / (1.0 - h)[:, None]


def _with_intercept(vectors: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(vectors, dtype=np.float32), np.ones((len(vectors), 1), np.float32)])


@dataclass
class _ClassStats:
    """Per facet: the labelled values of the index, their example counts and centroid sums."""

    classes: list[str]
    counts: np.ndarray
    example_classes: list[list[int]]  # example -> class positions
    emb_sums: np.ndarray
    emb_norms: np.ndarray
    lex_centroids: FeatureMatrix  # class sums, ready for products with a batch
    lex_norms: np.ndarray
    lex_sums: sp.csr_matrix
    icf: np.ndarray  # inverse class frequency per feature
    cfc: FeatureMatrix  # class sums weighted by icf
    cfc_norms: np.ndarray
    nb: _NaiveBayes  # over all lexical features (character n-grams and words)
    nb_word: _NaiveBayes  # over words and word pairs alone: in English the words carry most of what NB can tell
    ridge: _Ridge  # linear regression on the embeddings


@dataclass
class _FacetTables:
    """One facet's lookups as arrays over label-space positions, so a whole batch is scored with array operations."""

    hierarchical: bool
    parent: np.ndarray  # value -> its parent's position, -1 for roots
    lineage_ptr: np.ndarray  # value -> lineage[ptr[v]:ptr[v+1]], its ancestors and itself (itself alone if flat)
    lineage: np.ndarray
    value_class: np.ndarray  # value -> class position in _ClassStats, -1 if no example has it
    class_value: np.ndarray  # class -> value position
    example_ptr: np.ndarray  # example -> example_values[ptr[e]:ptr[e+1]], its labels
    example_values: np.ndarray

    @classmethod
    def build(
        cls, taxonomy: Taxonomy, facet: str, space: LabelSpace, stats: _ClassStats | None, index: ExampleIndex | None
    ) -> _FacetTables:
        hierarchical = taxonomy.facets[facet].hierarchical
        parents = [taxonomy.values[v].parent_id for v in space.ids]
        parent = np.array([space.position.get(p, -1) if p else -1 for p in parents], dtype=np.int64)
        lineages = [
            [space.position[a] for a in taxonomy.lineage(v)] if hierarchical else [space.position[v]] for v in space.ids
        ]
        lineage_ptr, lineage = _ragged(lineages)
        value_class = np.full(space.size, -1, dtype=np.int64)
        class_value = np.zeros(0, dtype=np.int64)
        if stats is not None:
            class_value = np.array([space.position[c] for c in stats.classes], dtype=np.int64)
            value_class[class_value] = np.arange(len(class_value))
        examples = index.examples if index is not None else []
        example_ptr, example_values = _ragged([[space.position[v] for v in e.labels.get(facet, [])] for e in examples])
        return cls(hierarchical, parent, lineage_ptr, lineage, value_class, class_value, example_ptr, example_values)

    def gold_keys(self, examples: list[int], size: int) -> np.ndarray:
        """Keys ``row * size + value`` of the labels of ``examples`` (row: position in that list)."""
        labels = _expand(np.asarray(examples, dtype=np.int64), self.example_ptr, self.example_values)
        return np.repeat(np.arange(len(examples)), labels.counts) * size + labels.values


@dataclass
class _Votes:
    """Neighbour votes for a batch as (key, weight) pairs, key = product row * label-space size + value position."""

    keys: np.ndarray
    weights: np.ndarray
    top_keys: np.ndarray  # the labels of each product's nearest neighbour, and its similarity
    top_scores: np.ndarray
    subtree_keys: np.ndarray  # the votes again for each ancestor of the value (hierarchical facets)
    subtree_weights: np.ndarray


@dataclass
class Features:
    """A batch's candidates, sorted by product: ``rows[j]`` is the product, ``values[j]`` its label-space position,
    ``matrix[j]`` its evidence (FEATURES); product i's candidates are ``starts[i]:starts[i+1]``."""

    rows: np.ndarray
    values: np.ndarray
    matrix: np.ndarray
    n: int
    ids: list[str]  # label-space position -> value id

    @property
    def n_values(self) -> int:
        return len(self.ids)

    @property
    def starts(self) -> np.ndarray:
        return np.searchsorted(self.rows, np.arange(self.n + 1))


@dataclass
class _Batch:
    """What is shared by every facet of a batch: the products' vectors and their neighbours."""

    emb: np.ndarray
    lex: sp.csr_matrix
    emb_hits: Hits
    lex_hits: Hits
    texts: list[str]
    normalized: list[str]  # the texts through tagllm.text.normalize
    exclude: list[int] | None = None  # leave-one-out: the example each row is (fitting only)


@dataclass
class CandidateScorer:
    """Scores candidate values for products, facet by facet; ``fit`` learns the stackers from the index."""

    taxonomy: Taxonomy
    index: ExampleIndex | None
    embedder: Embedder
    facets: list[str]
    k: int = 10
    stackers: dict[str, Stacker] = field(default_factory=dict)
    _labels: dict[str, LabelSpace] = field(default_factory=dict, repr=False)
    _stats: dict[str, _ClassStats | None] = field(default_factory=dict, repr=False)
    _facet_tables: dict[str, _FacetTables] = field(default_factory=dict, repr=False)

    def label_space(self, facet: str) -> LabelSpace:
        if facet not in self._labels:
            self._labels[facet] = LabelSpace(self.taxonomy, facet, self.embedder, self._lexical_model())
        return self._labels[facet]

    def _lexical_model(self) -> Any:
        if self.index is not None:
            return self.index.lexical
        from tagllm.retrieval.lexical import LexicalModel

        return LexicalModel()

    def stats(self, facet: str) -> _ClassStats | None:
        if facet not in self._stats:
            self._stats[facet] = self._class_stats(facet)
        return self._stats[facet]

    def _class_stats(self, facet: str) -> _ClassStats | None:
        if self.index is None:
            return None
        classes = sorted({v for e in self.index.examples for v in e.labels.get(facet, [])})
        if not classes:
            return None
        position = {c: i for i, c in enumerate(classes)}
        example_classes = [[position[v] for v in e.labels.get(facet, [])] for e in self.index.examples]
        rows = [i for i, cs in enumerate(example_classes) for _ in cs]
        cols = [c for cs in example_classes for c in cs]
        y = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(example_classes), len(classes)))
        emb_sums = np.asarray(y.T @ self.index.vectors, dtype=np.float32)
        lex_sums = (y.T @ self.index.lexical_matrix).tocsr()
        lex_sums.sort_indices()
        lex_norms = np.sqrt(np.asarray(lex_sums.multiply(lex_sums).sum(axis=1)).ravel())
        class_freq = np.bincount(lex_sums.indices, minlength=lex_sums.shape[1])
        icf = np.log((1.0 + len(classes)) / (1.0 + class_freq)).astype(np.float32)
        cfc = lex_sums.multiply(icf[None, :]).tocsr()
        cfc_norms = np.sqrt(np.asarray(cfc.multiply(cfc).sum(axis=1)).ravel())
        counts = np.asarray(y.sum(axis=0)).ravel()
        binary = _binary(self.index.lexical_matrix)
        return _ClassStats(
            classes,
            counts,
            example_classes,
            emb_sums,
            np.linalg.norm(emb_sums, axis=1),
            FeatureMatrix(lex_sums),
            lex_norms,
            lex_sums,
            icf,
            FeatureMatrix(cfc),
            cfc_norms,
            _NaiveBayes.fit(y, binary, counts),
            _NaiveBayes.fit(y, binary[:, WORD_OFFSET:], counts),
            _Ridge.fit(self.index.vectors, y),
        )

    # -- scoring ---------------------------------------------------------------------------------------------------
    def prepare(
        self, texts: Sequence[str], emb: np.ndarray, exclude: list[int] | None = None, lex: sp.csr_matrix | None = None
    ) -> _Batch:
        texts = list(texts)
        normalized = [normalize(t) for t in texts]
        if lex is None:
            lexical = self._lexical_model()
            lex = lexical.weigh(hash_counts(normalized))
        extra = 1 if exclude is not None else 0
        if self.index is not None and len(self.index) and self.k:
            emb_hits = self.index.search(emb, self.k + extra)
            lex_hits = self.index.lexical_search(lex, self.k + extra)
        else:
            empty = Hits(np.zeros((len(texts), 0), np.float32), np.zeros((len(texts), 0), np.int64))
            emb_hits = lex_hits = empty
        return _Batch(emb, lex, emb_hits, lex_hits, texts, normalized, exclude)

    def _tables(self, facet: str) -> _FacetTables:
        if facet not in self._facet_tables:
            self._facet_tables[facet] = _FacetTables.build(
                self.taxonomy, facet, self.label_space(facet), self.stats(facet), self.index
            )
        return self._facet_tables[facet]

    def features(self, batch: _Batch, facet: str) -> Features:
        """The candidate values of every product of the batch and their evidence (candidates x FEATURES)."""
        space = self.label_space(facet)
        stats = self.stats(facet)
        tables = self._tables(facet)
        n, size = len(batch.texts), space.size
        if not size:
            return Features(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(FEATURES))), n, [])
        label_emb = batch.emb @ space.emb.T
        label_lex = space.lex.dot(batch.lex)
        label_path = space.path_lex.dot(batch.lex)
        keys = [_top_keys(signal, TOP_PER_SIGNAL, size) for signal in (label_emb, label_lex, label_path)]
        mentions = [space.mentions(text) for text in batch.normalized]
        mention_keys = np.array(
            [i * size + space.position[v] for i, found in enumerate(mentions) for v in found], dtype=np.int64
        )
        keys.append(mention_keys)
        votes = [self._votes(hits, batch.exclude, tables, size) for hits in (batch.emb_hits, batch.lex_hits)]
        keys += [v.keys for v in votes]
        if stats is not None:
            ce, cl, cc, nb, nb_word = self._class_evidence(batch, stats)
            ridge = stats.ridge.predict(batch.emb, batch.exclude)
            nb_logpost, word_logpost = _log_posterior(nb), _log_posterior(nb_word)
            to_value = tables.class_value
            for signal in (
                ce,
                cl,
                cc,
                nb_logpost - nb_logpost.min(axis=1, keepdims=True),
                word_logpost - word_logpost.min(axis=1, keepdims=True),
                ridge - ridge.min(axis=1, keepdims=True),
            ):
                top = _top_keys(signal, TOP_PER_SIGNAL, signal.shape[1])
                keys.append((top // signal.shape[1]) * size + to_value[top % signal.shape[1]])
        candidates = np.unique(np.concatenate(keys))
        if tables.hierarchical:  # a candidate's ancestors are candidates too: the threshold backs off to them
            rows, values = np.divmod(candidates, size)
            lineage = _expand(values, tables.lineage_ptr, tables.lineage)
            candidates = np.unique(np.repeat(rows, lineage.counts) * size + lineage.values)
        rows, values = np.divmod(candidates, size)
        matrix = np.zeros((len(candidates), len(FEATURES)))
        subtree = []
        for kind, vote in zip(("emb", "lex"), votes, strict=True):
            matrix[:, COLUMN[f"{kind}_vote"]] = _sum_at(candidates, vote.keys, vote.weights)
            matrix[:, COLUMN[f"{kind}_top1"]] = _sum_at(candidates, vote.top_keys, vote.top_scores)
            subtree.append(_sum_at(candidates, vote.subtree_keys, vote.subtree_weights))
            matrix[:, COLUMN[f"{kind}_subtree"]] = subtree[-1]
        if tables.hierarchical:
            parents = tables.parent[values]
            has = parents >= 0
            where = np.searchsorted(candidates, rows[has] * size + parents[has])
            matrix[has, COLUMN["parent_subtree"]] = (subtree[0][where] + subtree[1][where]) / 2
        matrix[:, COLUMN["label_emb"]] = label_emb[rows, values]
        matrix[:, COLUMN["label_lex"]] = label_lex[rows, values]
        matrix[:, COLUMN["label_path_lex"]] = label_path[rows, values]
        matrix[:, COLUMN["mention"]] = np.isin(candidates, mention_keys)
        if stats is not None:
            classes = tables.value_class[values]
            known = classes >= 0
            r, c = rows[known], classes[known]
            for name, signal in (("emb_centroid", ce), ("lex_centroid", cl), ("lex_cfc", cc), ("emb_ridge", ridge)):
                matrix[known, COLUMN[name]] = signal[r, c]
            counts = stats.counts[c].astype(np.float64)
            if batch.exclude is not None:  # the example's own classes count one example less
                counts -= np.isin(candidates[known], tables.gold_keys(batch.exclude, size))
            total = float(stats.counts.sum())
            matrix[known, COLUMN["prior"]] = np.log1p(counts) / math.log1p(total)
            for name, logpost in (("nb", nb_logpost), ("nb_word", word_logpost)):
                matrix[known, COLUMN[name]] = np.exp(logpost[r, c])
                matrix[known, COLUMN[f"{name}_log"]] = np.maximum(logpost[r, c], NB_LOG_FLOOR) / -NB_LOG_FLOOR
                matrix[~known, COLUMN[f"{name}_log"]] = -1.0
        return Features(rows, values, matrix, n, space.ids)

    def _votes(self, hits: Hits, exclude: list[int] | None, tables: _FacetTables, size: int) -> _Votes:
        """Similarity-weighted votes of a product's k neighbours (leaving the product itself out when fitting)."""
        ids = hits.ids
        valid = ids >= 0
        if exclude is not None:
            valid &= ids != np.asarray(exclude)[:, None]
        kept = np.cumsum(valid, axis=1)
        valid &= kept <= self.k
        scores = np.where(valid, np.maximum(hits.scores, 0.0), 0.0).astype(np.float64)
        total = scores.sum(axis=1, keepdims=True)
        weights = scores / np.where(total > 0, total, 1.0)
        rows, cols = np.nonzero(valid)
        examples = ids[rows, cols]
        labels = _expand(examples, tables.example_ptr, tables.example_values)
        label_rows = np.repeat(rows, labels.counts)
        keys = label_rows * size + labels.values
        w = np.repeat(weights[rows, cols], labels.counts)
        first = np.repeat((kept[rows, cols] == 1), labels.counts)
        top_scores = np.repeat(scores[rows, cols], labels.counts)
        lineage = _expand(labels.values, tables.lineage_ptr, tables.lineage)
        return _Votes(
            keys, w, keys[first], top_scores[first],
            np.repeat(label_rows, lineage.counts) * size + lineage.values, np.repeat(w, lineage.counts),
        )  # fmt: skip

    def _class_evidence(self, batch: _Batch, stats: _ClassStats) -> tuple[np.ndarray, ...]:
        """Per product and class: cosine to the class's embedding, lexical and class-feature centroids, and the naive
        Bayes log-likelihood; with the product itself taken out of its own classes when fitting."""
        dots_emb = batch.emb @ stats.emb_sums.T
        dots_lex = stats.lex_centroids.dot(batch.lex)
        dots_cfc = stats.cfc.dot(batch.lex)
        ce = dots_emb / np.maximum(stats.emb_norms, 1e-9)
        cl = dots_lex / np.maximum(stats.lex_norms, 1e-9)
        cc = dots_cfc / np.maximum(stats.cfc_norms, 1e-9)
        binary = _binary(batch.lex)
        words = binary[:, WORD_OFFSET:].tocsr()
        nb = stats.nb.log_likelihood(binary)
        nb_word = stats.nb_word.log_likelihood(words)
        if batch.exclude is None:
            return ce, cl, cc, nb, nb_word
        for i, ex in enumerate(batch.exclude):  # leave the example out of its own classes' centroids and counts
            cols = batch.lex.indices[batch.lex.indptr[i] : batch.lex.indptr[i + 1]]
            x = batch.lex.data[batch.lex.indptr[i] : batch.lex.indptr[i + 1]].astype(np.float64)
            icf = stats.icf[cols].astype(np.float64)
            xw_sq = float(((x * icf) ** 2).sum())
            own = float((x * x * icf).sum())
            for c in stats.example_classes[ex]:
                ce[i, c] = _loo_cosine(dots_emb[i, c], stats.emb_norms[c], 1.0)
                cl[i, c] = _loo_cosine(dots_lex[i, c], stats.lex_norms[c], 1.0)
                # x.(S-x)w / |(S-x)w| with w = icf: cross term S.w^2.x, and |xw|^2
                cross = float((_row_values(stats.lex_sums, c, cols) * icf * icf * x).sum())
                rest = stats.cfc_norms[c] ** 2 - 2 * cross + xw_sq
                cc[i, c] = (dots_cfc[i, c] - own) / math.sqrt(rest) if rest > 1e-9 else 0.0
                nb[i, c] = stats.nb.leave_out(cols, c)
                nb_word[i, c] = stats.nb_word.leave_out(words.indices[words.indptr[i] : words.indptr[i + 1]], c)
        return ce, cl, cc, nb, nb_word

    def score(
        self, texts: Sequence[str], emb: np.ndarray, *, max_candidates: int = 20, batch: _Batch | None = None
    ) -> tuple[_Batch, list[dict[str, list[Candidate]]]]:
        """Ranked candidates per product and facet, each with its probability and evidence."""
        batch = batch or self.prepare(texts, emb)
        result: list[dict[str, list[Candidate]]] = [{} for _ in batch.texts]
        for facet in self.facets:
            stacker = self.stackers.get(facet) or Stacker.default()
            features = self.features(batch, facet)
            starts = features.starts
            probs = stacker.predict(expand(features.matrix, starts))
            order = np.lexsort((-probs, features.rows))  # by product, then most probable first
            rank = np.arange(len(order)) - starts[features.rows[order]]
            chosen = order[rank < max_candidates]
            bounds = np.searchsorted(features.rows[chosen], np.arange(features.n + 1)).tolist()
            ids = [features.ids[v] for v in features.values[chosen].tolist()]
            names = [self.taxonomy.values[vid].name for vid in ids]
            scores = np.round(probs[chosen], 6).tolist()
            # evidence: each candidate's nonzero features, as one flat list cut per candidate
            evidence = np.round(features.matrix[chosen], 4)
            where, column = np.nonzero(evidence)
            cuts = np.searchsorted(where, np.arange(len(chosen) + 1)).tolist()
            keys = [FEATURES[c] for c in column.tolist()]
            values = evidence[where, column].tolist()
            candidates = [  # validated in pydantic-core: no slower than model_construct's Python loop
                Candidate(
                    id=ids[j],
                    name=names[j],
                    score=scores[j],
                    evidence=dict(zip(keys[cuts[j] : cuts[j + 1]], values[cuts[j] : cuts[j + 1]], strict=True)),
                )
                for j in range(len(chosen))
            ]
            for i in range(features.n):
                result[i][facet] = candidates[bounds[i] : bounds[i + 1]]
        return batch, result

    # -- fitting ---------------------------------------------------------------------------------------------------
    def fit(self, *, sample: int | None = None, seed: int = 0, batch_size: int = 512) -> dict[str, Stacker]:
        """Fit a stacker per facet by leave-one-out over a sample of the index's own examples (``STACKER_SAMPLE``)."""
        from sklearn.linear_model import LogisticRegression

        if self.index is None:
            return {}
        rng = np.random.default_rng(seed)
        n = len(self.index)
        if sample is None:
            sample = min(max(n // STACKER_FRACTION, STACKER_SAMPLE[0]), STACKER_SAMPLE[1])
        rows = np.sort(rng.choice(n, size=min(sample, n), replace=False))
        xs: dict[str, list[np.ndarray]] = defaultdict(list)
        ys: dict[str, list[np.ndarray]] = defaultdict(list)
        products: dict[str, int] = defaultdict(int)
        for start in range(0, len(rows), batch_size):
            part = rows[start : start + batch_size].tolist()
            texts = [self.index.examples[j].text() for j in part]
            batch = self.prepare(texts, self.index.vectors[part], part, self.index.lexical_matrix[part])
            for facet in self.facets:
                features = self.features(batch, facet)
                gold = self._tables(facet).gold_keys(part, features.n_values)
                # only products with a gold value in this facet (and some candidate) teach its stacker
                labelled = np.isin(features.rows, np.unique(gold // max(features.n_values, 1)))
                if not labelled.any():
                    continue
                keys = features.rows * features.n_values + features.values
                xs[facet].append(expand(features.matrix, features.starts)[labelled])
                ys[facet].append(np.isin(keys, gold)[labelled].astype(np.int8))
                products[facet] += len(np.unique(features.rows[labelled]))
        for facet in self.facets:
            if products[facet] < MIN_EXAMPLES_TO_FIT:
                continue
            # float32 rows: the solver's X'WX products take half the time (0.17 s against 0.40 s for 48k rows), and
            # the weights agree with a float64 fit to 1e-5
            x = np.vstack(xs[facet], dtype=np.float32)
            y = np.concatenate(ys[facet])
            if y.min() == y.max():
                continue
            mean, scale = x.mean(axis=0, dtype=np.float64), x.std(axis=0, dtype=np.float64)
            scale[scale == 0] = 1.0
            # Newton's method (newton-cholesky): with a few dozen standardised features it reaches the optimum in about
            # ten steps, where the default lbfgs stopped short of it (objective 720.9 against 719.0 on Flipkart).
            model = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-8, max_iter=100)
            x -= mean.astype(np.float32)  # in place: no float64 copy of the rows
            x /= scale.astype(np.float32)
            model.fit(x, y)
            self.stackers[facet] = Stacker(
                model.coef_[0], float(model.intercept_[0]), mean, scale, products[facet], self.k
            )
        return self.stackers

    def save(self, directory: Path) -> None:
        data = {facet: s.to_json() for facet, s in self.stackers.items()}
        (directory / "scorer.json").write_text(json.dumps(data, indent=1) + "\n")

    def load_stackers(self, directory: Path) -> None:
        """The stackers fitted when the index was built; fitted again here when they were fitted for another k or
        over other features (an index built by another tagllm version).

        Vote evidence depends on k (a value's share of 5 neighbours is not its share of 20), so weights fitted
        for one k are the wrong weights for another. Refitting costs about a second per 3,000 examples."""
        path = directory / "scorer.json"
        saved = {f: Stacker.from_json(d) for f, d in json.loads(path.read_text()).items()} if path.exists() else {}
        if any(s is None or s.k != self.k for s in saved.values()):
            self.stackers = {}
            self.fit()
        else:
            self.stackers = {f: s for f, s in saved.items() if s is not None}


_RELATIVE_COLUMNS = [COLUMN[f] for f in RELATIVE]


def expand(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Append, per product (rows ``starts[i]:starts[i+1]``), the relative columns (each RELATIVE feature minus its
    maximum over the product's candidates) and the top-rank indicators (rank r: exactly r candidates beat it)."""
    if not len(matrix):
        return np.zeros((0, len(ALL_FEATURES)))
    lengths = np.diff(starts)
    group = np.repeat(np.arange(len(lengths)), lengths)
    firsts = starts[:-1][lengths > 0]
    slot = np.cumsum(lengths > 0)[group] - 1  # row -> its product among those with candidates
    best = np.maximum.reduceat(matrix, firsts, axis=0)[slot]
    is_best = matrix == best
    ties = np.add.reduceat(is_best.astype(np.int64), firsts, axis=0)[slot]
    below = np.where(is_best, -np.inf, matrix)
    second = np.maximum.reduceat(below, firsts, axis=0)[slot]
    tops = [is_best, (matrix == second) & (ties == 1)]
    base = matrix[:, _RELATIVE_COLUMNS]
    return np.hstack([matrix, base - best[:, _RELATIVE_COLUMNS], *(t.astype(np.float64) for t in tops[:TOP_RANKS])])


def _row_values(matrix: sp.csr_matrix, row: int, cols: np.ndarray) -> np.ndarray:
    """``matrix[row, cols]`` as a dense vector, for a CSR matrix with sorted indices (much cheaper than slicing)."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    indices = matrix.indices[start:end]
    if not len(indices):
        return np.zeros(len(cols))
    pos = np.minimum(np.searchsorted(indices, cols), len(indices) - 1)
    return np.where(indices[pos] == cols, matrix.data[start:end][pos], 0.0).astype(np.float64)


def _log_posterior(log_likelihood: np.ndarray) -> np.ndarray:
    """Per row, log-likelihoods normalised into log-probabilities over the classes."""
    out = log_likelihood - log_likelihood.max(axis=1, keepdims=True)
    return out - np.log(np.exp(out).sum(axis=1, keepdims=True))


def _binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Presence (1.0) of each stored feature: naive Bayes counts examples that have a feature, not its weight."""
    out = matrix.tocsr().copy()
    out.data = np.ones_like(out.data)
    return out


def _top_keys(scores: np.ndarray, k: int, size: int) -> np.ndarray:
    """Keys ``row * size + column`` of each row's k highest positive scores."""
    if scores.size == 0:
        return np.zeros(0, np.int64)
    values, columns = top_k(scores, k)
    rows = np.repeat(np.arange(scores.shape[0]), columns.shape[1])
    positive = values.ravel() > 0
    return rows[positive] * size + columns.ravel()[positive]


@dataclass
class _Ragged:
    values: np.ndarray
    counts: np.ndarray


def _expand(items: np.ndarray, ptr: np.ndarray, values: np.ndarray) -> _Ragged:
    """``values[ptr[x]:ptr[x+1]]`` for each x of ``items``, concatenated, with how many each x gave."""
    counts = ptr[items + 1] - ptr[items]
    total = int(counts.sum())
    offsets = np.repeat(ptr[items] - np.cumsum(counts) + counts, counts) + np.arange(total)
    return _Ragged(values[offsets], counts)


def _ragged(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """A list of lists as (pointers, concatenated values)."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    return ptr, np.array([v for x in lists for v in x], dtype=np.int64)


def _sum_at(candidates: np.ndarray, keys: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per candidate key (sorted, unique), the sum of the weights given to it."""
    where = np.searchsorted(candidates, keys)
    return np.bincount(where, weights=weights, minlength=len(candidates))[: len(candidates)]


def _loo_cosine(dot: float, norm: float, self_norm_sq: float) -> float:
    """Cosine to a centroid sum with the query itself taken out: (S.x - x.x) / |S - x|."""
    rest = norm * norm - 2 * dot + self_norm_sq
    return float((dot - self_norm_sq) / math.sqrt(rest)) if rest > 1e-9 else 0.0
