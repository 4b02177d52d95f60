"""The stacker's probabilities without the expanded rows (``predict_grouped``) equal ``predict(expand(...))``."""

from __future__ import annotations

import numpy as np
import pytest

from tagllm.candidates.calibration import Calibration
from tagllm.candidates.features import ALL_FEATURES, FEATURES
from tagllm.candidates.folded import predict_grouped
from tagllm.candidates.stacker import Stacker, expand


def _batch(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Candidates of 40 products (some with none, some with one), with ties: values drawn from a few levels."""
    lengths = rng.integers(0, 12, size=40)
    lengths[:3] = (0, 1, 0)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    matrix = rng.choice([-1.0, 0.0, 0.25, 0.5, 1.0], size=(int(starts[-1]), len(FEATURES)))
    matrix += rng.random(matrix.shape) * (rng.random(matrix.shape) < 0.5)
    return matrix, starts


def _stacker(rng: np.random.Generator, *, bounds: bool, calibration: Calibration) -> Stacker:
    n = len(ALL_FEATURES)
    low = high = None
    if bounds:  # ranges that cut into the evidence, and some rank indicators never seen at 1 (or at 0)
        low, high = rng.uniform(-0.5, 0.3, n), rng.uniform(0.4, 1.2, n)
        high[rng.random(n) < 0.2] = 0.0
        low[rng.random(n) < 0.2] = 1.0
        low = np.minimum(low, high)
    return Stacker(
        rng.normal(size=n), float(rng.normal()), rng.normal(size=n) * 0.1, rng.uniform(0.5, 2.0, n),
        low=low, high=high, calibration=calibration,
    )  # fmt: skip


@pytest.mark.parametrize("bounds", [False, True])
@pytest.mark.parametrize("calibration", [Calibration(), Calibration(0.7, -0.3)])
def test_predict_grouped_equals_predict_of_expanded_rows(bounds: bool, calibration: Calibration) -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        matrix, starts = _batch(rng)
        stacker = _stacker(rng, bounds=bounds, calibration=calibration)
        expected = stacker.predict(expand(matrix, starts))
        np.testing.assert_allclose(predict_grouped(stacker, matrix, starts), expected, rtol=1e-12, atol=1e-15)


def test_predict_grouped_of_no_candidates() -> None:
    empty = np.zeros((0, len(FEATURES)))
    assert predict_grouped(Stacker.default(), empty, np.zeros(4, np.int64)).shape == (0,)
