"""Cheap stand-ins for the embedding side: a hashing model that needs no weights, and category trees as rows."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tagllm.retrieval.embedder import Embedder
    from tagllm.taxonomy import Value


class HashingModel:
    """Stands where a SentenceTransformer would: character trigrams hashed into ``dim`` dimensions, L2-normalised.

    No weights and no torch, thousands of texts a second on one core: for tests about what happens around the
    embedding (I/O, backends, faults), where what the vectors mean matters less than that they come cheap.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts: Sequence[str], **_: Any) -> Any:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.lower()} ".encode("utf-8", errors="replace")
            for i in range(len(padded) - 2):
                out[row, zlib.crc32(padded[i : i + 3]) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def category_values(rows: Iterable[tuple[Any, ...]]) -> list[Value]:
    """Category values from rows ``(id, name, parent_id)`` or ``(id, name, parent_id, zh-CN label)``, parents
    first; each value's path is built from its parents' names."""
    from tagllm.taxonomy import Value

    paths: dict[str, str] = {}
    values = []
    for vid, name, parent, *zh in rows:
        paths[vid] = f"{paths[parent]} > {name}" if parent else name
        labels = (("zh-CN", zh[0]),) if zh and zh[0] else ()
        values.append(Value(vid, name, "category", parent, paths[vid], labels=labels))
    return values


def hashing_embedder(dim: int = 256) -> Embedder:
    """An Embedder over a HashingModel (its own name, so an index built with it is refused by the real one)."""
    from tagllm.retrieval.embedder import Embedder

    return Embedder.from_model(HashingModel(dim), f"tagllm-testing-hashing-{dim}")
