"""The evidence families the scorer stacks, in column order, and the feature names they make.

A new family is a module with a ``Family`` subclass, added to FAMILIES. Appending keeps the other columns where they
are; an index's saved stackers list their features, so one fitted over other features is refitted on load.
"""

from __future__ import annotations

from tagllm.candidates.base import Family
from tagllm.candidates.bayes import NaiveBayesEvidence, WordNaiveBayesEvidence
from tagllm.candidates.centroids import ClassCentroids
from tagllm.candidates.head import HeadNoun
from tagllm.candidates.labels import LabelSimilarity, PathSimilarity
from tagllm.candidates.linear import LinearEvidence
from tagllm.candidates.mentions import Mentions
from tagllm.candidates.photos import PhotoEvidence
from tagllm.candidates.prior import Prior
from tagllm.candidates.ridge import RidgeEvidence
from tagllm.candidates.stated import StatedValues
from tagllm.candidates.votes import NeighbourVotes

FAMILIES: tuple[type[Family], ...] = (
    NeighbourVotes,
    ClassCentroids,
    LabelSimilarity,
    Mentions,
    Prior,
    NaiveBayesEvidence,
    PathSimilarity,
    WordNaiveBayesEvidence,
    RidgeEvidence,
    PhotoEvidence,
    StatedValues,
    HeadNoun,
    LinearEvidence,
)
FEATURES = tuple(name for family in FAMILIES for name in family.columns)
COLUMN = {name: i for i, name in enumerate(FEATURES)}
# Each of these also enters relative to the product's best candidate (value - max), which lets a per-candidate
# logistic regression rank candidates against each other instead of judging each one alone.
RELATIVE = tuple(name for family in FAMILIES for name in family.relative)
# Each feature also says whether the candidate is the product's best or second best by it (ties share the rank):
# a per-candidate linear model cannot otherwise express "most signals put this candidate first".
TOP_RANKS = 2
ALL_FEATURES = (
    FEATURES
    + tuple(f"{f}_rel" for f in RELATIVE)
    + tuple(f"{f}_rank{r + 1}" for r in range(TOP_RANKS) for f in FEATURES)
)
# Used when a facet has too few labelled examples to fit the stacker: votes and label evidence count, roughly
# in the proportions the fitted stackers settle on for both English and Chinese data.
DEFAULT_WEIGHTS = {name: w for family in FAMILIES for name, w in family.default_weights.items()}
