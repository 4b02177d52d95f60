"""The example index's photos: per view, the vectors of the examples that have one and their FAISS search; and the
pipeline that turns products' image references into vectors (loading on threads while the caller encodes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tagllm.errors import IndexMismatchError
from tagllm.images import ImageLoader
from tagllm.models import ImageUse
from tagllm.retrieval.faiss_search import DEFAULT_HNSW_THRESHOLD, HNSW_EF_SEARCH, Hits, build_faiss
from tagllm.retrieval.image_encoder import VIEWS, ImageEncoder

ENCODE_CHUNK = 256  # photos encoded per call, while the loader's threads decode the next ones


@dataclass
class Photos:
    """Products' photos as vectors: per view a row per product (zeros where it has none), which products have one,
    and what happened to each of its image references."""

    views: dict[str, np.ndarray]
    has: np.ndarray  # bool, per product
    uses: list[list[ImageUse]]

    def slice(self, start: int, end: int) -> Photos:
        return Photos({v: x[start:end] for v, x in self.views.items()}, self.has[start:end], self.uses[start:end])

    def take(self, rows: Sequence[int]) -> Photos:
        """The photos of these products (rows), in that order."""
        picked = list(rows)
        return Photos({v: x[picked] for v, x in self.views.items()}, self.has[picked], [self.uses[i] for i in picked])

    @classmethod
    def empty(cls, n: int, dims: dict[str, int], uses: list[list[ImageUse]] | None = None) -> Photos:
        """No product's photo could be used; ``uses`` says why for each (a batch none of whose photos loaded)."""
        views = {v: np.zeros((n, d), np.float32) for v, d in dims.items()}
        return cls(views, np.zeros(n, bool), uses if uses is not None else [[] for _ in range(n)])


def encode_photos(
    references: Sequence[Sequence[str]], loader: ImageLoader, encoder: ImageEncoder, *, fit: bool = False
) -> Photos:
    """Load and encode each product's photos (the first ``max_images`` that load), averaging them per view.

    Photos are decoded and prepared on the loader's threads while this thread encodes the previous chunk. With
    ``fit``, the encoder is first fitted on the raw views of all the photos (the examples' own)."""
    n = len(references)
    uses: list[list[ImageUse]] = []
    owners: list[int] = []  # photo -> product
    raw_parts: list[dict[str, np.ndarray]] = []
    chunk: list[Any] = []

    def flush() -> None:
        if chunk:
            raw = encoder.embed(chunk)
            raw_parts.append(raw if fit else encoder.project(raw))
            chunk.clear()

    stream = loader.map(
        references, lambda image: (image.use(), encoder.prepare(image.image) if image.ok else None),
        size=encoder.decode_size,
    )  # fmt: skip
    for product, results in enumerate(stream):
        uses.append([use for use, _ in results])
        for _, prepared in results:
            if prepared is not None:
                chunk.append(prepared)
                owners.append(product)
        if len(chunk) >= ENCODE_CHUNK:
            flush()
    flush()
    if not owners:
        return Photos.empty(n, encoder.dims(), uses) if not fit else Photos({}, np.zeros(n, bool), uses)
    photos = {view: np.vstack([part[view] for part in raw_parts]) for view in raw_parts[0]}
    if fit:
        encoder.fit(photos)
        photos = encoder.project(photos)
    owner = np.asarray(owners)
    has = np.zeros(n, bool)
    has[owner] = True
    views = {}
    for view, vectors in photos.items():
        sums = np.zeros((n, vectors.shape[1]), np.float64)
        np.add.at(sums, owner, vectors)  # a product's photos averaged, then normalised again
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        views[view] = (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return Photos(views, has, uses)


@dataclass
class ImageBatch:
    """A batch's photos as the candidate scorer reads them: the products' view vectors, which have a photo, and
    their photo neighbours among the index's examples (searched once per view and k, then shared by every facet)."""

    views: dict[str, np.ndarray]
    has: np.ndarray
    store: ImageVectors | None
    _hits: dict[tuple[str, int], Hits] = field(default_factory=dict, repr=False)

    def hits(self, view: str, k: int) -> Hits:
        """Each product's k nearest examples by the view (example ids; -1 where none or the product has no photo)."""
        if (view, k) not in self._hits:
            n = len(self.has)
            ids = np.full((n, k), -1, np.int64)
            scores = np.zeros((n, k), np.float32)
            if self.store is not None and self.has.any() and k:
                found = self.store.search(view, self.views[view][self.has], k)
                ids[self.has, : found.ids.shape[1]] = found.ids
                scores[self.has, : found.scores.shape[1]] = found.scores
            self._hits[(view, k)] = Hits(scores, ids)
        return self._hits[(view, k)]


class ImageVectors:
    """The photos of an index's examples: ``rows`` (sorted example positions that have one) and per view their
    vectors in that order, with a FAISS inner-product index each.

    On disk beside the index: ``image_rows.npy``, ``image_<view>.npy``; the encoder's manifest in the index's."""

    def __init__(
        self,
        encoder: dict[str, Any],
        rows: np.ndarray,
        views: dict[str, np.ndarray],
        *,
        size: int,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
    ) -> None:
        self.encoder = encoder
        self.rows = np.asarray(rows, np.int64)
        self.views = views
        self.hnsw_threshold = hnsw_threshold
        self.position = np.full(size, -1, np.int64)  # example -> its row here, -1 without a photo
        self.position[self.rows] = np.arange(len(self.rows))
        self._faiss: dict[str, Any] = {}

    @classmethod
    def from_photos(cls, encoder: ImageEncoder, photos: Photos, **options: Any) -> ImageVectors:
        rows = np.flatnonzero(photos.has)
        views = {v: photos.views[v][rows] for v in VIEWS} if len(rows) else _no_views(encoder.dims())
        return cls(encoder.manifest(), rows, views, size=len(photos.has), **options)

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, view: str, vectors: np.ndarray, k: int) -> Hits:
        """The k nearest examples with a photo (example positions, best first; -1 past the end)."""
        k = min(k, len(self.rows))
        if k == 0 or not len(vectors):
            return Hits(np.zeros((len(vectors), 0), np.float32), np.zeros((len(vectors), 0), np.int64))
        if view not in self._faiss:
            index, kind = build_faiss(self.views[view], self.hnsw_threshold)
            if kind == "hnsw":
                index.hnsw.efSearch = HNSW_EF_SEARCH
            self._faiss[view] = index
        scores, found = self._faiss[view].search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return Hits(scores, np.where(found >= 0, self.rows[np.maximum(found, 0)], -1))

    def batch(self, examples: Sequence[int]) -> ImageBatch:
        """The photos of some of the index's own examples, as a batch (for leave-one-out fitting)."""
        where = self.position[np.asarray(examples, np.int64)]
        has = where >= 0
        views = {}
        for view, vectors in self.views.items():
            out = np.zeros((len(where), vectors.shape[1]), np.float32)
            out[has] = vectors[where[has]]
            views[view] = out
        return ImageBatch(views, has, self)

    def extend(self, photos: Photos, first: int) -> None:
        """Add the photos of examples appended at positions ``first``, ``first + 1``, …"""
        new = np.flatnonzero(photos.has)
        size = first + len(photos.has)
        position = np.full(size, -1, np.int64)
        position[: len(self.position)] = self.position
        position[first + new] = len(self.rows) + np.arange(len(new))
        self.position = position
        self.rows = np.concatenate([self.rows, first + new])
        self.views = {v: np.vstack([self.views[v], photos.views[v][new]]) for v in self.views}
        self._faiss = {}

    def replace(self, photos: Photos, examples: Sequence[int]) -> None:
        """The photos of examples replaced in place at positions ``examples`` (their new photos, or none now)."""
        if not len(examples):
            return
        gone = np.isin(self.rows, np.asarray(examples, np.int64))
        new = np.flatnonzero(photos.has)
        rows = np.concatenate([self.rows[~gone], np.asarray(examples, np.int64)[new]])
        order = np.argsort(rows, kind="stable")
        self.rows = rows[order]
        self.views = {v: np.vstack([self.views[v][~gone], photos.views[v][new]])[order] for v in self.views}
        self.position = np.full(len(self.position), -1, np.int64)
        self.position[self.rows] = np.arange(len(self.rows))
        self._faiss = {}

    def save(self, directory: Path) -> None:
        np.save(directory / "image_rows.npy", self.rows, allow_pickle=False)
        for view, vectors in self.views.items():
            np.save(directory / f"image_{view}.npy", vectors, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, encoder: dict[str, Any], size: int) -> ImageVectors:
        try:
            rows = np.load(directory / "image_rows.npy", allow_pickle=False)
            views = {view: np.load(directory / f"image_{view}.npy", allow_pickle=False) for view in VIEWS}
        except FileNotFoundError as exc:
            raise IndexMismatchError(
                f"{directory}: the index's photo vectors are incomplete ({Path(str(exc.filename)).name} is missing); "
                "rebuild it"
            ) from None
        _check_photo_files(rows, views, encoder, size)
        return cls(encoder, rows, views, size=size)


def _check_photo_files(rows: np.ndarray, views: dict[str, np.ndarray], encoder: dict[str, Any], size: int) -> None:
    """Raise ``ValueError`` unless the photo files agree with each other and with the ``size`` examples of the index:
    from another build, or beside an ``examples.jsonl`` edited by hand, they loaded, and the first search crashed."""
    if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= size or (np.diff(rows) <= 0).any())):
        raise ValueError(f"image_rows.npy does not list photos of the {size} examples in examples.jsonl")
    for view, vectors in views.items():
        dim = encoder.get("dims", {}).get(view)
        if vectors.ndim != 2 or len(vectors) != len(rows) or (dim is not None and vectors.shape[1] != dim):
            raise ValueError(
                f"image_{view}.npy holds vectors of shape {vectors.shape}, not {len(rows)} photos of {dim} dimensions"
            )


def _no_views(dims: dict[str, int]) -> dict[str, np.ndarray]:
    return {view: np.zeros((0, dim), np.float32) for view, dim in dims.items()}
