"""Scoring runs its BLAS and OpenMP work on one thread and gives the threads back afterwards."""

from __future__ import annotations

import threading
from typing import Any

# every pool a run loads: FAISS's OpenBLAS on OpenMP and scikit-learn's OpenMP besides NumPy's and torch's (the first
# split restore left FAISS's and scikit-learn's on one thread where they were loaded, as in a run, and passed alone)
import faiss  # noqa: F401
import numpy as np
import sklearn.linear_model  # noqa: F401
from threadpoolctl import threadpool_info, threadpool_limits

from tagllm.threads import one_thread


def test_one_thread_limits_every_pool_and_restores_it() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # NumPy's BLAS is loaded
    with threadpool_limits(limits=2):
        before = {(i["filepath"], i["num_threads"]) for i in threadpool_info()}
        with one_thread():
            assert {i["num_threads"] for i in threadpool_info()} == {1}
        assert {(i["filepath"], i["num_threads"]) for i in threadpool_info()} == before


class FakeLibraries:
    """threadpoolctl's controller over two fake libraries: a BLAS whose count is the process's, and an OpenMP whose
    count is each thread's own, as libgomp's is. Fakes hold the counts because the OpenBLAS installed (0.3.31)
    ignores a count set from another thread once the main thread set one."""

    def __init__(self) -> None:
        self.blas = 4
        self.local = threading.local()

    @property
    def openmp(self) -> int:
        return getattr(self.local, "openmp", 4)

    def count(self, user_api: str) -> int:
        return self.blas if user_api == "blas" else self.openmp

    def set(self, user_api: str, count: int) -> None:
        if user_api == "blas":
            self.blas = count
        else:
            self.local.openmp = count

    def controller(self) -> Any:
        libraries = self

        class Limiter:
            def __init__(self, user_api: str) -> None:
                self.user_api, self.original = user_api, libraries.count(user_api)
                libraries.set(user_api, 1)

            def restore_original_limits(self) -> None:
                libraries.set(self.user_api, self.original)

        class Selection:
            def __init__(self, user_api: str) -> None:
                self.user_api = user_api

            def limit(self, limits: int) -> Limiter:
                assert limits == 1
                return Limiter(self.user_api)

        class Controller:
            def select(self, user_api: str) -> Selection:
                return Selection(user_api)

        return Controller


def test_overlapping_blocks_restore_the_thread_count_when_the_last_one_ends(monkeypatch: Any) -> None:
    # before: each block restored what it found, so the second to start (finding 1) put back 1 when it ended last,
    # and the libraries stayed on one thread for good; ended first, the other left the one still running on all
    # its threads. Two blocks of one thread (two tag_batches generators) may end in either order.
    import threadpoolctl

    libraries = FakeLibraries()
    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", libraries.controller())
    first, second = one_thread(), one_thread()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert (libraries.blas, libraries.openmp) == (1, 1)  # the second block still runs
    second.__exit__(None, None, None)
    assert (libraries.blas, libraries.openmp) == (4, 4)
    with one_thread():  # nested in one thread, and concurrent in two
        barrier = threading.Barrier(2)
        seen: list[tuple[int, int]] = []

        def inner() -> None:
            with one_thread():
                barrier.wait()
                seen.append((libraries.blas, libraries.openmp))
            seen.append((libraries.blas, libraries.openmp))

        worker = threading.Thread(target=inner)
        worker.start()
        barrier.wait()
        worker.join()
        assert seen == [(1, 1), (1, 4)] and (libraries.blas, libraries.openmp) == (1, 1)
    assert (libraries.blas, libraries.openmp) == (4, 4)


def test_each_thread_restores_its_own_openmp_count_and_the_blas_count_is_restored_by_the_thread_that_set_it(
    monkeypatch: Any,
) -> None:
    # the thread that started first and ended first kept OpenMP on one thread for good: the count is each thread's,
    # and the thread that ended last restored only its own
    import threadpoolctl

    libraries = FakeLibraries()
    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", libraries.controller())
    entered, ended = threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    def second() -> None:
        with one_thread():
            entered.set()
            ended.wait()
            seen.append((libraries.blas, libraries.openmp))
        seen.append((libraries.blas, libraries.openmp))

    with one_thread():
        worker = threading.Thread(target=second)
        worker.start()
        entered.wait()
    assert (libraries.blas, libraries.openmp) == (4, 4)
    ended.set()
    worker.join()
    # the worker's block ran its rest on the BLAS threads: OpenBLAS heeds only the thread that set the count
    assert seen == [(4, 1), (4, 4)] and (libraries.blas, libraries.openmp) == (4, 4)


def test_a_thread_that_ends_its_block_while_another_runs_gets_its_threads_back() -> None:
    # OpenMP's thread count (torch's, through libgomp) is each thread's own: set to 1 in the thread that started
    # first and restored by the thread that ended last, it stayed at 1 for good in the first, and torch encoded
    # every later product of that process (the next run of a notebook) on one thread.
    import torch

    np.ones((4, 4)) @ np.ones((4, 4))
    with threadpool_limits(limits=2):
        before = (torch.get_num_threads(), {(i["filepath"], i["num_threads"]) for i in threadpool_info()})
        first = one_thread()
        first.__enter__()
        entered, ended = threading.Event(), threading.Event()

        def second() -> None:
            with one_thread():
                entered.set()
                ended.wait()

        worker = threading.Thread(target=second)
        worker.start()
        entered.wait()
        first.__exit__(None, None, None)
        ended.set()
        worker.join()
        after = (torch.get_num_threads(), {(i["filepath"], i["num_threads"]) for i in threadpool_info()})
        assert after == before
