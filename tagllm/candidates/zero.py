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

The confidence a user reads for the category is the best candidate's, and being the best is evidence the stacker does
not weigh: it is fitted on every candidate of a title, so the answers' probabilities run low in the middle bands
(docs/eval.md). The best candidate's confidence as an answer is therefore calibrated on its own
(``AnswerCalibration``, the file's ``answer`` entry, fitted by the same script on the answers to the training
titles), while every candidate keeps the stacker's probability: those weigh where a scoped attribute applies
(``tagllm.candidates.applies``), and a calibration of them all cost target-gender answers.

Chinese titles have a stacker of their own (the file's ``chinese`` entry, with its own answer calibration): the
default sentence embedder reads English, so label similarity means much in an English title and little in a Chinese
one. Fitted also on hand-labelled Shopify titles (``--cases``), the stacker for Latin-script titles leans on label
similarity and put OpenBG's top-1 from 0.689 to 0.582; the Chinese titles keep the stacker fitted on the three
catalogues alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.candidates.base import FacetData, FacetTables, expand_ragged
from tagllm.candidates.features import COLUMN
from tagllm.candidates.folded import predict_grouped
from tagllm.candidates.stacker import Stacker

ZERO_STACKER_PATH = Path(__file__).with_name("zero_stacker.json")
# With no examples, a value the text does not state is never as likely as one it states (see ``probabilities``).
UNSTATED_CAP = 0.05
SHARE_CLIP = 1e-4  # a best candidate's share of 0 or 1 read as this far inside (0, 1): a finite logit
CHINESE = "chinese"  # the file's entry holding the stacker (and answer calibration) for Chinese titles


@dataclass(frozen=True)
class AnswerCalibration:
    """The best category's confidence as an answer: a weighted mean of the stacker's probability and a logistic
    calibration of the best's share of the probability of it and its rivals (``best_and_rivals``: one category far
    ahead of the others is more often right than its probability alone says; several about as likely, less often;
    one with no rival at all, as often as its probability says: ``answer_share``) and of the best's own evidence
    (``evidence``: weights on its FEATURES columns, such as how fully the title's head noun names it).
    The share alone cannot tell a product whose kind the tree lacks: its best remaining candidate can lead its rivals
    by as much as a right one, and the answer was confident and wrong. How well the title's head names the best is
    what tells them apart, so the shipped calibration (``zero_stacker.json``) is fitted with "nothing fits" titles,
    whose gold branch is taken out of the tree (``benchmarks/zero_calibration.py``), and weighs that evidence.
    The default is the stacker's probability as it is; the shipped ones weigh it 0, so the answer's confidence is
    the calibration alone (no training catalogue's Brier score rose at 0: docs/eval.md, session s45)."""

    slope: float = 1.0
    intercept: float = 0.0
    stacker_weight: float = 1.0  # of the stacker's probability in the mean; 1: no calibration
    evidence: tuple[tuple[str, float], ...] = ()  # (FEATURES column, weight) of the best candidate's evidence

    def __call__(self, best: np.ndarray, total: np.ndarray, evidence: np.ndarray | None = None) -> np.ndarray:
        """The answers' confidences, from the best candidates' probabilities, the products' summed ones and the
        best candidates' evidence (products x FEATURES; None: read as no evidence)."""
        share = answer_share(best, total)
        z = self.slope * np.log(share / (1 - share)) + self.intercept
        if self.evidence and evidence is not None:
            columns = [COLUMN[name] for name, _ in self.evidence]
            z = z + evidence[:, columns] @ np.array([w for _, w in self.evidence])
        calibrated = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return self.stacker_weight * best + (1 - self.stacker_weight) * calibrated

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"share": [self.slope, self.intercept], "stacker_weight": self.stacker_weight}
        if self.evidence:
            data["evidence"] = dict(self.evidence)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AnswerCalibration:
        if not data:
            return cls()
        slope, intercept = (float(x) for x in data["share"])
        evidence = tuple((str(k), float(w)) for k, w in data.get("evidence", {}).items())
        return cls(slope, intercept, float(data["stacker_weight"]), evidence)


def answer_share(best: np.ndarray, total: np.ndarray) -> np.ndarray:
    """The best candidates' shares of the probability of them and their rivals (``best_and_rivals``), inside (0, 1).
    A best with no rival at all (a tree of one branch, a category its tree offers nothing beside) has no share to
    read: there the probability the stacker leaves off it, that the product is none of the tree's, is its rival, and
    its share is its own probability. Read over the candidates alone, that share was 1, and a kettle tagged against
    a tree of shirts was a shirt at confidence 1.00 (``tests/test_zero_confidence.py``)."""
    alone = total <= best
    share = np.where(alone, best, best / np.where(alone, 1.0, total))
    return np.clip(share, SHARE_CLIP, 1 - SHARE_CLIP)


@cache
def answer_calibration(chinese: bool = False) -> AnswerCalibration:
    """The shipped calibration of the best category's confidence, for Latin-script titles or Chinese ones (none
    when the shipped stacker is stale)."""
    if zero_example_stacker(chinese) is None:
        return AnswerCalibration()
    data = json.loads(ZERO_STACKER_PATH.read_text())
    return AnswerCalibration.from_json((data.get(CHINESE) or data if chinese else data).get("answer"))


def uses_zero_stacker(stacker: Stacker | None, data: FacetData) -> bool:
    """Whether a facet's candidates are scored by the shipped zero-example stacker: a hierarchical facet no example
    carries."""
    return stacker is None and data.tables.hierarchical and data.classes is None


def answer_confidences(
    probs: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    tables: FacetTables,
    n: int,
    chinese: np.ndarray | None = None,
    matrix: np.ndarray | None = None,
) -> np.ndarray:
    """Per product of ``n``, its best candidate's confidence as an answer (``AnswerCalibration``), from the
    candidates' probabilities ``probs`` of products ``rows`` at label-space positions ``values`` and their evidence
    ``matrix`` (candidates x FEATURES; ``chinese``: per product, whether its title is)."""
    best, total = best_and_rivals(probs, rows, values, tables, n)
    evidence = None if matrix is None else best_evidence(probs, rows, matrix, n)
    latin = answer_calibration()(best, total, evidence)
    if chinese is None or not chinese.any():
        return latin
    return np.where(chinese, answer_calibration(True)(best, total, evidence), latin)


def best_evidence(probs: np.ndarray, rows: np.ndarray, matrix: np.ndarray, n: int) -> np.ndarray:
    """Per product of ``n``, its most probable candidate's row of ``matrix`` (zeros for a product with none)."""
    out = np.zeros((n, matrix.shape[1]))
    if len(probs):
        firsts = best_candidates(probs, rows)
        out[rows[firsts]] = matrix[firsts]
    return out


def best_candidates(probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The position of each product's most probable candidate (products that have one, in ``rows``' order)."""
    order = np.lexsort((-probs, rows))  # by product, then most probable first
    return order[np.flatnonzero(np.r_[True, np.diff(rows[order]) != 0])]


def best_and_rivals(
    probs: np.ndarray, rows: np.ndarray, values: np.ndarray, tables: FacetTables, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per product of ``n`` (candidates in any order): its best candidate's probability, and the summed
    probability of the best and its rivals, every candidate but the best's ancestors. Each proposal's ancestors are
    candidates too (the threshold backs off to them), so on a deep tree the best's own branch fills the sum: on
    Shopify's tree the best's share of all candidates put the answers' confidence at 0.54 where 0.70 were right
    (``benchmarks/zero_calibration.py``), and read without its ancestors, one calibration fits the catalogues' shallow
    trees and Shopify's deep one better (docs/eval.md)."""
    best = np.zeros(n)
    if not len(probs):
        return best, np.zeros(n)
    firsts = best_candidates(probs, rows)
    best[rows[firsts]] = probs[firsts]
    lineage = expand_ragged(values[firsts], tables.lineage_ptr, tables.lineage)
    owners = np.repeat(rows[firsts].astype(np.int64), lineage.counts)  # keys as wide as the candidates' below
    ancestors = lineage.values != np.repeat(values[firsts], lineage.counts)
    size = len(tables.parent)
    ancestor_keys = owners[ancestors] * size + lineage.values[ancestors]
    rival = ~np.isin(rows.astype(np.int64) * size + values, ancestor_keys)
    return best, np.bincount(rows, weights=probs * rival, minlength=n)


@cache
def zero_example_stacker(chinese: bool = False) -> Stacker | None:
    """The shipped stacker for a hierarchical facet with no examples, for Latin-script titles or Chinese ones (the
    file's ``CHINESE`` entry, else the same); None when it was fitted over other features."""
    if not ZERO_STACKER_PATH.exists():
        return None
    data = json.loads(ZERO_STACKER_PATH.read_text())
    return Stacker.from_json(data.get(CHINESE) or data if chinese else data)


def probabilities(
    stacker: Stacker | None,
    data: FacetData,
    matrix: np.ndarray,
    starts: np.ndarray,
    chinese: np.ndarray | None = None,
) -> np.ndarray:
    """Each candidate's probability of being right (``matrix``: candidates x FEATURES, product i's rows
    ``starts[i]:starts[i+1]``): by the stacker fitted on the examples when there is one; for a hierarchical facet no
    example carries, by the shipped zero-example stacker (its Chinese one for the products ``chinese`` marks); for
    an attribute facet without a fitted stacker (no example
    carries it, or too few to fit and calibrate one: the hand-set weights' probabilities were never measured), the
    calibrated probability of what the text states (``tagllm.candidates.stated``), and a value it does not state at
    most ``UNSTATED_CAP`` (ranked by the default stacker, for a backend choosing among the candidates)."""
    if stacker is not None:
        return predict_grouped(stacker, matrix, starts)
    if uses_zero_stacker(stacker, data):
        probs = predict_grouped(zero_example_stacker() or Stacker.default(), matrix, starts)
        if chinese is None or not chinese.any():
            return probs
        rows = np.repeat(chinese, np.diff(starts))
        return np.where(rows, predict_grouped(zero_example_stacker(True) or Stacker.default(), matrix, starts), probs)
    probs = predict_grouped(Stacker.default(), matrix, starts)
    if data.tables.hierarchical:
        return probs
    stated = matrix[:, COLUMN["stated"]]
    return np.where(stated > 0, stated, np.minimum(probs, UNSTATED_CAP))


def keep_branches(probs: np.ndarray, keys: np.ndarray, outranked: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """The candidates' probabilities with no value on a branch the title does not state above its namesake's
    (``outranked``: the keys of such values and of the namesakes each loses to, ``head.Branches``; ``keys``: the
    candidates'). A stacker weighing the whole path's label similarity above the head's features sends "Women White
    Printed Shirt" to Maternity Shirts, nearer the title's "women" than Clothing Tops; where it does, the two values
    trade their probabilities, so the stacker's confidence that the product is a shirt stays and goes to the branch
    the title fits."""
    if outranked is None or not len(outranked[0]):
        return probs
    order = np.argsort(keys, kind="stable")
    probs = probs.copy()
    for loser, winner in zip(*(_rows_of(k, keys, order) for k in outranked), strict=True):
        if loser >= 0 and winner >= 0 and probs[loser] > probs[winner]:
            probs[loser], probs[winner] = probs[winner], probs[loser]
    return probs


def _rows_of(wanted: np.ndarray, keys: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The row in ``keys`` (sorted by ``order``) of each key in ``wanted``; -1 where it is no candidate."""
    at = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
    return np.where(keys[order][at] == wanted, order[at], -1)
