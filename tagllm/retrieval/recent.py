"""The vectors of the texts a run encoded lately, so that a text repeated in a later window is not encoded again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tagllm.retrieval.embedder import Embedder

# 16,384 vectors of 384 floats (all-MiniLM-L6-v2) hold 25 MB: two of the largest encode windows.
RECENT_TEXTS = 16_384


class RecentVectors:
    """Encodes texts with ``embedder``, reusing the vectors of the ``capacity`` texts it saw last.

    ``Embedder.encode`` encodes a text once per call; a file is encoded one window at a time (``Tagger.tag_batches``),
    and a text repeated across windows (duplicate listings: 3,000 Flipkart products have 2,537 distinct texts, and
    their four windows 2,759) was encoded once per window. A reused vector is the one its first window computed:
    the same text gets the same vector in the whole run, where before the rows of two windows could differ in the
    last float bit (a batch's padding changes how its sums are split)."""

    def __init__(self, embedder: Embedder, capacity: int = RECENT_TEXTS) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        # the head phrases' cache is one per tagger, met by every thread tagging with it: a text found, then evicted
        # by another thread's window before it was read, raised KeyError (seen with four threads on a small cache)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """One row per text, as ``Embedder.encode`` gives; ``progress`` follows the encoding of the new texts."""
        if not texts:
            return self.embedder.encode([])
        distinct = list(dict.fromkeys(texts))
        with self._lock:
            found = {t: self._vectors[t] for t in distinct if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)  # least recently used first: evicted first
        new = [t for t in distinct if t not in found]
        if new:
            fresh = self.embedder.encode(new, progress=progress)  # outside the lock: other threads look up meanwhile
            with self._lock:
                for text, vector in zip(new, fresh, strict=True):
                    found[text] = vector
                    # a NaN or inf row (a model's overflow) is not kept: a cached one was handed back to every later
                    # window with that text, where encoding it again may give a finite row
                    if np.isfinite(vector).all():
                        self._vectors[text] = vector.copy()  # a copy: a row would keep its window alive
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        return np.stack([found[t] for t in texts])
