"""The head phrases' vectors (``HeadNoun``'s ``head_emb``): the product's own vector where the encoder reads the
phrase as the product's text, a recent window's where the phrase was met before, else encoded now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tagllm.retrieval.recent import RecentVectors

if TYPE_CHECKING:
    from tagllm.retrieval.embedder import Embedder


class PhraseVectors:
    """Encodes a batch's head phrases with ``embedder``, without encoding again what it has already encoded.

    Encoding the head phrases cost a third of a run's encoding with no index (1,000 Flipkart products: 938 phrases,
    9,210 tokens, against 911 product texts of 20,984 tokens). A quarter of those phrases (256) are read by the
    encoder as the very tokens of their batch's product texts (a title with no description, whole up to its head
    word: "Alloy Necklace" and "alloy necklace"), and 49 repeat a phrase of an earlier window; together a third of
    the tokens run. A reused vector is the one another call computed: equal to the phrase's own to float rounding
    (within 5e-8 on those products, most of them bit for bit)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.recent = RecentVectors(embedder)

    def __call__(self, phrases: list[str], texts: list[str], emb: np.ndarray) -> np.ndarray:
        """One row per phrase; ``texts`` are the batch's product texts and ``emb`` their vectors (a row each)."""
        row_of = {key: row for row, key in enumerate(self.embedder.reading_keys(texts))}
        rows = [row_of.get(key, -1) for key in self.embedder.reading_keys(phrases)]  # -1: no product text
        vectors = np.empty((len(phrases), emb.shape[1]), dtype=np.float32)
        taken = [i for i, row in enumerate(rows) if row >= 0]
        vectors[taken] = emb[[rows[i] for i in taken]]
        new = [i for i, row in enumerate(rows) if row < 0]
        if new:
            vectors[new] = self.recent.encode([phrases[i] for i in new])
        return vectors
