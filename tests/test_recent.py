"""RecentVectors: a text a run encoded in an earlier window is not encoded again, and gets the same vector."""

from __future__ import annotations

from typing import Any

import numpy as np

from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.recent import RecentVectors


def test_a_text_seen_in_an_earlier_window_is_not_encoded_again(embedder: Embedder, counting_embedder: Any) -> None:
    counting = counting_embedder
    recent = RecentVectors(counting)  # type: ignore[arg-type]
    first = recent.encode(["red cotton shirt", "steel water bottle", "red cotton shirt"])
    second = recent.encode(["steel water bottle", "leather wallet", "leather wallet"])
    assert counting.calls == [["red cotton shirt", "steel water bottle"], ["leather wallet"]]
    assert first.shape == (3, embedder.dim) and first.dtype == np.float32
    assert np.array_equal(first[0], first[2]) and np.array_equal(second[0], first[1])
    assert np.allclose(second, embedder.encode(["steel water bottle", "leather wallet", "leather wallet"]), atol=1e-6)


def test_the_least_recently_used_text_is_forgotten_beyond_capacity(counting_embedder: Any) -> None:
    counting = counting_embedder
    recent = RecentVectors(counting, capacity=2)  # type: ignore[arg-type]
    recent.encode(["a mug", "a lamp"])
    recent.encode(["a mug", "a desk"])  # "a lamp" is now the least recently used: forgotten
    recent.encode(["a mug", "a lamp"])
    assert counting.calls == [["a mug", "a lamp"], ["a desk"], ["a lamp"]]


def test_no_texts_give_no_rows(embedder: Embedder) -> None:
    assert RecentVectors(embedder).encode([]).shape == (0, embedder.dim)


def test_threads_sharing_one_cache_each_get_their_rows() -> None:
    """The head phrases' cache is one per tagger, met by every thread tagging with it: a text found in the cache, then
    evicted by another thread's window before it was read, raised KeyError. Four threads on a cache of three texts
    (the interpreter switching threads as often as it can) raised it within the first thousand calls."""
    import sys
    import threading

    class Ones:
        def encode(self, texts: list[str], progress: Any = None) -> np.ndarray:
            return np.full((len(texts), 2), float(len(texts)), dtype=np.float32)

    recent = RecentVectors(Ones(), capacity=3)  # type: ignore[arg-type]
    failures: list[BaseException] = []

    def tag(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(3000):
                texts = [str(n) for n in rng.integers(0, 6, 4)]
                assert recent.encode(texts).shape == (4, 2)
        except Exception as exc:  # collected: an exception in a thread does not fail the test by itself
            failures.append(exc)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=tag, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert failures == []


def test_a_non_finite_row_is_not_cached_and_is_encoded_again() -> None:
    """A NaN (or inf) row was cached like any other, so every later window with that text got the NaN back."""

    class FirstNan:
        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        def encode(self, texts: list[str], progress: Any = None) -> np.ndarray:
            self.calls.append(list(texts))
            rows = np.ones((len(texts), 2), dtype=np.float32)
            if len(self.calls) == 1:  # the first call's "bad" row is NaN, its "worse" row inf
                for i, text in enumerate(texts):
                    rows[i] = {"bad": np.nan, "worse": np.inf}.get(text, 1.0)
            return rows

    nan_first = FirstNan()
    recent = RecentVectors(nan_first)  # type: ignore[arg-type]
    first = recent.encode(["good", "bad", "worse"])
    assert np.isnan(first[1]).all() and np.isinf(first[2]).all() and np.array_equal(first[0], [1.0, 1.0])
    second = recent.encode(["good", "bad", "worse"])
    assert nan_first.calls == [["good", "bad", "worse"], ["bad", "worse"]]  # "good" was cached; the others not
    assert np.array_equal(second, np.ones((3, 2), dtype=np.float32))
