"""Where exact FAISS search stops being cheap: flat vs HNSW query cost, build cost and recall by index size.

    python benchmarks/index_bench.py --sizes 10000 50000 200000 500000

Vectors are random unit vectors of MiniLM's shape (384 dims): search speed does not depend on their values; HNSW
recall is measured against exact search on the same vectors, and is lower on random data than on real embeddings,
which cluster. Compare the per-query cost with the per-product encoding cost (printed by throughput.py): exact
search is chosen while it stays a small share of it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=25)
    args = parser.parse_args()

    import faiss

    from tagllm.retrieval.index import HNSW_EF_SEARCH, HNSW_M

    rng = np.random.default_rng(0)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    print(f"{args.queries} queries, k={args.k}, dim={args.dim}, faiss threads={faiss.omp_get_max_threads()}")
    print(f"{'size':>9} {'flat ms/q':>10} {'hnsw ms/q':>10} {'hnsw build s':>13} {'hnsw recall':>12}")
    for size in args.sizes:
        base = rng.standard_normal((size, args.dim), dtype=np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(args.dim)
        flat.add(base)
        started = time.perf_counter()
        _, exact = flat.search(queries, args.k)
        flat_ms = (time.perf_counter() - started) * 1000 / args.queries
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(args.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.add(base)
        build_s = time.perf_counter() - started
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        started = time.perf_counter()
        _, approx = hnsw.search(queries, args.k)
        hnsw_ms = (time.perf_counter() - started) * 1000 / args.queries
        recall = np.mean([len(set(a) & set(e)) / args.k for a, e in zip(approx, exact, strict=True)])
        print(f"{size:>9} {flat_ms:>10.3f} {hnsw_ms:>10.3f} {build_s:>13.1f} {recall:>12.3f}")


if __name__ == "__main__":
    main()
