"""Scoring runs its BLAS and OpenMP work on one thread and gives the threads back afterwards."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from tagllm.threads import one_thread


def test_one_thread_limits_every_pool_and_restores_it() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # NumPy's BLAS is loaded
    with threadpool_limits(limits=2):
        before = {(i["filepath"], i["num_threads"]) for i in threadpool_info()}
        with one_thread():
            assert {i["num_threads"] for i in threadpool_info()} == {1}
        assert {(i["filepath"], i["num_threads"]) for i in threadpool_info()} == before


def test_overlapping_blocks_restore_the_thread_count_when_the_last_one_ends(monkeypatch: Any) -> None:
    # before: each block restored what it found, so the second to start (finding 1) put back 1 when it ended last,
    # and the libraries stayed on one thread for good; ended first, the other left the one still running on all
    # its threads. Two threads tagging at once overlap so. The libraries' counts are the process's: a fake holds it
    # here, as the OpenBLAS installed (0.3.31) at times ignored a count set from another thread in a test process.
    import threadpoolctl

    threads = {"count": 4}

    class Limits:
        def __init__(self, limits: int) -> None:
            self.original = threads["count"]
            threads["count"] = limits

        def restore_original_limits(self) -> None:
            threads["count"] = self.original

        def __enter__(self) -> Limits:
            return self

        def __exit__(self, *exc: object) -> None:
            self.restore_original_limits()

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", Limits)
    first, second = one_thread(), one_thread()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert threads["count"] == 1  # the second block still runs
    second.__exit__(None, None, None)
    assert threads["count"] == 4
    with one_thread():  # nested in one thread, and concurrent in two
        barrier = threading.Barrier(2)
        seen: list[int] = []

        def inner() -> None:
            with one_thread():
                barrier.wait()
            seen.append(threads["count"])

        worker = threading.Thread(target=inner)
        worker.start()
        barrier.wait()
        worker.join()
        assert seen == [1] and threads["count"] == 1
    assert threads["count"] == 4
