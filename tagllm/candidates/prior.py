"""Prior: how often the examples carry a value, log-scaled to [0, 1] (``prior``); when fitting, each example's own
labels count one example less."""

from __future__ import annotations

import math

import numpy as np

from tagllm.candidates.base import Batch, Candidates, ClassFamily, Evidence, FacetData, expand_ragged, sum_at


class Prior(ClassFamily):
    columns = ("prior",)
    default_weights = {"prior": 0.5}
    reads = None

    @classmethod
    def build(cls, data: FacetData) -> Prior | None:
        return cls(data, data.classes) if data.classes is not None else None

    def read(self, batch: Batch) -> Evidence:
        def columns(candidates: Candidates) -> np.ndarray:
            known, _, c = self.known(candidates)
            counts = self.classes.counts[c].astype(np.float64)
            if batch.exclude is not None:  # the example and its copies count out of their labels
                left_out = [batch.left_out(i) for i in range(len(batch.exclude))]
                flat = np.concatenate([np.asarray(e, np.int64) for e in left_out])
                rows = np.repeat(np.arange(len(left_out)), [len(e) for e in left_out])
                labels = expand_ragged(flat, self.data.tables.example_ptr, self.data.tables.example_values)
                gold = np.repeat(rows, labels.counts) * candidates.size + labels.values
                gold = gold[np.isin(gold, candidates.keys)]
                counts -= sum_at(candidates.keys, gold, np.ones(len(gold)))[known]
            out = np.zeros((len(candidates), 1))
            out[known, 0] = np.log1p(counts) / math.log1p(float(self.classes.counts.sum()))
            return out

        return Evidence([], columns)
