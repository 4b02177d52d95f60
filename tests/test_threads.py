"""Scoring runs its BLAS and OpenMP work on one thread and gives the threads back afterwards."""

from __future__ import annotations

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
