"""Fitting the candidate scorer's stackers (``CandidateScorer.fit``): evidence over a sample of the index's own
examples, then one stacker per facet, with progress counted in batches and facets.

Each sampled example is scored as a new product would be: its evidence leaves it out together with its copies (the
examples sharing its normalised text: a listing's colour and size variants under one title), which a new listing
does not find in the index. What an attribute's calibration reads is made to match new products in two more ways
(``tagllm.candidates.calibration``): a value that no example besides the product's own copies carries counts as
unseen (an index whose taxonomy was learned from its examples would not have that value at all, so a new product
with it cannot be answered right), and copies are one group for the keep probability's lower bound (their answers
are one answer repeated, not independent ones) unless they have photos (a photo tells variants apart). And an
example that carries the facet with a value the taxonomy lacks (a rare value left out when the facets were learned,
``AttributeResolver.resolve``) teaches the facet with every candidate wrong: new products carry such values too, and
reading only the examples whose value is in the taxonomy was optimistic: on a held-out quarter of Flipkart, of the
83 wrong best answers the title does not state at a confidence of 0.7 or more, 20 had a gold value that the taxonomy
learned from the training part lacks (Type: 7 of 7).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tagllm.candidates.calibration import fitting_rows
from tagllm.candidates.stacker import Stacker, expand

if TYPE_CHECKING:
    from tagllm.candidates.base import Classes, FacetTables
    from tagllm.candidates.scorer import CandidateScorer, Features

MIN_EXAMPLES_TO_FIT = 30
# Leave-one-out products the stackers are fitted on: every example, at most 4,000. An attribute's keep probability is
# a lower bound over the facet's out-of-fold answers, so more answers lower it where the facet is reliable. Measured
# (benchmarks/attributes.py, held-out fashion, 3,000 training products): 1,000 rows keep Season from 0.85 (precision
# 0.936, coverage 0.363, micro-F1 over facets 0.858), all 3,000 from 0.83 (0.917, 0.460, 0.872), the index built in
# 77.6 s against 66.5 s. For the category, measured on Flipkart before the word naive Bayes and path features (3
# seeds): from 12,593 examples 2,000 rows give 0.921 leaf accuracy and 4,000 give 0.923.
STACKER_SAMPLE = 4000


@dataclass
class _Evidence:
    """Per facet, the sampled products' candidate rows: evidence, whether the candidate is a gold value, its product
    (a position in the sample), its value (a label-space position) and whether its value is unseen (no example but the
    product's copies carries it); ``products`` counts the products that taught the facet."""

    xs: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    ys: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    of: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    values: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    unseen: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    products: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, scorer: CandidateScorer, part: list[int], start: int, copies: list[list[int]]) -> None:
        """The candidates of the examples ``part`` (the sample's rows from ``start``; ``copies``: each one's copies,
        itself included) in every facet."""
        index = scorer.index
        assert index is not None
        texts = [index.examples[j].text() for j in part]
        images = index.images.batch(part) if index.images is not None else None
        batch = scorer.prepare(texts, index.vectors[part], part, index.lexical_matrix[part], images, copies)
        for facet in scorer.facets:
            features = scorer.features(batch, facet)
            gold = scorer.gold_keys(facet, part, features.n_values)
            # only products that carry the facet (and have some candidate) teach its stacker, those whose value the
            # taxonomy lacks included (listed with no value id): every candidate of theirs is wrong
            carried = np.array([facet in index.examples[j].labels for j in part], dtype=bool)
            labelled = carried[features.rows]
            if not labelled.any():
                continue
            keys = features.rows * features.n_values + features.values
            data = scorer._facet(facet).data
            self.xs[facet].append(expand(features.matrix, features.starts)[labelled])
            self.ys[facet].append(np.isin(keys, gold)[labelled].astype(np.int8))
            self.of[facet].append(features.rows[labelled] + start)
            self.values[facet].append(features.values[labelled])
            self.unseen[facet].append(unseen_values(features, data.tables, data.classes, copies)[labelled])
            self.products[facet] += len(np.unique(features.rows[labelled]))


def fit_stackers(
    scorer: CandidateScorer,
    *,
    sample: int | None = None,
    seed: int = 0,
    batch_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Stacker]:
    """A stacker per facet of ``scorer`` with enough labelled examples, fitted over a sample of its index
    (``STACKER_SAMPLE``). ``progress(done, total)`` counts steps: each batch of sampled examples whose evidence is
    computed, then each facet whose stacker is fitted (or skipped, with too few examples)."""
    index = scorer.index
    if index is None:
        return {}
    if sample is None:
        sample = min(len(index), STACKER_SAMPLE)
    rows, copies, folds = fitting_rows([e.text() for e in index.examples], sample, np.random.default_rng(seed))
    # copies share a group (the first of them), unless the example has a photo: copies' photos are other photos
    groups = np.array([c[0] for c in copies], dtype=np.int64)
    if index.images is not None:
        has_photo = index.images.position[rows] >= 0
        groups[has_photo] = rows[has_photo]
    starts = range(0, len(rows), batch_size)
    steps = iter(range(len(starts) + len(scorer.facets) + 1))
    total = len(starts) + len(scorer.facets)

    def step() -> None:
        done = next(steps)
        if progress:
            progress(done, total)

    step()
    evidence = _Evidence()
    for start in starts:
        evidence.add(scorer, rows[start : start + batch_size].tolist(), start, copies[start : start + batch_size])
        step()
    stackers = {}
    for facet in scorer.facets:
        stacker = _fit_facet(scorer, facet, evidence, folds, groups)
        if stacker is not None:
            stackers[facet] = stacker
        step()
    return stackers


def _fit_facet(
    scorer: CandidateScorer, facet: str, evidence: _Evidence, folds: np.ndarray, groups: np.ndarray
) -> Stacker | None:
    if evidence.products[facet] < MIN_EXAMPLES_TO_FIT:
        return None
    # float32 rows: the solver's X'WX products take half the time (0.17 s against 0.40 s for 48k rows), and the
    # weights agree with a float64 fit to 1e-5
    x = np.vstack(evidence.xs[facet], dtype=np.float32)
    y, of_rows = np.concatenate(evidence.ys[facet]), np.concatenate(evidence.of[facet])
    fitted_on = evidence.products[facet]
    if scorer.taxonomy.facets[facet].hierarchical:
        stacker = Stacker.fit(x, y, fitted_on=fitted_on, k=scorer.k, inputs=scorer.inputs)
        if stacker is not None:
            stacker.target_precision = scorer.target_precision  # what the index was fitted for, read on load
        return stacker
    # an attribute: its confidence calibrated and its keep probability measured out of fold
    return Stacker.fit_calibrated(
        x, y, of_rows, folds=folds, groups=groups, unseen=np.concatenate(evidence.unseen[facet]),
        values=np.concatenate(evidence.values[facet]),
        multi_valued=scorer.taxonomy.facets[facet].multi_valued,
        fitted_on=fitted_on, k=scorer.k, inputs=scorer.inputs, target_precision=scorer.target_precision,
    )  # fmt: skip


def unseen_values(
    features: Features, tables: FacetTables, classes: Classes | None, copies: list[list[int]]
) -> np.ndarray:
    """Per candidate, whether its value is carried by no example besides the product's copies (``copies[row]``)."""
    out = np.zeros(len(features.values), dtype=bool)
    if classes is None:
        return out
    value_class = tables.value_class[features.values]
    for i, members in enumerate(copies):
        own = Counter(c for e in members for c in classes.example_classes[e])
        only = [c for c, m in own.items() if classes.counts[c] <= m]
        if only:
            lo, hi = np.searchsorted(features.rows, [i, i + 1])
            out[lo:hi] = np.isin(value_class[lo:hi], only)
    return out
