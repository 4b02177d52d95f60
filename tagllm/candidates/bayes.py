"""Naive Bayes: the posterior of a value under multinomial naive Bayes over which lexical features the text has.

A per-class discriminative reading of single words (a brand, "bracelet") that whole-text similarity dilutes. Its
class counts come from the index at load time, so nothing extra is stored. ``NaiveBayesEvidence`` reads every
lexical feature (character n-grams and words); ``WordNaiveBayesEvidence`` reads words and word pairs alone, where
English product types live, undiluted by character n-grams. Columns: the posterior (``nb``) and its logarithm
scaled to [-1, 0] (``nb_log``; -1 for values no example carries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from tagllm.candidates.base import Batch, Candidates, Classes, ClassFamily, Evidence, FacetData, binary, row_values
from tagllm.retrieval.lexical import WORD_OFFSET, FeatureMatrix

# The hashed vocabulary is large (char n-grams and words), so the add-alpha smoothing must be small; 0.01 was best on
# both English and Chinese data among 0.003-0.3.
NB_ALPHA = 0.01
NB_LOG_FLOOR = -30.0  # log-posteriors below this say "not this class" equally; the feature is scaled to [-1, 0]


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes over which lexical features a text has (presence, not weight), per class."""

    sums: sp.csr_matrix  # per class, how many of its examples have each feature (sorted indices)
    log_counts: FeatureMatrix  # log1p(sums / alpha)
    norm: np.ndarray  # log(feature occurrences in the class + alpha * vocabulary)
    counts: np.ndarray  # examples per class

    @classmethod
    def fit(cls, y: sp.csr_matrix, binary: sp.csr_matrix, counts: np.ndarray) -> NaiveBayes:
        sums = (y.T @ binary).tocsr()
        sums.sort_indices()
        log_counts = sums.copy()
        log_counts.data = np.log1p(log_counts.data / NB_ALPHA)
        vocabulary = max(len(np.unique(sums.indices)), 1)
        norm = np.log(np.asarray(sums.sum(axis=1)).ravel() + NB_ALPHA * vocabulary)
        return cls(sums, FeatureMatrix(log_counts), norm, counts)

    def log_likelihood(self, binary: sp.csr_matrix) -> np.ndarray:
        """log P(class) + log P(features | class), per row and class (up to a per-row constant)."""
        present = np.diff(binary.indptr).astype(np.float64)
        prior = np.log(self.counts / self.counts.sum())
        return self.log_counts.dot(binary).astype(np.float64) - present[:, None] * self.norm[None, :] + prior

    def leave_out(self, features: np.ndarray, c: int, copies: int = 1) -> float:
        """``log_likelihood`` for class ``c`` of one of its examples (present ``features``), that example (and its
        copies: ``copies`` examples of class ``c`` with the same features in all) left out."""
        rest = np.maximum(row_values(self.sums, c, features) - copies, 0.0)
        norm = math.exp(self.norm[c]) - copies * len(features)
        value = float(np.log1p(rest / NB_ALPHA).sum()) - len(features) * math.log(max(norm, 1e-9))
        return value + math.log(max(self.counts[c] - copies, 1e-3) / self.counts.sum())


def log_posterior(log_likelihood: np.ndarray) -> np.ndarray:
    """Per row, log-likelihoods normalised into log-probabilities over the classes."""
    out = log_likelihood - log_likelihood.max(axis=1, keepdims=True)
    return out - np.log(np.exp(out).sum(axis=1, keepdims=True))


class NaiveBayesEvidence(ClassFamily):
    columns: ClassVar[tuple[str, ...]] = ("nb", "nb_log")
    relative: ClassVar[tuple[str, ...]] = ("nb_log",)
    words_only: ClassVar[bool] = False  # read words and word pairs alone

    def __init__(self, data: FacetData, classes: Classes) -> None:
        super().__init__(data, classes)
        assert data.index is not None
        self.model = NaiveBayes.fit(classes.y, self._features(binary(data.index.lexical_matrix)), classes.counts)

    @classmethod
    def build(cls, data: FacetData) -> NaiveBayesEvidence | None:
        return cls(data, data.classes) if data.classes is not None else None

    def _features(self, present: sp.csr_matrix) -> sp.csr_matrix:
        return present[:, WORD_OFFSET:].tocsr() if self.words_only else present

    def read(self, batch: Batch) -> Evidence:
        present = self._features(batch.binary)
        likelihood = self.model.log_likelihood(present)
        if batch.exclude is not None:  # leave the example and its copies out of their classes' counts
            for i in range(len(batch.exclude)):
                features = present.indices[present.indptr[i] : present.indptr[i + 1]]
                for c, m in self.left_out_classes(batch, i).items():
                    likelihood[i, c] = self.model.leave_out(features, c, m)
        logpost = log_posterior(likelihood)

        def columns(candidates: Candidates) -> np.ndarray:
            known, r, c = self.known(candidates)
            out = np.zeros((len(candidates), 2))
            out[known, 0] = np.exp(logpost[r, c])
            out[known, 1] = np.maximum(logpost[r, c], NB_LOG_FLOOR) / -NB_LOG_FLOOR
            out[~known, 1] = -1.0
            return out

        return Evidence(self.proposals([logpost - logpost.min(axis=1, keepdims=True)]), columns)


class WordNaiveBayesEvidence(NaiveBayesEvidence):
    columns = ("nb_word", "nb_word_log")
    relative = ("nb_word_log",)
    words_only = True
