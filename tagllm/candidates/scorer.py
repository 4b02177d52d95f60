"""The candidate scorer: per product and facet, the values that some evidence family proposes, their evidence
columns side by side, and the stacker's probability that each is right.

The stacker is fitted when the index is built, by leave-one-out over its own examples (votes, centroids and naive
Bayes counts all leave the example out exactly); besides the raw evidence it sees each value relative to the
product's best candidate and whether the candidate ranks first or second by it. Fitting on the user's examples is
what lets one method lean on the lexical side for Chinese (where the default English embedder is weak) and on the
embeddings for English.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from tagllm.candidates.applies import beside_weights, is_scoped, uncertain_weights, unlisted_weights, value_weights
from tagllm.candidates.base import (
    Batch,
    Candidates,
    Classes,
    FacetData,
    FacetTables,
    Family,
    Shared,
    expand_ragged,
    values_at,
)
from tagllm.candidates.calibration import TARGET_PRECISION, Keep
from tagllm.candidates.contradicted import demote_contradicted
from tagllm.candidates.features import FAMILIES, FEATURES
from tagllm.candidates.ranked import ranked_candidates
from tagllm.candidates.stacker import Stacker
from tagllm.candidates.stated import UNLISTED_BESIDE_PROBABILITY
from tagllm.candidates.zero import answer_confidences, keep_branches, probabilities, uses_zero_stacker
from tagllm.models import Candidate
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.image_index import ImageBatch
from tagllm.retrieval.index import ExampleIndex, Hits
from tagllm.retrieval.labels import LabelSpace
from tagllm.retrieval.lexical import hash_counts
from tagllm.taxonomy import CATEGORY, Taxonomy
from tagllm.text import has_cjk, normalize
from tagllm.threads import one_thread


@dataclass
class Features:
    """A batch's candidates, sorted by product: ``rows[j]`` is the product, ``values[j]`` its label-space position,
    ``matrix[j]`` its evidence (FEATURES); product i's candidates are ``starts[i]:starts[i+1]``."""

    rows: np.ndarray
    values: np.ndarray
    matrix: np.ndarray
    n: int
    ids: list[str]  # label-space position -> value id

    @property
    def n_values(self) -> int:
        return len(self.ids)

    @property
    def starts(self) -> np.ndarray:
        return np.searchsorted(self.rows, np.arange(self.n + 1))


@dataclass
class _Facet:
    """One facet's data and its families (None where a family has nothing to say: its columns stay 0)."""

    data: FacetData
    families: list[Family | None]
    labels: tuple[np.ndarray, np.ndarray]  # value ids and names by label-space position (object arrays)


@dataclass
class CandidateScorer:
    """Scores candidate values for products, facet by facet; ``fit`` learns the stackers from the index."""

    taxonomy: Taxonomy
    index: ExampleIndex | None
    embedder: Embedder
    facets: list[str]
    k: int = 10
    inputs: tuple[str, ...] = ("text", "image")  # what families may read (``Family.reads``)
    target_precision: float = TARGET_PRECISION  # what an attribute's kept values aim at (``Keep``)
    stackers: dict[str, Stacker] = field(default_factory=dict)
    _labels: dict[str, LabelSpace] = field(default_factory=dict, repr=False)
    _facets: dict[str, _Facet] = field(default_factory=dict, repr=False)
    _shared: Shared = field(default_factory=Shared, repr=False)  # what every facet's families derive alike

    def label_space(self, facet: str) -> LabelSpace:
        if facet not in self._labels:
            self._labels[facet] = LabelSpace(self.taxonomy, facet, self.embedder, self._lexical_model())
        return self._labels[facet]

    def tables(self, facet: str) -> FacetTables:
        """The facet's lookups over label-space positions (a candidate's ``values`` index them)."""
        return self._facet(facet).data.tables

    def _lexical_model(self) -> Any:
        if self.index is not None:
            return self.index.lexical
        from tagllm.retrieval.lexical import LexicalModel

        return LexicalModel()

    def warm(self, facet: str) -> None:
        """Build the facet's label space, tables and evidence families now rather than in the first batch.

        The tables are built on one BLAS thread, as a batch is scored (``tagllm.threads``): on a busy machine
        OpenBLAS's threads wait for each other. Flipkart's category tables over 3,000 examples, 6 builds each way
        alternating in one process (2 cores, load average 5.3): median 1.44 s of wall time and 0.98 s of CPU with
        the default threads (0.88-4.38 s), 0.60 s and 0.40 s with one (0.54-0.72 s). The labels are embedded
        before, outside that limit: the encoder keeps its threads."""
        self.label_space(facet)
        with one_thread():
            self._facet(facet)

    def _facet(self, facet: str) -> _Facet:
        """The facet's data and families, built on first use."""
        if facet not in self._facets:
            space = self.label_space(facet)
            classes = Classes.build(self.index, facet)
            tables = FacetTables.build(self.taxonomy, facet, space, classes, self.index)
            data = FacetData(
                self.taxonomy, facet, space, tables, classes, self.index, self.k, self.embedder, self._shared
            )
            families = [family.build(data) if family.reads in (None, *self.inputs) else None for family in FAMILIES]
            names = [self.taxonomy.values[v].name for v in space.ids]
            self._facets[facet] = _Facet(data, families, (np.array(space.ids, object), np.array(names, object)))
        return self._facets[facet]

    # -- scoring ---------------------------------------------------------------------------------------------------
    def prepare(
        self,
        texts: Sequence[str],
        emb: np.ndarray,
        exclude: list[int] | None = None,
        lex: sp.csr_matrix | None = None,
        images: ImageBatch | None = None,
        copies: list[list[int]] | None = None,
    ) -> Batch:
        texts = list(texts)
        normalized = [normalize(t) for t in texts]
        if lex is None:
            lexical = self._lexical_model()
            lex = lexical.weigh(hash_counts(normalized))
        # neighbours the evidence leaves out (fitting: the example itself and its copies) are searched for beyond k
        extra = 0 if exclude is None else max(map(len, copies), default=1) if copies is not None else 1
        if self.index is not None and len(self.index) and self.k:
            emb_hits = self.index.search(emb, self.k + extra)
            lex_hits = self.index.lexical_search(lex, self.k + extra)
        else:
            empty = Hits(np.zeros((len(texts), 0), np.float32), np.zeros((len(texts), 0), np.int64))
            emb_hits = lex_hits = empty
        return Batch(emb, lex, emb_hits, lex_hits, texts, normalized, exclude, images, copies)

    def features(self, batch: Batch, facet: str) -> Features:
        """The candidate values of every product of the batch and their evidence (candidates x FEATURES)."""
        state = self._facet(facet)
        space, tables = state.data.space, state.data.tables
        n, size = len(batch.texts), space.size
        if not size:
            return Features(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(FEATURES))), n, [])
        readings = [family.read(batch) if family is not None else None for family in state.families]
        keys = [np.zeros(0, np.int64)] + [k for r in readings if r is not None for k in r.proposals]
        unique = np.unique(np.concatenate(keys))
        if tables.hierarchical:  # a candidate's ancestors are candidates too: the threshold backs off to them
            rows, values = np.divmod(unique, size)
            lineage = expand_ragged(values, tables.lineage_ptr, tables.lineage)
            unique = np.unique(np.repeat(rows, lineage.counts) * size + lineage.values)
        candidates = Candidates(unique, size)
        matrix = np.zeros((len(candidates), len(FEATURES)))
        start = 0
        for family, reading in zip(FAMILIES, readings, strict=True):
            if reading is not None:
                matrix[:, start : start + len(family.columns)] = reading.columns(candidates)
            start += len(family.columns)
        return Features(candidates.rows, candidates.values, matrix, n, space.ids)

    def score(
        self,
        texts: Sequence[str],
        emb: np.ndarray,
        *,
        max_candidates: int = 20,
        batch: Batch | None = None,
        images: ImageBatch | None = None,
    ) -> tuple[Batch, list[dict[str, list[Candidate]]]]:
        """Ranked candidates per product and facet, each with its probability and evidence (``images``: the
        products' photos, see ``tagllm.retrieval.image_index``)."""
        batch = batch or self.prepare(texts, emb, images=images)
        result: list[dict[str, list[Candidate]]] = [{} for _ in batch.texts]
        categories: list[list[Candidate]] | None = None
        answers = None  # the best category's confidence as an answer, where the zero-example stacker scored it
        chinese = np.array([has_cjk(text) for text in batch.texts], dtype=bool)
        for facet in self._scoring_order():
            features = self.features(batch, facet)
            data = self._facet(facet).data
            probs = probabilities(self.stackers.get(facet), data, features.matrix, features.starts, chinese)
            if self._demotes_contradicted(facet):
                probs = demote_contradicted(probs, features.matrix, features.starts)
            keys = features.rows.astype(np.int64) * data.space.size + features.values
            probs = keep_branches(probs, keys, batch.outranked.get(facet))
            if facet == CATEGORY and uses_zero_stacker(self.stackers.get(facet), data):
                answers = answer_confidences(
                    probs, features.rows, features.values, data.tables, features.n, chinese, features.matrix
                )
            weights, given = None, probs  # given: the probability if the facet applies
            if is_scoped(self.taxonomy, facet):
                if categories is None:  # category first: its candidates say where each facet applies
                    categories = [facets.get(CATEGORY, []) for facets in result]
                weights = value_weights(self.taxonomy, facet, features.ids, categories, features.rows, features.values)
                stated, outright = batch.unlisted.get(facet, (np.zeros(0, np.int64), np.zeros(0)))
                if stated.size and self.stackers.get(facet) is None:  # no examples: what the text states
                    outright = values_at(stated, outright, keys)
                    weights = unlisted_weights(
                        self.taxonomy, facet, categories, features.rows, outright, given, weights
                    )
                stated, beside = batch.beside.get(facet, (np.zeros(0, np.int64), np.zeros(0)))
                if stated.size and self.stackers.get(facet) is None:
                    beside = values_at(stated, beside, keys)
                    weights = beside_weights(
                        self.taxonomy, facet, features.ids, categories, features.rows, features.values, beside, given,
                        weights, UNLISTED_BESIDE_PROBABILITY,
                    )  # fmt: skip
                    weights = uncertain_weights(
                        self.taxonomy, facet, features.ids, categories, features.rows, features.values, beside, weights
                    )
                probs = probs * weights
            ranked = ranked_candidates(features, probs, given, weights, self._facet(facet).labels, max_candidates)
            for i, candidates in enumerate(ranked):
                result[i][facet] = candidates
            if facet == CATEGORY:
                batch.categories = ranked
        if answers is not None:  # after the scoped facets: they weigh the candidates' own probabilities
            for facets, answer in zip(result, answers.tolist(), strict=True):
                ranked_answer(facets.get(CATEGORY, []), answer)
        if CATEGORY not in self.facets:
            for facets in result:
                facets.pop(CATEGORY, None)
        return batch, result

    def _demotes_contradicted(self, facet: str) -> bool:
        """Whether a sole mention contradicted by the rest of the evidence goes below the runner-up in ``facet``
        (``tagllm.candidates.contradicted``): a single-valued attribute with a stacker fitted on examples; with no
        examples the text's mentions are all the evidence there is."""
        spec = self.taxonomy.facets[facet]
        return self.stackers.get(facet) is not None and not spec.hierarchical and not spec.multi_valued

    def _scoring_order(self) -> list[str]:
        """The facets to score, the category first; the category is scored for facets that apply to some categories
        only even when it is not asked for (and then left out of the result)."""
        rest = [f for f in self.facets if f != CATEGORY]
        wanted = CATEGORY in self.facets or any(is_scoped(self.taxonomy, f) for f in rest)
        return ([CATEGORY] if wanted and CATEGORY in self.taxonomy.facets else []) + rest

    # -- fitting ---------------------------------------------------------------------------------------------------
    def fit(
        self,
        *,
        sample: int | None = None,
        seed: int = 0,
        batch_size: int = 512,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Stacker]:
        """Fit a stacker per facet over a sample of the index's own examples, each one's evidence leaving it and its
        copies (examples with the same normalised text) out (see ``tagllm.candidates.fitting``); ``progress(done,
        total)`` counts its batches, then its facets.

        BLAS runs on one thread here: the fit is thousands of small products (a few thousand rows by a hundred
        columns, a 385 x 385 eigendecomposition) that a second thread hardly speeds up, and on a busy machine
        OpenBLAS's threads wait for each other: Flipkart-attributes' 38 attribute stackers took 247 s of wall time
        with two threads against 26 s with one (2 cores, load average 7)."""
        from threadpoolctl import threadpool_limits

        from tagllm.candidates.fitting import fit_stackers

        with threadpool_limits(limits=1, user_api="blas"):
            fitted = fit_stackers(self, sample=sample, seed=seed, batch_size=batch_size, progress=progress)
        self.stackers.update(fitted)
        return self.stackers

    def gold_keys(self, facet: str, rows: list[int], n_values: int) -> np.ndarray:
        """The gold values of the index's examples ``rows`` in ``facet``, as ``row position * n_values + value``."""
        return self._facet(facet).data.tables.gold_keys(rows, n_values)

    def keep_probabilities(self) -> dict[str, Keep]:
        """Per facet with a fitted stacker, the confidences from which its values are kept."""
        return {facet: stacker.keep for facet, stacker in self.stackers.items()}

    def save(self, directory: Path) -> None:
        """Write ``scorer.json`` whole or not at all (a temporary file renamed over it): written in place, a kill
        while writing it left a loadable index with a scorer cut off."""
        data = {facet: s.to_json() for facet, s in self.stackers.items()}
        temp = directory / ".scorer.json.tmp"
        temp.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(temp, directory / "scorer.json")

    def load_stackers(self, directory: Path) -> None:
        """The stackers fitted when the index was built; fitted again here when they were fitted for another k, for
        other inputs (text alone, photos alone), another target precision of the kept attribute values, or over other
        features (an index built by another tagllm version).

        Vote evidence depends on k (a value's share of 5 neighbours is not its share of 20), so weights fitted
        for one k are the wrong weights for another. Refitting costs about a second per 3,000 examples. A file
        that cannot be read (cut off by a kill or a disk fault) is refitted too: every run over it crashed. So is one
        that is not there: ``ExampleIndex.save`` alone (the Python API; ``build_index`` writes it) saves none, and the
        default stackers tagged Flipkart at 0.820 leaf accuracy against the fitted ones' 0.887."""
        path = directory / "scorer.json"
        readable = path.exists()
        try:
            saved = {f: Stacker.from_json(d) for f, d in json.loads(path.read_text()).items()} if readable else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            saved, readable = {}, False
        if not readable or any(
            s is None or s.k != self.k or s.inputs != self.inputs or s.target_precision != self.target_precision
            for s in saved.values()
        ):
            self.stackers = {}
            self.fit()
        else:
            self.stackers = {f: s for f, s in saved.items() if s is not None}


def ranked_answer(candidates: list[Candidate], answer: float) -> None:
    """Give the best candidate the confidence ``answer`` it has as the answer, never below the runner-up's
    probability (the candidates stay in order)."""
    if candidates:
        floor = candidates[1].score if len(candidates) > 1 else 0.0
        candidates[0].score = round(max(answer, floor), 6)
