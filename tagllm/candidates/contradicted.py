"""A value the text names that the examples' words and neighbours contradict goes below the runner-up they back.

Out of fold, a single-valued facet's sole mentions (the only value of the facet the text names) are nearly always
right (Flipkart's Type: 122 of 122 held out from 0.9), so the fitted stacker learns to follow them. A linear stacker
cannot then tell "stated" from "stated, and contradicted by everything else": "Decorative" for a "... Decorative Iron
Wood Musician ... Showpiece" (gold Type Ethnic), "Paper" for "Paper Mache ... Showpiece", "Bath" for "Bed & Bath
Cotton Floral Double Bedsheet" (gold Flat), each a sole mention whose linear text evidence (``lex_linear``, a
classifier over the examples' words) is below zero and for which at most one neighbour of the 25 votes. The word
names something else there (a use, a maker's technique, a shop's range), and the runner-up is the answer.

The runner-up must itself be backed by the examples' words (``lex_linear`` above zero): without that, the rule also
demoted right sole mentions that the words merely do not back (where no value has positive linear evidence), and
Flipkart's Sleeve lost right answers at all three seeds and Pattern at one (benchmarks/attributes.py
--sections flipkart, docs/eval.md). The mention is only moved below the runner-up, its probability lowered to a hair
under the runner-up's: no candidate is raised, so no confidence is made larger than the stacker gave it.
"""

from __future__ import annotations

import numpy as np

from tagllm.candidates.calibration import SOLE, how_stated
from tagllm.candidates.features import COLUMN

# a neighbour vote is a share of the k neighbours (k 25 by default, one neighbour 0.04): "at most one votes for it"
MAX_VOTE = 0.05
BELOW = 1 - 1e-3  # the demoted mention's probability, as a share of the runner-up's


def demote_contradicted(probs: np.ndarray, matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``probs`` with each product's best candidate put just below its runner-up where the best is ``contradicted``
    and the examples' words back the runner-up (its linear text evidence above zero); ``matrix``: candidates x
    FEATURES, product i's rows ``starts[i]:starts[i+1]``."""
    out = probs.copy()
    for lo, hi in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        if hi - lo < 2:
            continue
        order = lo + np.argsort(-probs[lo:hi], kind="stable")
        best, runner_up = int(order[0]), int(order[1])
        if contradicted(matrix[best]) and matrix[runner_up, COLUMN["lex_linear"]] > 0:
            out[best] = min(out[best], out[runner_up] * BELOW)
    return out


def contradicted(row: np.ndarray) -> bool:
    """Whether a candidate's evidence (a row of FEATURES) is a sole mention (``how_stated`` SOLE) that the examples'
    words do not back (linear text evidence below zero) and that at most one neighbour votes for, by the embeddings
    or by the words."""
    return (
        how_stated(float(row[COLUMN["stated"]])) == SOLE
        and row[COLUMN["lex_linear"]] < 0
        and row[COLUMN["emb_vote"]] <= MAX_VOTE
        and row[COLUMN["lex_vote"]] <= MAX_VOTE
    )
