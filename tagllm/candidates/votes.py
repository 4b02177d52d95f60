"""Neighbours' votes: the labels of a product's embedding and lexical neighbours, similarity-weighted.

Columns: the share of the k neighbours' similarity that voted for the value (``emb_vote``, ``lex_vote``); the
similarity of the single nearest neighbour if it carries the value (``*_top1``: near-duplicate listings are common in
catalogues); the votes for any value inside the value's subtree (``*_subtree``) and inside its parent's subtree
(``parent_subtree``, hierarchical facets). When fitting, each example's own entry is left out of its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tagllm.candidates.base import Batch, Candidates, Evidence, FacetData, Family, expand_ragged, sum_at
from tagllm.retrieval.index import Hits


@dataclass
class _Votes:
    """Neighbour votes for a batch as (key, weight) pairs, key = product row * label-space size + value position."""

    keys: np.ndarray
    weights: np.ndarray
    top_keys: np.ndarray  # the labels of each product's nearest neighbour, and its similarity
    top_scores: np.ndarray
    subtree_keys: np.ndarray  # the votes again for each ancestor of the value (hierarchical facets)
    subtree_weights: np.ndarray


class NeighbourVotes(Family):
    columns = ("emb_vote", "lex_vote", "emb_top1", "lex_top1", "emb_subtree", "lex_subtree", "parent_subtree")
    relative = ("emb_vote", "lex_vote")
    default_weights = {
        "emb_vote": 2.0, "lex_vote": 2.0, "emb_top1": 1.0, "lex_top1": 1.0, "emb_subtree": 0.5, "lex_subtree": 0.5,
        "parent_subtree": 0.5,
    }  # fmt: skip

    def __init__(self, data: FacetData) -> None:
        self.data = data

    @classmethod
    def build(cls, data: FacetData) -> NeighbourVotes:
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        left_out = None if batch.exclude is None else [batch.left_out(i) for i in range(len(batch.exclude))]
        votes = [self._votes(hits, left_out) for hits in (batch.emb_hits, batch.lex_hits)]
        tables = self.data.tables

        def columns(candidates: Candidates) -> np.ndarray:
            out = np.zeros((len(candidates), len(self.columns)))
            keys = candidates.keys
            subtree = []
            for i, vote in enumerate(votes):  # emb, then lex
                out[:, i] = sum_at(keys, vote.keys, vote.weights)
                out[:, 2 + i] = sum_at(keys, vote.top_keys, vote.top_scores)
                subtree.append(sum_at(keys, vote.subtree_keys, vote.subtree_weights))
                out[:, 4 + i] = subtree[-1]
            if tables.hierarchical:
                rows, parents = candidates.rows, tables.parent[candidates.values]
                has = parents >= 0
                where = np.searchsorted(keys, rows[has] * candidates.size + parents[has])
                out[has, 6] = (subtree[0][where] + subtree[1][where]) / 2
            return out

        return Evidence([v.keys for v in votes], columns)

    def _votes(self, hits: Hits, left_out: list[list[int]] | None) -> _Votes:
        """Similarity-weighted votes of a product's k neighbours (leaving out, when fitting, the examples
        ``left_out[i]``: the product itself and its copies)."""
        tables, size = self.data.tables, self.data.space.size
        ids = hits.ids
        valid = ids >= 0
        if left_out is not None:
            padded = np.full((len(left_out), max(map(len, left_out), default=1)), -1, np.int64)
            for i, own in enumerate(left_out):
                padded[i, : len(own)] = own
            valid &= ~(ids[:, :, None] == padded[:, None, :]).any(axis=2)
        kept = np.cumsum(valid, axis=1)
        valid &= kept <= self.data.k
        scores = np.where(valid, np.maximum(hits.scores, 0.0), 0.0).astype(np.float64)
        total = scores.sum(axis=1, keepdims=True)
        weights = scores / np.where(total > 0, total, 1.0)
        rows, cols = np.nonzero(valid)
        examples = ids[rows, cols]
        labels = expand_ragged(examples, tables.example_ptr, tables.example_values)
        label_rows = np.repeat(rows, labels.counts)
        keys = label_rows * size + labels.values
        w = np.repeat(weights[rows, cols], labels.counts)
        first = np.repeat((kept[rows, cols] == 1), labels.counts)
        top_scores = np.repeat(scores[rows, cols], labels.counts)
        lineage = expand_ragged(labels.values, tables.lineage_ptr, tables.lineage)
        return _Votes(
            keys, w, keys[first], top_scores[first],
            np.repeat(label_rows, lineage.counts) * size + lineage.values, np.repeat(w, lineage.counts),
        )  # fmt: skip
