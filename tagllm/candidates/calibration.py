"""What an attribute value's confidence means, and from which confidence a facet's values are kept.

The stacker is fitted on evidence of the index's own examples that leaves each one out together with its copies: a
catalogue lists a product's colour and size variants under one title, and a new listing does not find its own
copies. Reading only the examples that have no copy would be optimistic: a title shared by variants states less
(Flipkart's "Steppings Trendy Boots" in eleven colours; such listings were about half as often right on colour as the
others, in a held-out split). So each facet's stacker is also fitted fold by fold (examples sharing a normalised
text share a fold), its out-of-fold probabilities are read on a uniform sample of the examples, and two things are
fitted on them:

- a calibration (Platt's: a logistic regression on the probability's log-odds, strictly increasing, so it never
  changes which candidate ranks first), after which a confidence of 0.8 is right about 8 times in 10;
- the keep probability: the lowest confidence, at least an even chance, from which the facet's answers (a
  single-valued facet's best candidate per product, every candidate of a multi-valued one) reach TARGET_PRECISION
  with confidence (a one-sided 95% lower bound: the threshold is chosen among many; answers repeated by copies of
  a title count as fewer, as far as copies are alike in being right, ``effective_counts``; a value that only the
  product's copies carry is read as wrong, ``tagllm.candidates.fitting``). A facet whose answers reach it
  nowhere (noisy labels, few examples, values the text rarely states) keeps nothing: its candidates and their
  confidences are still in the provenance, and the LLM path still chooses among them.

The keep probability is set per kind of answer (``Keep``, ``how_stated``): for the values the product's text states
as the facet's only one, for those it names beside another value of the facet (or only as a Chinese substring), and
for the others, each the higher of the facet's threshold and the one from which that kind alone is precise enough. One
threshold over all let the many stated answers, nearly all right, carry guesses from the neighbours that were right
far less often: on a held-out quarter of Flipkart, the default's kept answers that the title states were 152/152
right on Ideal For, 37/37 on Material and 50/50 on Pattern, the others 137/175, 8/16 and 3/9, and each facet fell
below 0.9 once the held-out products held more guesses than the training part. Values named beside another rode the
same way on the sole mentions ("Black and White Burner" answered White, "Yellow Gold" on a ruby ring): on fashion's
held-out products the Colour answers their own threshold turns away were right 0.66 of the time (docs/eval.md).
Letting a kind pass on its own lower bound as well (a second way through) gained at most 0.001 of micro-F1 on fashion
and Flipkart (three seeds each), and let an OpenBG facet keep 3 values of which 1 was right: not done.

How much copies' answers repeat one another is measured per facet: the intra-class correlation of being right beyond
what the confidence says (``intraclass_correlation``): near 1 where copies are right or wrong together (Flipkart's
Type and Material: a listing's size variants share them), lower where they differ (Flipkart's Color, 0.21 to 0.33:
colour variants under one title share the answer but not the gold). Counting every copy as the same answer (Kish's
design effect at a correlation of 1) asked such a facet for several times the evidence its answers carry.

A multi-valued facet's values are each an answer of their own: only the same value on copies of a title is one
answer repeated (``answer_groups``), not the several values of one product. Its further values (not the product's
most probable one) beside a best value that is kept have a threshold of their own (``Keep.further``,
``further_probability``), read the same way over the out-of-fold answers of that kind: held to the facet's, a
product's further values were dropped though its best was kept ("Boy, Girl, Men, Women" answered "Girl, Women").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from tagllm.models import Candidate
from tagllm.text import normalize

TARGET_PRECISION = 0.9
EVEN_CHANCE = 0.5  # a value less likely right than wrong is never kept
NEVER_KEPT = 1.01  # the keep probability of a facet whose answers reach TARGET_PRECISION nowhere: above any confidence
Z = 1.645  # one-sided 95% for the lower bound of the precision
FOLDS = 5
MIN_CALIBRATION_PRODUCTS = 30  # fewer out-of-fold products than this: the stacker's own probabilities are kept
_EPS = 1e-6


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of a probability: sigmoid(slope * logit(p) + intercept), slope > 0."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, p: np.ndarray) -> np.ndarray:
        if self.slope == 1.0 and self.intercept == 0.0:
            return p
        p = np.clip(p, _EPS, 1 - _EPS)
        z = self.slope * np.log(p / (1 - p)) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    @classmethod
    def fit(cls, p: np.ndarray, right: np.ndarray) -> Calibration:
        """The calibration of probabilities ``p`` given whether each was right (identity when it cannot be
        fitted: one class only, or a fit that would not be increasing)."""
        from sklearn.linear_model import LogisticRegression

        if len(p) < 2 or right.min() == right.max():
            return cls()
        logit = np.log(np.clip(p, _EPS, 1 - _EPS) / np.clip(1 - p, _EPS, 1))
        model = LogisticRegression(C=100.0, solver="lbfgs").fit(logit[:, None], right.astype(np.int8))
        slope = float(model.coef_[0, 0])
        return cls(slope, float(model.intercept_[0])) if slope > 0 else cls()


def lower_bound(right: np.ndarray, n: np.ndarray, z: float = Z) -> np.ndarray:
    """Wilson's lower bound of a proportion ``right / n`` (``z``: one-sided 95% by default)."""
    p = right / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def answer_rows(probs: np.ndarray, products: np.ndarray, *, multi_valued: bool) -> np.ndarray:
    """The rows of the answers a facet gives: each product's most probable candidate (every candidate when
    multi-valued)."""
    if multi_valued:
        return np.arange(len(probs))
    order = np.lexsort((-probs, products))
    return order[np.r_[True, products[order][1:] != products[order][:-1]]]


def answer_groups(groups: np.ndarray, values: np.ndarray | None, *, multi_valued: bool) -> np.ndarray:
    """Per answer, its group of repeats for the keep probability's bound (``groups``: its product's group of copies;
    ``values``: its value): a multi-valued facet's several values of one product are different answers, and only the
    same value on copies of a title is one answer repeated."""
    if not multi_valued or values is None or not len(values):
        return groups
    return groups * (int(values.max()) + 1) + values


@dataclass(frozen=True)
class Keep:
    """The confidences from which a facet's values are kept, one per way the product's text states a value
    (``how_stated``): the facet's only value it names (``stated``), one of several it names (``shared``; None: as
    ``unstated``), none (``unstated``)."""

    stated: float = EVEN_CHANCE
    unstated: float = EVEN_CHANCE
    shared: float | None = None
    further: float | None = None  # a multi-valued facet's further values beside a kept best one (None: as the others)

    def threshold(self, candidate: Candidate) -> float:
        return self.thresholds[how_stated(candidate.evidence.get("stated", 0.0))]

    def further_threshold(self, candidate: Candidate) -> float:
        """The confidence from which ``candidate``, a further value of a product whose best value is kept, is kept."""
        own = self.threshold(candidate)
        return own if self.further is None else min(own, self.further)

    @property
    def thresholds(self) -> tuple[float, float, float]:
        """The keep probabilities in ``how_stated``'s order: sole mention, one of several, not stated."""
        return self.stated, self.unstated if self.shared is None else self.shared, self.unstated

    @property
    def is_abstaining(self) -> bool:
        """Whether no value is ever kept: no kind reached the target precision anywhere."""
        return min(self.thresholds) > 1.0

    @classmethod
    def measure(
        cls,
        probs: np.ndarray,
        right: np.ndarray,
        stated: np.ndarray,
        groups: np.ndarray | None = None,
        *,
        target: float = TARGET_PRECISION,
        products: np.ndarray | None = None,
    ) -> Keep:
        """Per kind of answer (``how_stated`` of its ``stated`` evidence), the higher of two thresholds: the facet's
        ``keep_probability`` over all its answers (their precision's lower bound reaches the target), and the lowest
        from which the answers of this kind are at least TARGET_PRECISION right on their own (the share itself, not
        its bound: a kind seen a few dozen times would never be kept by the bound), looked for at or above the
        facet's threshold: the kind's answers below it are never kept, and letting them lower the kind's own threshold
        let through answers of the kind short of the target (Flipkart's Color, seed 2: the values named beside
        another were 24 of 27 right from the facet's 0.69, their own threshold 0.56). Then answers of each kind are
        as precise as promised whatever their mix in new products. A kind with no answer in fitting takes the
        facet's threshold. Copies of a title (``groups``) count as one answer as far as their answers are alike in
        being right (``intraclass_correlation`` of right minus confidence, over all the facet's answers).
        ``target``: the precision aimed at (``TaggerConfig.keep_precision``). ``products`` (per answer, its product;
        given for a multi-valued facet) adds ``further``: ``further_probability`` over the answers that are not their
        product's best, where the best is kept."""
        rho = 1.0 if groups is None else intraclass_correlation(right.astype(np.float64) - probs, groups)
        pooled = keep_probability(probs, right, groups, target=target, rho=rho)
        how = np.asarray(how_stated(np.asarray(stated, dtype=np.float64)))
        kinds = []
        for k in range(3):
            kind = how == k
            own = keep_probability(probs[kind], right[kind], z=0.0, target=target, floor=pooled) if kind.any() else 0
            kinds.append(max(pooled, own))
        further = None
        if products is not None:
            kept_from = np.asarray(kinds)[how]
            further = further_probability(probs, right, products, kept_from, groups, target=target, rho=rho)
        return cls(stated=kinds[SOLE], unstated=kinds[NOT_STATED], shared=kinds[SHARED], further=further)


SOLE, SHARED, NOT_STATED = 0, 1, 2


def how_stated(stated: np.ndarray | float) -> np.ndarray | int:
    """How a value's ``stated`` evidence (``tagllm.candidates.stated``) says the text states it, for the keep
    probability: SOLE, a mention more likely right than wrong on its own (the facet's only value the text names, in
    Latin script); SHARED, any other mention (one of several values of the facet the text names, "Black and White
    Burner", or a Chinese substring), right about half the time or less before the other evidence is weighed;
    NOT_STATED. Kept with the sole mentions, nearly all right, the shared ones rode on their precision (Flipkart
    Color); kept with the guesses, they raised the guesses' threshold or rode on it."""
    value = np.asarray(stated)
    how = np.where(value > EVEN_CHANCE, SOLE, np.where(value > 0, SHARED, NOT_STATED))
    return int(how) if how.ndim == 0 else how


def keep_probability(
    probs: np.ndarray,
    right: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    z: float = Z,
    target: float = TARGET_PRECISION,
    rho: float = 1.0,
    floor: float = EVEN_CHANCE,
) -> float:
    """The lowest probability t >= ``floor`` (and EVEN_CHANCE) such that the answers from t up are at least
    ``target`` right (the lower bound of their precision, ``z`` standard errors down; t halfway to the next answer
    down, not below ``floor``); NEVER_KEPT when no t reaches it: the facet abstains rather than answer below the
    precision it promises.

    ``groups`` (per answer) marks answers that are one answer repeated (a listing's copies: the same text, the same
    evidence): the bound counts them as ``effective_counts`` says (``rho``: how alike a group's answers are in being
    right; 1, one answer repeated, unless measured), so a few titles listed many times do not pass for many
    independent answers."""
    order = np.argsort(-probs, kind="stable")
    p, r = probs[order], right[order]
    n = np.arange(1, len(r) + 1, dtype=np.float64)
    m = n if groups is None else effective_counts(groups[order], rho)
    precision = lower_bound(np.cumsum(r) / n * m, m, z)
    last = np.r_[p[1:] != p[:-1], True]  # a threshold keeps every answer of equal probability
    floor = max(floor, EVEN_CHANCE)
    reached = np.flatnonzero(last & (precision >= target) & (p >= floor))
    if not len(reached):
        return NEVER_KEPT
    i = reached[-1]
    # any threshold between this answer and the next one down keeps the same answers: the midpoint, so that a new
    # product's confidence a hair below the lowest kept one's is not turned away (no answer below: nothing is known
    # of lower confidences, and the lowest kept one is the threshold)
    return float(max((p[i] + p[i + 1]) / 2, floor) if i + 1 < len(p) else p[i])


def further_probability(
    probs: np.ndarray,
    right: np.ndarray,
    products: np.ndarray,
    kept_from: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    target: float = TARGET_PRECISION,
    rho: float = 1.0,
) -> float:
    """A multi-valued facet's keep probability for a product's further values, read as ``keep_probability`` reads
    the facet's (the same bound, copies counted as ``groups`` and ``rho`` say) over the answers that are not their
    product's most probable one, where that one is kept (at least ``kept_from``, per answer, its own threshold).

    Pooled with the best values, such values set the facet's threshold where they are least precise, and a product's
    further values were dropped below it though its best was kept (gold "Boy, Girl, Men, Women" answered "Girl,
    Women"); kept whenever the best is, at 0.5 or more, they were short of the target (Flipkart's Occasion, held-out
    precision 0.881: docs/eval.md)."""
    order = np.lexsort((-probs, products))
    first = np.r_[True, products[order][1:] != products[order][:-1]]
    starts = np.flatnonzero(first)
    best_kept = (probs[order] >= kept_from[order])[starts]
    rows = order[~first & np.repeat(best_kept, np.diff(np.r_[starts, len(order)]))]
    if not len(rows):
        return NEVER_KEPT
    return keep_probability(probs[rows], right[rows], None if groups is None else groups[rows], target=target, rho=rho)


def effective_counts(groups: np.ndarray, rho: float = 1.0) -> np.ndarray:
    """For each prefix of answers, its effective number of independent answers, ``n / (1 + (sum of (answers per
    group)^2 / n - 1) * rho)`` (Kish's design effect for answers in groups whose intra-class correlation is ``rho``):
    ``n^2 / sum of (answers per group)^2`` when a group's answers are one answer repeated (``rho`` 1), n when every
    group has one answer or its answers are independent (``rho`` 0)."""
    _, codes = np.unique(groups, return_inverse=True)
    seen = np.zeros(codes.max() + 1 if len(codes) else 0, dtype=np.int64)
    added = np.empty(len(codes), dtype=np.float64)
    for i, g in enumerate(codes.tolist()):  # (m + 1)^2 - m^2 = 2m + 1
        added[i] = 2 * seen[g] + 1
        seen[g] += 1
    n = np.arange(1, len(codes) + 1, dtype=np.float64)
    return n / (1 + (np.cumsum(added) / n - 1) * rho)


def intraclass_correlation(values: np.ndarray, groups: np.ndarray) -> float:
    """How alike ``values`` are within ``groups`` (the ANOVA estimator of the intra-class correlation, clipped to
    [0, 1]); 1, the pessimistic reading, when it cannot be told (no group holds two values, or nothing varies)."""
    _, codes = np.unique(groups, return_inverse=True)
    k, n = int(codes.max()) + 1 if len(codes) else 0, float(len(codes))
    if k < 2 or n <= k:
        return 1.0
    size = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.bincount(codes, weights=values, minlength=k)
    explained = float((sums * sums / size).sum())
    between = (explained - sums.sum() ** 2 / n) / (k - 1)
    within = (float((values * values).sum()) - explained) / (n - k)
    size0 = (n - float((size * size).sum()) / n) / (k - 1)  # the mean group size that weighs unequal groups
    spread = between + (size0 - 1) * within
    if spread <= 0:
        return 1.0
    return float(np.clip((between - within) / spread, 0.0, 1.0))


def text_folds(texts: list[str], folds: int = FOLDS) -> np.ndarray:
    """Each text's fold, by a hash of its normalised form: equal texts fall in the same fold."""
    return np.array(
        [int.from_bytes(hashlib.sha256(normalize(t).encode()).digest()[:8], "big") % folds for t in texts],
        dtype=np.int64,
    )


def fitting_rows(
    texts: list[str], sample: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[list[int]], np.ndarray]:
    """The examples a stacker is fitted on (a uniform sample, sorted), each one's copies (the examples sharing its
    normalised text, itself included: its evidence leaves them all out) and its fold (copies share a fold)."""
    keys = [normalize(t) for t in texts]
    members: dict[str, list[int]] = {}
    for j, key in enumerate(keys):
        members.setdefault(key, []).append(j)
    rows = np.sort(rng.choice(len(keys), size=min(sample, len(keys)), replace=False))
    return rows, [members[keys[j]] for j in rows.tolist()], text_folds([keys[j] for j in rows.tolist()])
