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
_inside = 0  # blocks running under one_thread now, in every thread: the libraries' thread counts are the process's
_limits: Any = None  # the threadpoolctl limiter the first of them set, holding the counts from before it


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS and OpenMP library (NumPy's and SciPy's, FAISS's, torch's) on one
    thread, and restore their settings when the last block running under it ends.

    Counted across threads: each block restoring what it found, two overlapping ones (two threads tagging with one
    tagger, or two taggers) left the libraries on one thread for good when the first to start ended last, and put
    the other back on all its threads while it still ran when it ended first."""
    global _inside, _limits
    from threadpoolctl import threadpool_limits

    with _lock:
        if _inside == 0:
            _limits = threadpool_limits(limits=1)
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                _limits.restore_original_limits()
                _limits = None
