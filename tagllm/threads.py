"""One thread for the array work of scoring a batch, whatever the BLAS and OpenMP libraries would use.

Scoring a batch is many mid-size array products (a thousand products against a few thousand examples or values),
a nearest-neighbour search and top-k selections. A second BLAS or OpenMP thread speeds such products up a little
on an idle machine, and on a busy one its threads wait for each other: tagging 3,000 Flipkart products (the encoder
left out), alternating in one process on a 2-core machine at load average 6, took 4.5-7.3 s of wall time and
2.9-3.5 s of CPU with one thread against 8.1-11.1 s and 5.1-5.5 s with two (``Tagger.score`` with and without this).
The stacker's fit runs on one BLAS thread for the same reason (``CandidateScorer.fit``); the encoder keeps its
threads. The thread count changes the last digit of some sums (BLAS splits the work otherwise): 180 of those 3,000
products had a confidence 1e-6 apart with one thread and with two, before this change as after it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_local = threading.local()  # this thread's depth of blocks and the OpenMP limiter it set
_blas_owner: int | None = None  # the thread that set the BLAS limit, the one whose set OpenBLAS heeds
_blas_limits: Any = None  # that limiter, holding the BLAS counts from before it


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS and OpenMP library (NumPy's and SciPy's, FAISS's, torch's) on one
    thread, and give each thread its counts back when its own outermost block ends.

    OpenMP's count (torch's, through libgomp) is each thread's own, so each thread sets and restores its own:
    restored by whichever block ended last, a thread whose block ended first while another thread's ran stayed on
    one thread for good (torch then encoded every later run of that process on one). The BLAS count is the
    process's: the first thread to need it set limits it and restores it when its own block ends, as OpenBLAS
    (0.3.31) ignores a count set from another thread once the main thread set one; another thread's block still
    running then goes on with the BLAS threads for the rest of it."""
    global _blas_owner, _blas_limits
    if getattr(_local, "depth", 0) == 0:
        _local.openmp = _one_thread_of("openmp")
        with _lock:
            if _blas_owner is None:
                _blas_owner, _blas_limits = threading.get_ident(), _one_thread_of("blas")
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1  # not the depth found on entry: two blocks of one thread may end in either order
        if _local.depth == 0:
            with _lock:  # BLAS first, the reverse of the limiting: an OpenBLAS on OpenMP (FAISS's) sets OpenMP's count
                if _blas_owner == threading.get_ident():  # when its own is set, and found 1 there when it was limited
                    _blas_limits.restore_original_limits()
                    _blas_owner, _blas_limits = None, None
            _local.openmp.restore_original_limits()
            _local.openmp = None


def _one_thread_of(user_api: str) -> Any:
    """Put the loaded libraries of one kind (``openmp``, ``blas``) on one thread; the limiter returned restores
    only them. ``threadpool_limits(user_api=...)`` limits one kind but restores every library's count as it found
    it, so the BLAS limiter's restore undid the OpenMP one's."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api=user_api).limit(limits=1)
