"""The on-disk cache: files written whole, by however many runs at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tagllm.cache import atomic_write
from tagllm.candidates.photos import label_vectors as photo_label_vectors
from tagllm.retrieval.image_encoder import ImageEncoder
from tagllm.retrieval.labels import LabelVectors, label_counts, label_embeddings
from tagllm.retrieval.lexical import LexicalModel
from tagllm.taxonomy import Taxonomy
from tagllm.testing.hashing import hashing_embedder


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


def test_temporary_files_a_killed_writer_left_are_swept_by_the_next_write(tmp_path: Path) -> None:
    import os
    import time

    from tagllm.cache import STALE_SECONDS, TEMP_PREFIX

    # a writer killed mid-write (SIGKILL, a power cut) leaves its temporary file: no cleanup ran
    killed = tmp_path / f"{TEMP_PREFIX}abc.npy"
    killed.write_bytes(b"x" * 1000)
    old = time.time() - 2 * STALE_SECONDS
    os.utime(killed, (old, old))
    writing = tmp_path / f"{TEMP_PREFIX}def.npy"  # another process writing now
    writing.write_bytes(b"y")
    mine = tmp_path / "tmp-of-my-own.npy"  # not a name tagllm writes under: never touched
    mine.write_bytes(b"z")
    os.utime(mine, (old, old))
    atomic_write(tmp_path / "labels.npy", lambda handle: handle.write(b"data"), ".npy")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["labels.npy", writing.name, mine.name])
    assert (tmp_path / "labels.npy").read_bytes() == b"data"


def test_temporary_files_older_versions_left_under_mkstemps_default_name_are_swept_too(tmp_path: Path) -> None:
    import os
    import time

    from tagllm.cache import STALE_SECONDS

    # before .tagllm-tmp-, atomic_write took mkstemp's default name: tmp, eight random characters, the suffix
    old = time.time() - 2 * STALE_SECONDS
    killed = [tmp_path / "tmpa1b2_c3d.npy", tmp_path / "tmpzz9y8x7w.json", tmp_path / "tmp_0000000.npz"]
    others = [tmp_path / "tmp-of-my-own.npy", tmp_path / "tmpnotes.txt", tmp_path / "tmpa1b2c3d4e.npy"]
    for path in killed + others:
        path.write_bytes(b"x")
        os.utime(path, (old, old))
    writing = tmp_path / "tmpq1w2e3r4.npy"  # an old version writing now
    writing.write_bytes(b"y")
    atomic_write(tmp_path / "labels.npy", lambda handle: handle.write(b"data"), ".npy")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["labels.npy", writing.name, *(path.name for path in others)]
    )


def _cut(keep: float) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(path.read_bytes()[: int(len(path.read_bytes()) * keep)])


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


# What a killed run, a full disk or a person can leave where a cache file of vectors was.
DAMAGED_ARRAYS: dict[str, Callable[[Path], object]] = {
    "empty": _cut(0),
    "cut in its header": _cut(0.02),
    "cut in half": _cut(0.5),
    "one byte short": lambda path: path.write_bytes(path.read_bytes()[:-1]),
    "garbage": lambda path: path.write_bytes(b"\x93NUMPY\x01\x00garbage" * 40),
    "a directory": _directory,
    "another model's width": lambda path: np.save(path, np.ones((len(np.load(path)), 3), np.float32)),
}


@pytest.mark.parametrize("damage", DAMAGED_ARRAYS)
def test_a_damaged_label_embeddings_file_is_embedded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_taxonomy: Taxonomy, damage: str
) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    embedder = hashing_embedder(64)
    expected = label_embeddings(demo_taxonomy, "category", embedder)
    [path] = tmp_path.glob("labels-*.npy")
    DAMAGED_ARRAYS[damage](path)
    lazy = LabelVectors(demo_taxonomy, "category", embedder, lazy=True)
    np.testing.assert_array_equal(lazy.at(np.arange(len(expected))), expected)
    np.testing.assert_array_equal(label_embeddings(demo_taxonomy, "category", embedder), expected)
    if path.is_file():
        np.testing.assert_array_equal(np.load(path), expected)  # overwritten whole


@pytest.mark.parametrize("damage", DAMAGED_ARRAYS)
def test_a_damaged_partial_label_embeddings_file_is_embedded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_taxonomy: Taxonomy, damage: str
) -> None:
    """The lazy labels' cache file, which grows run to run, damaged by a run killed while it grew."""
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    embedder = hashing_embedder(64)
    expected = LabelVectors(demo_taxonomy, "category", embedder, lazy=True).at(np.arange(5))
    [path] = tmp_path.glob("labels-*.partial.npz")
    if damage == "another model's width":
        np.savez(path, rows=np.ones((len(np.load(path)["rows"]), 3), np.float32), done=np.load(path)["done"])
    else:
        DAMAGED_ARRAYS[damage](path)
    again = LabelVectors(demo_taxonomy, "category", embedder, lazy=True)
    np.testing.assert_array_equal(again.at(np.arange(5)), expected)
    if path.is_file():
        with np.load(path) as saved:  # overwritten whole
            np.testing.assert_array_equal(saved["rows"][:5], expected)
            assert saved["done"].tolist()[:6] == [True] * 5 + [False]


@pytest.mark.parametrize("damage", ["empty", "cut in its header", "cut in half", "one byte short", "a directory"])
def test_a_damaged_label_counts_file_is_counted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_taxonomy: Taxonomy, damage: str
) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    names, paths = label_counts(demo_taxonomy, "category", LexicalModel())
    [path] = tmp_path.glob("label-counts-*.npz")
    DAMAGED_ARRAYS[damage](path)
    again = label_counts(demo_taxonomy, "category", LexicalModel())
    assert (again[0] != names).nnz == 0 and (again[1] != paths).nnz == 0
    if path.is_file():
        assert (sp.load_npz(path) != sp.vstack([names, paths])).nnz == 0  # overwritten whole


class _TextEncoder(ImageEncoder):
    """An image encoder with a text side that needs no weights: each label's vector is the hashing embedder's."""

    name = "tagllm-testing-text"
    has_text = True

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        return hashing_embedder(16).encode(list(texts))

    def dims(self) -> dict[str, int]:
        return {"look": 16}


@pytest.mark.parametrize("damage", DAMAGED_ARRAYS)
def test_a_damaged_photo_labels_file_is_encoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_taxonomy: Taxonomy, damage: str
) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    expected = photo_label_vectors(demo_taxonomy, "color", _TextEncoder())
    [path] = tmp_path.glob("photo-labels-*.npy")
    DAMAGED_ARRAYS[damage](path)
    np.testing.assert_array_equal(photo_label_vectors(demo_taxonomy, "color", _TextEncoder()), expected)
    if path.is_file():
        np.testing.assert_array_equal(np.load(path), expected)  # overwritten whole


def _reordered(taxonomy: Taxonomy, facet: str) -> Taxonomy:
    """The same taxonomy with ``facet``'s values listed last to first, as a file sorted another way lists them."""
    values = dict(taxonomy.values)
    order = [v.id for v in taxonomy.facet_values(facet)][::-1]
    values = {vid: v for vid, v in values.items() if v.facet != facet} | {vid: values[vid] for vid in order}
    return Taxonomy(taxonomy.name, dict(taxonomy.facets), values, source=taxonomy.source)


def test_label_rows_cached_for_one_order_of_the_values_are_not_read_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_taxonomy: Taxonomy
) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))
    embedder, encoder, lexical = hashing_embedder(64), _TextEncoder(), LexicalModel()
    before = (
        label_embeddings(demo_taxonomy, "color", embedder),
        LabelVectors(demo_taxonomy, "color", embedder, lazy=True).at(np.arange(3)),
        photo_label_vectors(demo_taxonomy, "color", encoder),
        label_counts(demo_taxonomy, "color", lexical)[0],
    )
    reordered = _reordered(demo_taxonomy, "color")
    assert reordered.version == demo_taxonomy.version  # the same content: an index built for one takes the other
    n = len(reordered.facet_values("color"))
    after = (
        label_embeddings(reordered, "color", embedder),
        LabelVectors(reordered, "color", embedder, lazy=True).at(np.arange(n - 3, n)),
        photo_label_vectors(reordered, "color", encoder),
        label_counts(reordered, "color", lexical)[0],
    )
    # each value's row is its own, not the row of the value that stood in its place before
    np.testing.assert_array_equal(after[0], before[0][::-1])
    np.testing.assert_array_equal(after[1], before[1][::-1])
    np.testing.assert_array_equal(after[2], before[2][::-1])
    assert (after[3] != before[3][::-1]).nnz == 0


@pytest.fixture
def umask_022():  # type: ignore[no-untyped-def]
    import os

    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("umask_022")
def test_a_cache_file_is_readable_by_the_other_users_of_a_shared_cache_as_the_umask_allows(tmp_path: Path) -> None:
    """mkstemp makes files 0600: a team's shared TAGLLM_CACHE_DIR held label embeddings only their writer could read."""
    path = tmp_path / "labels.npy"
    atomic_write(path, lambda handle: np.save(handle, np.zeros(3), allow_pickle=False), ".npy")
    assert path.stat().st_mode & 0o777 == 0o644
