"""A facet's scored candidates as the ``Candidate`` objects a result shows: per product, the most probable first,
each with its probability and its nonzero evidence.

Everything up to the objects themselves is done over the whole batch with array operations (the order, the cut
at ``max_candidates``, the rounding, the nonzero evidence); what is left per candidate is the object and its
evidence dict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tagllm.candidates.features import FEATURES
from tagllm.models import Candidate

if TYPE_CHECKING:
    from tagllm.candidates.scorer import Features

_FEATURE_NAMES = np.array(FEATURES, dtype=object)


def ranked_candidates(
    features: Features,
    probs: np.ndarray,
    given: np.ndarray,
    weights: np.ndarray | None,
    labels: tuple[np.ndarray, np.ndarray],
    max_candidates: int,
) -> list[list[Candidate]]:
    """Per product of the batch, its candidates by ``probs`` (then by ``given``, the probability if the facet
    applies: where it applies nowhere, all ``probs`` are 0), at most ``max_candidates``; ``weights``: how much the
    facet applies to each candidate (shown as its ``applies`` evidence), None for a facet that applies everywhere;
    ``labels``: the value ids and names by label-space position, as object arrays."""
    starts = features.starts
    order = np.lexsort((-given, -probs, features.rows))
    rank = np.arange(len(order)) - starts[features.rows[order]]
    chosen = order[rank < max_candidates]
    bounds = np.searchsorted(features.rows[chosen], np.arange(features.n + 1)).tolist()
    positions = features.values[chosen]
    ids, names = labels[0][positions].tolist(), labels[1][positions].tolist()
    scores = np.round(probs[chosen], 6).tolist()
    # evidence: each candidate's nonzero features, as one flat list cut per candidate
    evidence = np.round(features.matrix[chosen], 4)
    where, column = np.nonzero(evidence)
    cuts = np.searchsorted(where, np.arange(len(chosen) + 1)).tolist()
    keys = _FEATURE_NAMES[column].tolist()
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
    if weights is not None:
        for j, weight in enumerate(weights[chosen].tolist()):
            candidates[j].evidence["applies"] = round(weight, 4)
    return [candidates[bounds[i] : bounds[i + 1]] for i in range(features.n)]
