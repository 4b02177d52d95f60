"""The on-disk cache: files written whole, by however many runs at once."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tagllm.cache import atomic_write


def test_concurrent_writers_of_one_cache_file_each_finish_and_leave_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.npy"
    errors: list[BaseException] = []

    def write(seed: int) -> None:
        vectors = np.full((200, 64), seed, np.float32)
        try:
            for _ in range(20):
                atomic_write(path, lambda handle: np.save(handle, vectors, allow_pickle=False), ".npy")
        except BaseException as exc:  # collected: a thread's exception does not fail the test by itself
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    saved = np.load(path)
    assert saved.shape == (200, 64) and len(np.unique(saved)) == 1  # one writer's file, not a mix
    assert [p.name for p in tmp_path.iterdir()] == ["labels.npy"]  # no temporary file left behind


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "counts.json"
    path.write_text("old")

    def fail(handle: object) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail, ".json")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["counts.json"]
