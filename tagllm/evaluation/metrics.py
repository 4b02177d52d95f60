"""Evaluation metrics: flat and hierarchical P/R/F1, leaf accuracy, ranking, calibration, bootstrap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tagllm.taxonomy import Taxonomy


def _div(num: float, den: float) -> float:
    # sklearn's zero_division=0: an undefined ratio counts as 0, so an empty label never inflates a score.
    return float(num) / float(den) if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall, F1 and the counts behind them."""

    precision: float
    recall: float
    f1: float
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def prf_counts(tp: int, fp: int, fn: int) -> PRF:
    p, r = _div(tp, tp + fp), _div(tp, tp + fn)
    return PRF(p, r, _f1(p, r), int(tp), int(fp), int(fn))


# -- flat multi-label metrics (one set of ids per product) ---------------------------------------------------
def _sets(items: Iterable[Iterable[str]]) -> list[set[str]]:
    return [set(x) for x in items]


def per_product_counts(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> np.ndarray:
    """An (n, 3) array of true positives, false positives and false negatives per product."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} products but predictions have {len(pred)}")
    rows = []
    for g, p in zip(_sets(gold), _sets(pred), strict=True):
        rows.append((len(g & p), len(p - g), len(g - p)))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def micro_prf(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> PRF:
    """Micro-averaged P/R/F1 over all (product, tag) pairs: sklearn's ``average='micro'``, binarised."""
    tp, fp, fn = per_product_counts(gold, pred).sum(axis=0) if gold else (0, 0, 0)
    return prf_counts(int(tp), int(fp), int(fn))


def per_tag_prf(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> dict[str, PRF]:
    """P/R/F1 for every tag that appears in the gold labels or the predictions."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g, p in zip(_sets(gold), _sets(pred), strict=True):
        tp.update(g & p)
        fp.update(p - g)
        fn.update(g - p)
    labels = sorted(set(tp) | set(fp) | set(fn))
    return {label: prf_counts(tp[label], fp[label], fn[label]) for label in labels}


def macro_prf(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> PRF:
    """Macro-averaged P/R/F1: the unweighted mean over tags seen in gold or predictions (sklearn ``'macro'``).

    As in sklearn, macro F1 is the mean of the per-tag F1s, not the harmonic mean of macro P and macro R.
    """
    table = per_tag_prf(gold, pred)
    if not table:
        return PRF(0.0, 0.0, 0.0)
    rows = list(table.values())
    return PRF(
        float(np.mean([r.precision for r in rows])),
        float(np.mean([r.recall for r in rows])),
        float(np.mean([r.f1 for r in rows])),
        sum(r.tp for r in rows),
        sum(r.fp for r in rows),
        sum(r.fn for r in rows),
    )


# -- over several facets ------------------------------------------------------------------------------------
def over_facets(per_facet: dict[str, PRF], answered: dict[str, int], scored: dict[str, int]) -> dict[str, Any]:
    """Micro and macro P/R/F1 and coverage over facets, from each facet's micro counts and coverage.

    Micro sums the facets' (tp, fp, fn), so a facet with many scored tags weighs more; macro averages the facets'
    precision, recall, F1 and coverage, so each facet weighs the same; its precision over the facets that answered
    something (none when none did). An abstention is a miss (fn) and never an error (fp), as in each facet's own
    figures.
    """
    names = list(per_facet)
    if not names:
        return {"facets": [], "micro": None, "macro": None}
    tp, fp, fn = (sum(getattr(per_facet[f], k) for f in names) for k in ("tp", "fp", "fn"))
    coverage = {f: _div(answered[f], scored[f]) for f in names}
    # a facet that answered nothing has no precision (0 of 0): counted as 0.000 it read as every answer wrong
    answering = [f for f in names if per_facet[f].tp + per_facet[f].fp]
    return {
        "facets": names,
        "micro": {**prf_counts(tp, fp, fn).as_dict(), "coverage": _div(sum(answered.values()), sum(scored.values()))},
        "macro": {
            "precision": float(np.mean([per_facet[f].precision for f in answering])) if answering else None,
            "recall": float(np.mean([per_facet[f].recall for f in names])),
            "f1": float(np.mean([per_facet[f].f1 for f in names])),
            "coverage": float(np.mean([coverage[f] for f in names])),
        },
    }


# -- hierarchical metrics ------------------------------------------------------------------------------------
def ancestor_closure(ids: Iterable[str], taxonomy: Taxonomy) -> set[str]:
    """Ids plus ancestors; an id the taxonomy does not know stays a lone node (it can only miss)."""
    out: set[str] = set()
    for vid in ids:
        out.update(taxonomy.lineage(vid) if vid in taxonomy else [vid])
    return out


def hierarchical_counts(
    gold_ids: Sequence[Iterable[str]], pred_ids: Sequence[Iterable[str]], taxonomy: Taxonomy
) -> np.ndarray:
    """Per-product (tp, fp, fn) over ancestor-closed sets: the input to hierarchical P/R/F1 and bootstrap."""
    gold = [ancestor_closure(g, taxonomy) for g in gold_ids]
    pred = [ancestor_closure(p, taxonomy) for p in pred_ids]
    return per_product_counts(gold, pred)


def hierarchical_prf(gold_ids: Sequence[Iterable[str]], pred_ids: Sequence[Iterable[str]], taxonomy: Taxonomy) -> PRF:
    """Hierarchical P/R/F1 (Kiritchenko et al.): both sides ancestor-closed, micro-averaged over products.

    hP = Σ|Ĝ∩P̂| / Σ|P̂|, hR = Σ|Ĝ∩P̂| / Σ|Ĝ|, where Ĝ, P̂ hold each product's ids and all their ancestors. A
    prediction of the right parent scores partial credit; an abstention (empty P̂) costs recall only.
    """
    counts = hierarchical_counts(gold_ids, pred_ids, taxonomy)
    tp, fp, fn = counts.sum(axis=0) if len(counts) else (0, 0, 0)
    return prf_counts(int(tp), int(fp), int(fn))


def leaf_matches(gold_leaf: Sequence[str | None], pred_leaf: Sequence[str | None]) -> np.ndarray:
    """1.0 where the predicted leaf is exactly the gold leaf; an abstention (None) is a miss."""
    if len(gold_leaf) != len(pred_leaf):
        raise ValueError(f"gold has {len(gold_leaf)} products but predictions have {len(pred_leaf)}")
    return np.asarray(
        [1.0 if g is not None and g == p else 0.0 for g, p in zip(gold_leaf, pred_leaf, strict=True)],
        dtype=float,
    )


def leaf_accuracy(gold_leaf: Sequence[str | None], pred_leaf: Sequence[str | None]) -> float:
    """Share of products whose predicted leaf equals the gold leaf exactly (abstentions count as wrong)."""
    matches = leaf_matches(gold_leaf, pred_leaf)
    return float(matches.mean()) if len(matches) else 0.0


# -- ranking -------------------------------------------------------------------------------------------------
def precision_recall_at_k(
    gold: Sequence[Iterable[str]], ranked: Sequence[Sequence[str]], k: int
) -> tuple[float, float]:
    """Mean P@k and R@k over products whose ranked list is non-empty (P@k divides by k, as is usual)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    ps, rs = [], []
    for g, r in zip(_sets(gold), ranked, strict=True):
        if not g:
            continue
        hits = len(set(r[:k]) & g)
        ps.append(hits / k)
        rs.append(hits / len(g))
    return (float(np.mean(ps)) if ps else 0.0, float(np.mean(rs)) if rs else 0.0)


# -- confidence ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CalibrationBin:
    lower: float
    upper: float
    count: int
    confidence: float
    accuracy: float


def calibration(
    confidence: Sequence[float], correct: Sequence[float], n_bins: int = 10
) -> tuple[list[CalibrationBin], float]:
    """Reliability bins (equal width over [0, 1]) and the expected calibration error.

    ECE = Σ_b (n_b / n) · |accuracy_b − mean confidence_b|. Confidence 1.0 falls in the last bin.
    """
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.shape != hit.shape:
        raise ValueError("confidence and correct must have the same length")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=False), 0, n_bins - 1)
    bins: list[CalibrationBin] = []
    ece = 0.0
    for b in range(n_bins):
        mask = which == b
        n = int(mask.sum())
        if n:
            c, a = float(conf[mask].mean()), float(hit[mask].mean())
            ece += n / len(conf) * abs(a - c)
        else:
            c = a = 0.0
        bins.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), n, c, a))
    return bins, float(ece)


@dataclass(frozen=True, slots=True)
class CoveragePoint:
    threshold: float
    coverage: float
    precision: float
    count: int


def precision_coverage_curve(
    confidence: Sequence[float], correct: Sequence[float], n_total: int | None = None
) -> list[CoveragePoint]:
    """Precision of the answers kept, against the share of products kept, as the threshold rises.

    ``confidence``/``correct`` describe the products that got an answer; ``n_total`` (default: their number)
    is the denominator of coverage, so products that abstained already count as not covered.
    """
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    total = n_total if n_total is not None else len(conf)
    if not len(conf) or not total:
        return []
    order = np.argsort(-conf, kind="stable")
    conf, hit = conf[order], hit[order]
    cum_hits = np.cumsum(hit)
    points: list[CoveragePoint] = []
    # One point per distinct confidence: keeping everything with confidence >= t.
    distinct = np.unique(conf)[::-1]
    for t in distinct:
        kept = int(np.searchsorted(-conf, -t, side="right"))
        points.append(CoveragePoint(float(t), kept / total, float(cum_hits[kept - 1] / kept), kept))
    return points


def suggest_threshold(curve: Sequence[CoveragePoint], target_precision: float) -> CoveragePoint | None:
    """The lowest threshold whose kept answers reach the target precision (the most coverage there)."""
    ok = [p for p in curve if p.precision >= target_precision]
    return max(ok, key=lambda p: (p.coverage, -p.threshold)) if ok else None


# -- uncertainty ---------------------------------------------------------------------------------------------
Statistic = Callable[[np.ndarray], float]


def micro_f1_of_counts(counts: np.ndarray) -> float:
    """Micro F1 from an (n, 3) array of per-product (tp, fp, fn)."""
    tp, fp, fn = counts.sum(axis=0)
    return _f1(_div(tp, tp + fp), _div(tp, tp + fn))


def micro_precision_of_counts(counts: np.ndarray) -> float:
    tp, fp, _ = counts.sum(axis=0)
    return _div(tp, tp + fp)


def micro_recall_of_counts(counts: np.ndarray) -> float:
    tp, _, fn = counts.sum(axis=0)
    return _div(tp, tp + fn)


def mean_of(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


def bootstrap_ci(
    data: np.ndarray, statistic: Statistic, *, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over products (rows of ``data`` resampled together)."""
    n = len(data)
    if n == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for i in range(n_boot):
        stats[i] = statistic(data[rng.integers(0, n, n)])
    lo, hi = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


@dataclass(frozen=True, slots=True)
class PairedDelta:
    """B minus A on the same products, its bootstrap interval and two-sided p-value."""

    a: float
    b: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float = 0.05

    @property
    def is_significant(self) -> bool:
        # One criterion, stated once: the two-sided bootstrap p-value below alpha (and a real change).
        return self.delta != 0 and self.p_value < self.alpha

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.is_significant}


def paired_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    statistic: Statistic,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> PairedDelta:
    """Paired bootstrap of statistic(b) − statistic(a): the same resampled products feed both runs.

    The p-value is twice the (add-one smoothed) share of resampled deltas on the far side of zero, capped at 1.
    """
    if len(a) != len(b):
        raise ValueError(f"paired runs must cover the same products ({len(a)} vs {len(b)})")
    sa, sb = statistic(a), statistic(b)
    n = len(a)
    if n == 0 or n_boot < 1:
        # Nothing to resample: report the delta without claiming significance.
        return PairedDelta(sa, sb, sb - sa, float("-inf"), float("inf"), 1.0, alpha)
    rng = np.random.default_rng(seed)
    deltas = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, n)
        deltas[i] = statistic(b[idx]) - statistic(a[idx])
    lo, hi = np.quantile(deltas, [alpha / 2, 1 - alpha / 2])
    # Add-one smoothing keeps p above zero (a finite resample cannot prove p = 0) and gives 1 for no change.
    tail = min(int((deltas <= 0).sum()), int((deltas >= 0).sum()))
    p = float(min(1.0, 2 * (tail + 1) / (n_boot + 1)))
    return PairedDelta(float(sa), float(sb), float(sb - sa), float(lo), float(hi), p, alpha)


# -- errors --------------------------------------------------------------------------------------------------
def confusions(
    gold_leaf: Sequence[str | None], pred_leaf: Sequence[str | None], top: int = 20
) -> list[tuple[str, str, int]]:
    """The most frequent (gold, predicted) leaf pairs that differ; abstentions are not confusions."""
    pairs: Counter[tuple[str, str]] = Counter(
        (g, p) for g, p in zip(gold_leaf, pred_leaf, strict=True) if g is not None and p is not None and g != p
    )
    return [(g, p, n) for (g, p), n in pairs.most_common(top)]


def label_matrix(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]]) -> np.ndarray:
    """Gold and predicted labels binarised side by side, (n, 2L), so rows resample together (macro)."""
    labels = sorted({x for s in (*gold, *pred) for x in s})
    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(gold), 2 * len(labels)), dtype=bool)
    for row, (g, p) in enumerate(zip(gold, pred, strict=True)):
        for x in g:
            out[row, index[x]] = True
        for x in p:
            out[row, len(labels) + index[x]] = True
    return out


def macro_f1_of_matrix(matrix: np.ndarray) -> float:
    """Macro F1 from a ``label_matrix``, over the labels present in these rows (as sklearn would see them)."""
    half = matrix.shape[1] // 2
    g, p = matrix[:, :half], matrix[:, half:]
    tp = (g & p).sum(axis=0)
    fp = (~g & p).sum(axis=0)
    fn = (g & ~p).sum(axis=0)
    present = (tp + fp + fn) > 0
    if not present.any():
        return 0.0
    f1 = np.where(present, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    return float(f1[present].mean())
