"""Vector search: the FAISS index over embeddings (exact below a size, HNSW above it) and the top-k of a score
matrix, with the hits both return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Exact inner-product search below this many examples, HNSW from there (benchmarks/index_bench.py, 2 CPU cores,
# 384 dims, k=25): exact search costs 0.12 ms per query at 10k, 2.1 ms at 50k, 8.2 ms at 200k, against ~17 ms to
# encode a product; HNSW costs 1.0 ms at 50k and builds in 22 s (~3% of encoding 50k texts). Above ~50k exact
# search passes a tenth of the encoding cost. HNSW recall@25 on real Flipkart MiniLM vectors: 0.976 (M=32, ef=128).
DEFAULT_HNSW_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128


def faiss_module() -> Any:
    import faiss

    return faiss


def use_gpu(faiss: Any) -> bool:
    return hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0


def build_faiss(vectors: np.ndarray, hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD) -> tuple[Any, str]:
    """An inner-product FAISS index over ``vectors`` and its kind: exact ('flat') below ``hnsw_threshold`` rows
    (on the GPU when faiss-gpu finds one), HNSW from there."""
    faiss = faiss_module()
    dim = vectors.shape[1]
    if len(vectors) >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
        if use_gpu(faiss):
            index = faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, index)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


@dataclass
class Hits:
    """Search results for a batch: ``ids[i, j]`` is the j-th neighbour of query i (-1 if none), best first."""

    scores: np.ndarray
    ids: np.ndarray


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k largest scores, largest first (equal scores by column), and their columns.

    numpy, not torch's topk: this is the only torch a tagging run on the ONNX encoder would load, and importing it
    took 2.7 s of a ``tagllm generate`` (load average ~6); on 2,666 x 3,000 scores with k 50 (a lexical search
    block of the 3,000 Flipkart examples) argpartition took 78 ms and torch's topk 174 ms, on 1,024 x 12,600 with
    k 20 88 ms and 64 ms (2 shared cores, load average ~6).
    """
    n = scores.shape[1]
    k = min(k, n)
    if 0 < k < n:
        columns = np.sort(np.argpartition(scores, n - k, axis=1)[:, n - k :], axis=1)
    else:  # all columns, or none
        columns = np.broadcast_to(np.arange(k), (scores.shape[0], k))
    values = np.take_along_axis(scores, columns, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1), np.take_along_axis(columns, order, axis=1)
