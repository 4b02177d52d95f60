"""The stacker for a category no example carries: fitted once, offline, on titles of three catalogues against their
own category trees, and shipped with tagllm (``zero_stacker.json``).

With no examples there is nothing to fit a stacker on at run time, yet the retrieval backend keeps a value when it
is more likely right than wrong and a user reads a tag's confidence as that probability. Hand-set weights give
scores that mean nothing; these weights are a logistic regression from the evidence that needs no examples (label
and path similarity, mentions, the title's head) to whether a candidate is the gold category, fitted on the
training parts of Flipkart, OpenBG and the Myntra fashion catalogue with no example index, and checked on held-out
products (reliability table: ``python benchmarks/attributes.py --sections zero-category``). Refit it with
``python benchmarks/zero_calibration.py --data ../shared/data --write`` when the evidence families change: a file
fitted over other features is not used (the hand-set default stacker is, and a test says the file is stale).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from tagllm.candidates.base import FacetData
from tagllm.candidates.features import COLUMN
from tagllm.candidates.folded import predict_grouped
from tagllm.candidates.stacker import Stacker

ZERO_STACKER_PATH = Path(__file__).with_name("zero_stacker.json")
# With no examples, a value the text does not state is never as likely as one it states (see ``probabilities``).
UNSTATED_CAP = 0.05


@cache
def zero_example_stacker() -> Stacker | None:
    """The shipped stacker for a hierarchical facet with no examples; None when it was fitted over other features."""
    if not ZERO_STACKER_PATH.exists():
        return None
    return Stacker.from_json(json.loads(ZERO_STACKER_PATH.read_text()))


def probabilities(stacker: Stacker | None, data: FacetData, matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each candidate's probability of being right (``matrix``: candidates x FEATURES, product i's rows
    ``starts[i]:starts[i+1]``): by the stacker fitted on the examples when there is one; for a hierarchical facet no
    example carries, by the shipped zero-example stacker; for an attribute facet without a fitted stacker (no example
    carries it, or too few to fit and calibrate one: the hand-set weights' probabilities were never measured), the
    calibrated probability of what the text states (``tagllm.candidates.stated``), and a value it does not state at
    most ``UNSTATED_CAP`` (ranked by the default stacker, for a backend choosing among the candidates)."""
    if stacker is not None:
        return predict_grouped(stacker, matrix, starts)
    if data.tables.hierarchical and data.classes is None:
        return predict_grouped(zero_example_stacker() or Stacker.default(), matrix, starts)
    probs = predict_grouped(Stacker.default(), matrix, starts)
    if data.tables.hierarchical:
        return probs
    stated = matrix[:, COLUMN["stated"]]
    return np.where(stated > 0, stated, np.minimum(probs, UNSTATED_CAP))
