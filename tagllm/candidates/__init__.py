"""Candidate narrowing and scoring: per product and facet, the plausible taxonomy values with stacked evidence.

Each kind of evidence is a family, one module each (``FAMILIES`` in ``features`` lists them in column order):
neighbours' votes (``votes``), class centroids (``centroids``), naive Bayes (``bayes``), ridge regression on the
embeddings (``ridge``), similarity to the taxonomy's labels and paths (``labels``), mentions of a value's names in
the text (``mentions``) and the value's prior (``prior``). The scorer (``scorer``) unions the candidates the
families propose and stacks their columns; a logistic-regression stacker (``stacker``) turns them into the
probability that a value is right.
"""

from tagllm.candidates.features import ALL_FEATURES, FAMILIES, FEATURES, RELATIVE
from tagllm.candidates.scorer import CandidateScorer, Features
from tagllm.candidates.stacker import Stacker, expand

__all__ = ["ALL_FEATURES", "FAMILIES", "FEATURES", "RELATIVE", "CandidateScorer", "Features", "Stacker", "expand"]
