"""Candidate narrowing and scoring: per product and facet, the plausible taxonomy values with fused evidence.

Evidence for a value ``c`` of facet ``f`` and a product ``x``:

- votes of the embedding and lexical neighbours labelled ``c`` (similarity-weighted), of those labelled inside the
  subtree of ``c``, and of those inside the subtree of its parent (hierarchical facets);
- the label of the single nearest neighbour (near-duplicate listings are common in catalogues);
- similarity of ``x`` to the centroid of the examples labelled ``c`` (embedding and lexical): a linear model that
  generalises where single neighbours are noisy; and a class-feature centroid, whose terms are weighted by how few
  classes use them, so words that single out a class count more than words every class shares;
- similarity of ``x`` to the taxonomy's own label of ``c`` (embedding and character n-grams), and whether a name,
  synonym or other-language label of ``c`` occurs in the text: the only evidence for values no example carries;
- the prior frequency of ``c`` among the examples;
- the posterior of ``c`` under multinomial naive Bayes over which lexical features (character n-grams, words) the
  text has: a per-class discriminative reading of single words (a brand, "bracelet") that whole-text similarity
  dilutes. Its class counts come from the index at load time, so nothing extra is stored.

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
from tagllm.retrieval.index import ExampleIndex, Hits
from tagllm.retrieval.labels import LabelSpace
from tagllm.taxonomy import Taxonomy

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
)
# Each of these also enters relative to the product's best candidate (value - max), which lets a per-candidate
# logistic regression rank candidates against each other instead of judging each one alone.
RELATIVE = ("emb_vote", "lex_vote", "emb_centroid", "lex_centroid", "lex_cfc", "label_emb", "label_lex", "nb_log")
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
# Leave-one-out products the stacker is fitted on. 4,000 instead of 2,000 narrows the sample-to-sample spread of
# Flipkart leaf accuracy (about +-0.3 points at 2,000) but doubles the fit to ~15 s at 12,600 examples, beyond the
# build-time budget (fitting must stay under ~8% of encoding time), so 2,000 it is.
STACKER_SAMPLE = 2000
# Naive Bayes over the presence of lexical features. The hashed vocabulary is large (char n-grams and words), so
# the add-alpha smoothing must be small; 0.01 was best on both English and Chinese data among 0.003-0.3.
NB_ALPHA = 0.01
NB_LOG_FLOOR = -30.0  # log-posteriors below this say "not this class" equally; the feature is scaled to [-1, 0]


@dataclass
class Stacker:
    """Standardise the evidence, then logistic regression: P(value is right | evidence)."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    fitted_on: int = 0

    @classmethod
    def default(cls) -> Stacker:
        coef = np.array([DEFAULT_WEIGHTS.get(f, 0.0) for f in ALL_FEATURES], dtype=np.float64)
        return cls(coef, DEFAULT_INTERCEPT, np.zeros(len(ALL_FEATURES)), np.ones(len(ALL_FEATURES)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for one product's candidates (rows of base FEATURES)."""
        z = ((expand(x) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(ALL_FEATURES),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stacker:
        if tuple(data["features"]) != ALL_FEATURES:
            return cls.default()  # an index from another tagllm version: its weights do not fit these features
        return cls(
            np.array(data["coef"]), float(data["intercept"]), np.array(data["mean"]), np.array(data["scale"]),
            int(data.get("fitted_on", 0)),
        )


@dataclass
class _ClassStats:
    """Per facet: the labelled values of the index, their example counts and centroid sums."""

    classes: list[str]
    position: dict[str, int]
    counts: np.ndarray
    example_classes: list[list[int]]  # example -> class positions
    emb_sums: np.ndarray
    emb_norms: np.ndarray
    lex_sums_t: sp.csr_matrix  # (features x classes), so a batch product is one sparse matmul
    lex_norms: np.ndarray
    lex_sums: sp.csr_matrix
    icf: np.ndarray  # inverse class frequency per feature
    cfc_t: sp.csr_matrix  # class sums weighted by icf, (features x classes)
    cfc_norms: np.ndarray
    nb_sums: sp.csr_matrix  # per class, how many of its examples have each lexical feature
    nb_t: sp.csr_matrix  # log1p(nb_sums / alpha), (features x classes)
    nb_norm: np.ndarray  # log(feature occurrences in the class + alpha * vocabulary)
    nb_prior: np.ndarray  # log class frequency


@dataclass
class _Batch:
    """What is shared by every facet of a batch: the products' vectors and their neighbours."""

    emb: np.ndarray
    lex: sp.csr_matrix
    emb_hits: Hits
    lex_hits: Hits
    texts: list[str]
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
        nb_sums = (y.T @ _binary(self.index.lexical_matrix)).tocsr()
        nb_sums.sort_indices()
        nb_log = nb_sums.copy()
        nb_log.data = np.log1p(nb_log.data / NB_ALPHA)
        vocabulary = max(int(np.count_nonzero(class_freq)), 1)
        nb_norm = np.log(np.asarray(nb_sums.sum(axis=1)).ravel() + NB_ALPHA * vocabulary)
        return _ClassStats(
            classes, position, counts, example_classes, emb_sums,
            np.linalg.norm(emb_sums, axis=1), lex_sums.T.tocsr(), lex_norms, lex_sums, icf, cfc.T.tocsr(), cfc_norms,
            nb_sums, nb_log.T.tocsr(), nb_norm, np.log(counts / counts.sum()),
        )

    # -- scoring ---------------------------------------------------------------------------------------------------
    def prepare(self, texts: Sequence[str], emb: np.ndarray, exclude: list[int] | None = None) -> _Batch:
        texts = list(texts)
        lexical = self._lexical_model()
        lex = lexical.transform(texts)
        extra = 1 if exclude is not None else 0
        if self.index is not None and len(self.index) and self.k:
            emb_hits = self.index.search(emb, self.k + extra)
            lex_hits = self.index.lexical_search(lex, self.k + extra)
        else:
            empty = Hits(np.zeros((len(texts), 0), np.float32), np.zeros((len(texts), 0), np.int64))
            emb_hits = lex_hits = empty
        return _Batch(emb, lex, emb_hits, lex_hits, texts, exclude)

    def features(self, batch: _Batch, facet: str) -> list[tuple[list[str], np.ndarray]]:
        """Per product: candidate value ids and their evidence matrix (candidates x FEATURES)."""
        tax = self.taxonomy
        hierarchical = tax.facets[facet].hierarchical
        space = self.label_space(facet)
        stats = self.stats(facet)
        n = len(batch.texts)
        label_emb = batch.emb @ space.emb.T if space.size else np.zeros((n, 0), np.float32)
        label_lex = (batch.lex @ space.lex_t).toarray() if space.size else np.zeros((n, 0), np.float32)
        if stats is not None:
            dots_emb = batch.emb @ stats.emb_sums.T
            dots_lex = (batch.lex @ stats.lex_sums_t).toarray()
            cen_emb = dots_emb / np.maximum(stats.emb_norms, 1e-9)
            cen_lex = dots_lex / np.maximum(stats.lex_norms, 1e-9)
            dots_cfc = (batch.lex @ stats.cfc_t).toarray()
            cen_cfc = dots_cfc / np.maximum(stats.cfc_norms, 1e-9)
            total = float(stats.counts.sum())
            binary = _binary(batch.lex)
            x_l1 = np.diff(binary.indptr).astype(np.float64)
            nb_raw = (binary @ stats.nb_t).toarray() - x_l1[:, None] * stats.nb_norm[None, :] + stats.nb_prior
        out: list[tuple[list[str], np.ndarray]] = []
        for i in range(n):
            feats: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(FEATURES)))
            ex = batch.exclude[i] if batch.exclude is not None else None
            subtree: dict[str, dict[str, float]] = {"emb": defaultdict(float), "lex": defaultdict(float)}
            for kind, hits, vote_col, top_col in (
                ("emb", batch.emb_hits, 0, 2),
                ("lex", batch.lex_hits, 1, 3),
            ):
                ids, scores = hits.ids[i], hits.scores[i]
                keep = [(int(j), float(s)) for j, s in zip(ids, scores, strict=False) if j >= 0 and j != ex][: self.k]
                weight_sum = sum(max(s, 0.0) for _, s in keep) or 1.0
                for rank, (j, s) in enumerate(keep):
                    w = max(s, 0.0) / weight_sum
                    for value in self.index.examples[j].labels.get(facet, []):  # type: ignore[union-attr]
                        feats[value][vote_col] += w
                        if rank == 0:
                            feats[value][top_col] = max(s, 0.0)
                        for a in tax.lineage(value) if hierarchical else [value]:
                            subtree[kind][a] += w
            if stats is not None:
                ce, cl, cc = cen_emb[i].copy(), cen_lex[i].copy(), cen_cfc[i].copy()
                nb = nb_raw[i].copy()
                if ex is not None:  # leave the example out of its own classes' centroids and counts
                    cols = batch.lex.indices[batch.lex.indptr[i] : batch.lex.indptr[i + 1]]
                    x = batch.lex.data[batch.lex.indptr[i] : batch.lex.indptr[i + 1]].astype(np.float64)
                    icf = stats.icf[cols].astype(np.float64)
                    xw_sq = float(((x * icf) ** 2).sum())
                    own = float((x * x * icf).sum())
                    for c in stats.example_classes[ex]:
                        ce[c] = _loo_cosine(dots_emb[i, c], stats.emb_norms[c], 1.0)
                        cl[c] = _loo_cosine(dots_lex[i, c], stats.lex_norms[c], 1.0)
                        # x.(S-x)w / |(S-x)w| with w = icf: cross term S.w^2.x, and |xw|^2
                        cross = float((_row_values(stats.lex_sums, c, cols) * icf * icf * x).sum())
                        rest = stats.cfc_norms[c] ** 2 - 2 * cross + xw_sq
                        cc[c] = (dots_cfc[i, c] - own) / math.sqrt(rest) if rest > 1e-9 else 0.0
                        rest_counts = _row_values(stats.nb_sums, c, cols) - 1.0
                        norm_c = math.exp(stats.nb_norm[c]) - x_l1[i]
                        nb[c] = float(np.log1p(np.maximum(rest_counts, 0.0) / NB_ALPHA).sum())
                        nb[c] -= x_l1[i] * math.log(max(norm_c, 1e-9))
                        nb[c] += math.log(max(stats.counts[c] - 1, 1e-3) / total)
                nb_logpost = nb - nb.max()
                nb_logpost -= math.log(float(np.exp(nb_logpost).sum()))
                nb_prob = np.exp(nb_logpost)
                for c in _top(ce, TOP_PER_SIGNAL) + _top(cl, TOP_PER_SIGNAL) + _top(cc, TOP_PER_SIGNAL) + _top(
                    nb_logpost - nb_logpost.min(), TOP_PER_SIGNAL
                ):
                    feats[stats.classes[c]]  # noqa: B018 - touching the defaultdict adds the candidate
            if space.size:
                for m in _top(label_emb[i], TOP_PER_SIGNAL) + _top(label_lex[i], TOP_PER_SIGNAL):
                    feats[space.ids[m]]  # noqa: B018
            mentions = space.mentions(batch.texts[i])
            for value in mentions:
                feats[value]  # noqa: B018
            if hierarchical:
                for value in list(feats):
                    for a in tax.lineage(value)[:-1]:
                        feats[a]  # noqa: B018
            ids = list(feats)
            matrix = np.zeros((len(ids), len(FEATURES)))
            for row, value in enumerate(ids):
                f = feats[value]
                f[4] = subtree["emb"].get(value, 0.0)
                f[5] = subtree["lex"].get(value, 0.0)
                if hierarchical:
                    parent = tax.values[value].parent_id
                    if parent is not None:
                        f[6] = (subtree["emb"].get(parent, 0.0) + subtree["lex"].get(parent, 0.0)) / 2
                if stats is not None and value in stats.position:
                    c = stats.position[value]
                    f[7], f[8], f[9] = ce[c], cl[c], cc[c]
                    own = 1 if ex is not None and c in stats.example_classes[ex] else 0
                    f[13] = math.log1p(stats.counts[c] - own) / math.log1p(total)
                    f[14] = nb_prob[c]
                    f[15] = max(nb_logpost[c], NB_LOG_FLOOR) / -NB_LOG_FLOOR
                elif stats is not None:
                    f[15] = -1.0
                m = space.position.get(value)
                if m is not None:
                    f[10], f[11] = label_emb[i, m], label_lex[i, m]
                f[12] = 1.0 if value in mentions else 0.0
                matrix[row] = f
            out.append((ids, matrix))
        return out

    def score(
        self, texts: Sequence[str], emb: np.ndarray, *, max_candidates: int = 20, batch: _Batch | None = None
    ) -> tuple[_Batch, list[dict[str, list[Candidate]]]]:
        """Ranked candidates per product and facet, each with its probability and evidence."""
        batch = batch or self.prepare(texts, emb)
        result: list[dict[str, list[Candidate]]] = [{} for _ in batch.texts]
        for facet in self.facets:
            stacker = self.stackers.get(facet) or Stacker.default()
            for i, (ids, matrix) in enumerate(self.features(batch, facet)):
                if not ids:
                    result[i][facet] = []
                    continue
                probs = stacker.predict(matrix)
                order = np.argsort(-probs)[:max_candidates]
                # model_construct: these values are computed here, not read from outside, so validation is skipped
                result[i][facet] = [
                    Candidate.model_construct(
                        id=ids[j],
                        name=self.taxonomy.values[ids[j]].name,
                        score=round(float(probs[j]), 6),
                        evidence={name: round(float(v), 4) for name, v in zip(FEATURES, matrix[j], strict=True) if v},
                    )
                    for j in order
                ]
        return batch, result

    # -- fitting ---------------------------------------------------------------------------------------------------
    def fit(self, *, sample: int = STACKER_SAMPLE, seed: int = 0, batch_size: int = 512) -> dict[str, Stacker]:
        """Fit a stacker per facet by leave-one-out over (a sample of) the index's own examples."""
        from sklearn.linear_model import LogisticRegression

        if self.index is None:
            return {}
        rng = np.random.default_rng(seed)
        n = len(self.index)
        rows = np.sort(rng.choice(n, size=min(sample, n), replace=False))
        xs: dict[str, list[np.ndarray]] = defaultdict(list)
        ys: dict[str, list[np.ndarray]] = defaultdict(list)
        for start in range(0, len(rows), batch_size):
            part = rows[start : start + batch_size].tolist()
            texts = [self.index.examples[j].text() for j in part]
            batch = self.prepare(texts, self.index.vectors[part], exclude=part)
            for facet in self.facets:
                for j, (ids, matrix) in zip(part, self.features(batch, facet), strict=True):
                    gold = set(self.index.examples[j].labels.get(facet, []))
                    if not gold or not ids:
                        continue
                    xs[facet].append(expand(matrix))
                    ys[facet].append(np.array([v in gold for v in ids], dtype=np.int8))
        for facet in self.facets:
            if len(ys[facet]) < MIN_EXAMPLES_TO_FIT:
                continue
            x = np.vstack(xs[facet])
            y = np.concatenate(ys[facet])
            if y.min() == y.max():
                continue
            mean, scale = x.mean(axis=0), x.std(axis=0)
            scale[scale == 0] = 1.0
            model = LogisticRegression(C=1.0, max_iter=1000)
            model.fit((x - mean) / scale, y)
            self.stackers[facet] = Stacker(model.coef_[0], float(model.intercept_[0]), mean, scale, len(ys[facet]))
        return self.stackers

    def save(self, directory: Path) -> None:
        data = {facet: s.to_json() for facet, s in self.stackers.items()}
        (directory / "scorer.json").write_text(json.dumps(data, indent=1) + "\n")

    def load_stackers(self, directory: Path) -> None:
        path = directory / "scorer.json"
        if path.exists():
            self.stackers = {f: Stacker.from_json(d) for f, d in json.loads(path.read_text()).items()}


_RELATIVE_COLUMNS = [FEATURES.index(f) for f in RELATIVE]


def expand(matrix: np.ndarray) -> np.ndarray:
    """Append the relative columns (each RELATIVE feature minus its maximum over the product's candidates) and the
    top-rank indicators."""
    base = matrix[:, _RELATIVE_COLUMNS]
    # rank[i, f]: how many candidates beat candidate i on feature f
    rank = (matrix[None, :, :] > matrix[:, None, :]).sum(axis=1)
    tops = [(rank == r).astype(np.float64) for r in range(TOP_RANKS)]
    return np.hstack([matrix, base - base.max(axis=0, keepdims=True), *tops])


def _row_values(matrix: sp.csr_matrix, row: int, cols: np.ndarray) -> np.ndarray:
    """``matrix[row, cols]`` as a dense vector, for a CSR matrix with sorted indices (much cheaper than slicing)."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    indices = matrix.indices[start:end]
    if not len(indices):
        return np.zeros(len(cols))
    pos = np.minimum(np.searchsorted(indices, cols), len(indices) - 1)
    return np.where(indices[pos] == cols, matrix.data[start:end][pos], 0.0).astype(np.float64)


def _binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Presence (1.0) of each stored feature: naive Bayes counts examples that have a feature, not its weight."""
    out = matrix.tocsr().copy()
    out.data = np.ones_like(out.data)
    return out


def _top(scores: np.ndarray, k: int) -> list[int]:
    if scores.size == 0:
        return []
    k = min(k, scores.size)
    top = np.argpartition(-scores, k - 1)[:k]
    return [int(t) for t in top if scores[t] > 0]


def _loo_cosine(dot: float, norm: float, self_norm_sq: float) -> float:
    """Cosine to a centroid sum with the query itself taken out: (S.x - x.x) / |S - x|."""
    rest = norm * norm - 2 * dot + self_norm_sq
    return float((dot - self_norm_sq) / math.sqrt(rest)) if rest > 1e-9 else 0.0
