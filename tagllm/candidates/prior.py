"""Prior: how often the examples carry a value, log-scaled to [0, 1] (``prior``); when fitting, each example's own
labels count one example less."""

from __future__ import annotations

import math

import numpy as np

from tagllm.candidates.base import Batch, Candidates, ClassFamily, Evidence, FacetData


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
            if batch.exclude is not None:
                gold = self.data.tables.gold_keys(batch.exclude, candidates.size)
                counts -= np.isin(candidates.keys[known], gold)
            out = np.zeros((len(candidates), 1))
            out[known, 0] = np.log1p(counts) / math.log1p(float(self.classes.counts.sum()))
            return out

        return Evidence([], columns)
