"""The stacker: logistic regression from a candidate's evidence to the probability that it is right."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from tagllm.candidates.calibration import (
    EVEN_CHANCE,
    FOLDS,
    MIN_CALIBRATION_PRODUCTS,
    TARGET_PRECISION,
    Calibration,
    Keep,
    answer_groups,
    answer_rows,
)
from tagllm.candidates.features import ALL_FEATURES, COLUMN, DEFAULT_WEIGHTS, RELATIVE, TOP_RANKS

DEFAULT_INTERCEPT = -6.0
# Inverse penalties an attribute's stacker chooses from by out-of-fold log-loss: a facet carried by a hundred examples
# overfits a hundred evidence columns at 1.0 (Flipkart's Neck: its stacked ranking fell below the linear text
# evidence alone), one carried by thousands does not.
PENALTIES = (0.01, 0.1, 1.0)


@dataclass
class Stacker:
    """Standardise the evidence, then logistic regression: P(value is right | evidence)."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    fitted_on: int = 0
    k: int | None = None  # the neighbours per product its vote evidence was computed with
    inputs: tuple[str, ...] = ("text", "image")  # what the evidence it was fitted on read
    # the range of each feature in the rows it was fitted on: a value outside is read as the nearest bound seen
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    calibration: Calibration = Calibration()  # out-of-fold probability -> share right (``calibration``)
    keep: Keep = Keep()  # the calibrated probabilities from which an optional facet's values are kept
    target_precision: float = TARGET_PRECISION  # the precision ``keep`` was measured for

    @classmethod
    def default(cls) -> Stacker:
        coef = np.array([DEFAULT_WEIGHTS.get(f, 0.0) for f in ALL_FEATURES], dtype=np.float64)
        return cls(coef, DEFAULT_INTERCEPT, np.zeros(len(ALL_FEATURES)), np.ones(len(ALL_FEATURES)))

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        *,
        fitted_on: int,
        k: int | None,
        inputs: tuple[str, ...] = ("text", "image"),
        c: float = 1.0,
    ) -> Stacker | None:
        """Fit on candidate rows ``x`` (ALL_FEATURES, float32, standardised in place) and their 0/1 ``y``, with
        inverse penalty ``c``; None when ``y`` has one class only."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        if y.min() == y.max():
            return None
        mean, scale = x.mean(axis=0, dtype=np.float64), x.std(axis=0, dtype=np.float64)
        low, high = x.min(axis=0).astype(np.float64), x.max(axis=0).astype(np.float64)
        scale[scale == 0] = 1.0
        # Newton's method (newton-cholesky): with a few dozen standardised features it reaches the optimum in about
        # ten steps, where the default lbfgs stopped short of it (objective 720.9 against 719.0 on Flipkart).
        model = LogisticRegression(C=c, solver="newton-cholesky", tol=1e-8, max_iter=100)
        x -= mean.astype(np.float32)  # in place: no float64 copy of the rows
        x /= scale.astype(np.float32)
        with warnings.catch_warnings():
            # where a Newton step's line search stalls, sklearn warns and finishes with lbfgs: a fitted model all
            # the same, and a raw warning in the middle of an index build tells its user nothing to do
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        return cls(model.coef_[0], float(model.intercept_[0]), mean, scale, fitted_on, k, tuple(inputs), low, high)

    @classmethod
    def fit_calibrated(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        products: np.ndarray,
        *,
        folds: np.ndarray,
        groups: np.ndarray | None = None,
        unseen: np.ndarray | None = None,
        values: np.ndarray | None = None,
        multi_valued: bool,
        fitted_on: int,
        k: int | None,
        inputs: tuple[str, ...] = ("text", "image"),
        target_precision: float = TARGET_PRECISION,
    ) -> Stacker | None:
        """``fit``, plus the calibration and keep probability of ``tagllm.candidates.calibration``: ``products``
        gives each row's product and ``folds`` each product's fold (by its text); ``groups`` each product's group of
        copies (one answer repeated, for the keep probability's bound), ``unseen`` the rows whose value no example
        besides the product's copies carries (read as wrong: a new product cannot be given a value no example has) and
        ``values`` each row's value: a multi-valued facet's values of one product are different answers, and only the
        same value on copies is one answer repeated."""
        stated = x[:, COLUMN["stated"]].copy()  # read before ``fit`` standardises x in place
        best = (np.inf, 1.0, np.full(len(y), np.nan))
        for c in PENALTIES:  # the inverse penalty whose out-of-fold probabilities fit best
            oof = np.full(len(y), np.nan)
            for fold in range(FOLDS):
                held = folds[products] == fold
                if held.any() and (~held).any():
                    part = cls.fit(x[~held], y[~held], fitted_on=fitted_on, k=k, inputs=inputs, c=c)  # a copy
                    if part is not None:
                        oof[held] = part.predict(x[held].astype(np.float64))
            loss = _log_loss(oof, y)
            if loss < best[0]:
                best = (loss, c, oof)
        _, c, oof = best
        stacker = cls.fit(x, y, fitted_on=fitted_on, k=k, inputs=inputs, c=c)
        if stacker is not None:
            stacker.target_precision = target_precision
        read = ~np.isnan(oof)
        if stacker is None or len(np.unique(products[read])) < MIN_CALIBRATION_PRODUCTS:
            return stacker
        right = y.astype(bool) if unseen is None else y.astype(bool) & ~unseen
        stacker.calibration = Calibration.fit(oof[read], right[read])
        probs = stacker.calibration(oof[read])
        rows = answer_rows(probs, products[read], multi_valued=multi_valued)
        repeated = None
        if groups is not None:
            repeated = answer_groups(
                groups[products[read][rows]], None if values is None else values[read][rows], multi_valued=multi_valued
            )
        stacker.keep = Keep.measure(
            probs[rows], right[read][rows], stated[read][rows], repeated, target=target_precision,
            products=products[read][rows] if multi_valued else None,
        )  # fmt: skip
        return stacker

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for candidates (rows of ALL_FEATURES, see ``expand``).

        Each feature is first clipped to the range it had in the fitted rows: a feature that barely varied there
        (the look of a photo says little about its colour) gets a large weight per unit, and a product outside that
        range would otherwise drive its probability to 0 or 1 on evidence the fit never saw."""
        if self.low is not None and self.high is not None:
            x = np.clip(x, self.low, self.high)
        weights = self.coef / self.scale  # standardising folded into the weights: no copy of x
        z = x @ weights + (self.intercept - self.mean @ weights)
        return self.calibration(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(ALL_FEATURES),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "fitted_on": self.fitted_on,
            "k": self.k,
            "inputs": list(self.inputs),
            "calibration": [self.calibration.slope, self.calibration.intercept],
            "keep": [self.keep.stated, self.keep.unstated, self.keep.thresholds[1]]
            + ([] if self.keep.further is None else [self.keep.further]),
            "target_precision": self.target_precision,
            **(
                {"low": self.low.tolist(), "high": self.high.tolist()}
                if self.low is not None and self.high is not None
                else {}
            ),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stacker | None:
        if tuple(data["features"]) != ALL_FEATURES:
            return None  # an index from another tagllm version: its weights do not fit these features
        keep = data.get("keep", EVEN_CHANCE)  # one number: an index built before stated and unstated values had two
        return cls(
            np.array(data["coef"]),
            float(data["intercept"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            int(data.get("fitted_on", 0)),
            data.get("k"),
            tuple(data.get("inputs", ("text", "image"))),
            np.array(data["low"]) if "low" in data else None,
            np.array(data["high"]) if "high" in data else None,
            Calibration(*data.get("calibration", (1.0, 0.0))),
            _keep(keep),
            float(data.get("target_precision", TARGET_PRECISION)),
        )


def _keep(saved: float | list[float]) -> Keep:
    """The keep probabilities of a saved stacker: [sole, not stated, shared], and a multi-valued facet's further
    values where measured (an index built before they had their own keeps them as the others); an index built before
    shared mentions had their own kept them with the sole ones ([stated, unstated]), and one built before that had one
    number."""
    if not isinstance(saved, list):
        return Keep(float(saved), float(saved))
    return Keep(saved[0], saved[1], saved[2] if len(saved) > 2 else saved[0], saved[3] if len(saved) > 3 else None)


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean log-loss over the rows that have a probability (inf when none has)."""
    has = ~np.isnan(p)
    if not has.any():
        return float("inf")
    q = np.clip(p[has], 1e-6, 1 - 1e-6)
    return float(-np.mean(np.where(y[has] > 0, np.log(q), np.log(1 - q))))


_RELATIVE_COLUMNS = [COLUMN[f] for f in RELATIVE]


def expand(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Append, per product (rows ``starts[i]:starts[i+1]``), the relative columns (each RELATIVE feature minus its
    maximum over the product's candidates) and the top-rank indicators (rank r: exactly r candidates beat it)."""
    if not len(matrix):
        return np.zeros((0, len(ALL_FEATURES)))
    best, tops = best_and_tops(matrix, starts)
    base = matrix[:, _RELATIVE_COLUMNS]
    return np.hstack([matrix, base - best[:, _RELATIVE_COLUMNS], *(t.astype(np.float64) for t in tops[:TOP_RANKS])])


def best_and_tops(matrix: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per candidate, its product's best value of each feature, and whether it ranks first, and second (exactly one
    candidate beats it), by each feature."""
    lengths = np.diff(starts)
    group = np.repeat(np.arange(len(lengths)), lengths)
    firsts = starts[:-1][lengths > 0]
    slot = np.cumsum(lengths > 0)[group] - 1  # row -> its product among those with candidates
    best = np.maximum.reduceat(matrix, firsts, axis=0)[slot]
    is_best = matrix == best
    ties = np.add.reduceat(is_best.astype(np.int64), firsts, axis=0)[slot]
    second = np.maximum.reduceat(np.where(is_best, -np.inf, matrix), firsts, axis=0)[slot]
    return best, [is_best, (matrix == second) & (ties == 1)]
