"""Mentions: whether a value's name, a synonym or an other-language label occurs in the product's text (whole words
in Latin scripts, substrings in Chinese), unless only inside a longer name of another value: a title naming "Spark
Plugs" names no Plugs."""

from __future__ import annotations

import numpy as np

from tagllm.candidates.base import Batch, Evidence, FacetData, Family


class Mentions(Family):
    columns = ("mention",)
    default_weights = {"mention": 2.0}

    def __init__(self, data: FacetData) -> None:
        self.space = data.space

    @classmethod
    def build(cls, data: FacetData) -> Mentions:
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        space, size = self.space, self.space.size
        # a text read once: duplicate listings repeat theirs (3,000 Flipkart products, 2,537 distinct texts)
        named = {text: space.named(text) for text in dict.fromkeys(batch.normalized)}
        found = [named[text] for text in batch.normalized]
        keys = np.array([i * size + space.position[v] for i, values in enumerate(found) for v in values], np.int64)
        return Evidence([keys], lambda candidates: np.isin(candidates.keys, keys)[:, None].astype(np.float64))
