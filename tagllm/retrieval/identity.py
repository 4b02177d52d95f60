"""A model's identity in an index's manifest, beside its name (a directory another model can be saved into): its
vector of a fixed test input, sketched and rounded, and whether another run's sketch is that model's.

The sketch projects the whole vector on a few fixed random directions: a vector's first components alone can all be
0 (a sparse hashing vector's were, and every index built with one was refused as another model's). A GPU's or
another machine's rounding leaves the cosine far above ``MIN_COSINE``; another model's does not."""

from __future__ import annotations

from typing import Any

import numpy as np

COMPONENTS = 16
MIN_COSINE = 0.99


def sketch(vector: Any) -> list[float]:
    """``vector`` projected on ``COMPONENTS`` fixed random directions, rounded to 5 decimals (JSON-sized)."""
    values = np.asarray(vector, np.float64).ravel()
    directions = np.random.default_rng(0).standard_normal((values.shape[0], COMPONENTS))
    return [round(float(x), 5) for x in values @ directions]


def same_model(recorded: list[float], now: list[float]) -> bool:
    """Whether the sketch ``now`` is the recorded one's model's (a zero sketch is alike only to another)."""
    a, b = np.asarray(recorded, np.float64), np.asarray(now[: len(recorded)], np.float64)
    if a.shape != b.shape:
        return False
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms < 1e-12:
        return not a.any() and not b.any()
    return float(a @ b) / norms >= MIN_COSINE
