"""What an attribute value's confidence means, and from which confidence a facet's values are kept.

The stacker's probabilities are fitted on leave-one-out evidence of the index's own examples, and they come out
optimistic on new products: a catalogue lists a product's colour and size variants under one title, so an example's
neighbours, centroids and word counts hold near-copies of it that a new listing does not find. So each facet's
stacker is also fitted fold by fold (examples sharing a normalised text share a fold), its out-of-fold probabilities
are read on the examples that have no copy in the index, and two things are fitted on them:

- a calibration (Platt's: a logistic regression on the probability's log-odds, strictly increasing, so it never
  changes which candidate ranks first), after which a confidence of 0.8 is right about 8 times in 10;
- the keep probability: the lowest confidence, at least an even chance, from which the facet's answers (a
  single-valued facet's best candidate per product, every candidate of a multi-valued one) reach TARGET_PRECISION
  with confidence (a one-sided 95% lower bound: the threshold is chosen among many). A facet whose answers reach it
  nowhere (noisy labels, few examples) keeps what is more likely right than wrong, and its confidences say so.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from tagllm.text import normalize

TARGET_PRECISION = 0.9
EVEN_CHANCE = 0.5  # a value less likely right than wrong is never kept
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


def answers(probs: np.ndarray, right: np.ndarray, products: np.ndarray, *, multi_valued: bool) -> tuple:
    """The answers a facet gives: each product's most probable candidate (every candidate when multi-valued),
    as (probabilities, right)."""
    if multi_valued:
        return probs, right.astype(bool)
    order = np.lexsort((-probs, products))
    first = order[np.r_[True, products[order][1:] != products[order][:-1]]]
    return probs[first], right[first].astype(bool)


def keep_probability(probs: np.ndarray, right: np.ndarray) -> float:
    """The lowest probability t >= EVEN_CHANCE such that the answers from t up are at least TARGET_PRECISION right
    (the lower bound of their precision); EVEN_CHANCE when no t reaches it."""
    order = np.argsort(-probs, kind="stable")
    p, r = probs[order], right[order]
    precision = lower_bound(np.cumsum(r), np.arange(1, len(r) + 1))
    last = np.r_[p[1:] != p[:-1], True]  # a threshold keeps every answer of equal probability
    reached = np.flatnonzero(last & (precision >= TARGET_PRECISION) & (p >= EVEN_CHANCE))
    return float(p[reached[-1]]) if len(reached) else EVEN_CHANCE


def text_folds(texts: list[str], folds: int = FOLDS) -> np.ndarray:
    """Each text's fold, by a hash of its normalised form: equal texts fall in the same fold."""
    return np.array(
        [int.from_bytes(hashlib.sha256(normalize(t).encode()).digest()[:8], "big") % folds for t in texts],
        dtype=np.int64,
    )


def fitting_rows(texts: list[str], sample: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The examples a stacker is fitted on (sorted), whether each one's text is unique in the index, and its fold.

    Examples whose normalised text no other example has come first: leaving one out leaves no copy of it behind (a
    listing's colour and size variants share a title), so its evidence is what a new product's would be. The others
    are drawn only when those are fewer than half the sample."""
    keys = [normalize(t) for t in texts]
    copies = Counter(keys)
    alone = np.flatnonzero([copies[k] == 1 for k in keys])
    pool = alone if len(alone) >= min(sample, len(keys)) // 2 else np.arange(len(keys))
    rows = np.sort(rng.choice(pool, size=min(sample, len(pool)), replace=False))
    unique = np.array([copies[keys[j]] == 1 for j in rows.tolist()], dtype=bool)
    return rows, unique, text_folds([keys[j] for j in rows.tolist()])
