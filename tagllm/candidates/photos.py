"""Photos: what a product's photo says about a value, from the examples' photos (``tagllm.retrieval.image_index``).

Per view of the photo (``img_*``: what the product looks like; ``colour_*``: its colours in CIELAB): the
similarity-weighted votes of the k examples with the nearest photos (``*_vote``; ``img_top1``: the nearest one's
label and similarity, for the near-duplicate photos catalogues hold), cosine to the sum of the photos of the examples
labelled with the value (``*_centroid``), and a ridge regression of the value on the photo vectors (``*_ridge``,
exact leave-one-out as for the text). With a CLIP-like encoder, ``img_label`` is the cosine of the photo to the
encoder's embedding of the value's label: evidence for values no example's photo shows.

Only examples that have a photo take part; a product without one gets zeros in every column. When fitting, each
example's photo is left out of its own neighbours, centroids and regression.
"""

from __future__ import annotations

import numpy as np

from tagllm.cache import cache_dir, cache_key, load_array, save_cache
from tagllm.candidates.base import (
    TOP_PER_SIGNAL,
    Batch,
    Candidates,
    Classes,
    ClassFamily,
    Evidence,
    FacetData,
    loo_cosine,
    sum_at,
    top_keys,
)
from tagllm.candidates.ridge import Ridge, RidgeBasis
from tagllm.candidates.votes import NeighbourVotes
from tagllm.retrieval.image_encoder import ImageEncoder
from tagllm.retrieval.image_index import ImageVectors
from tagllm.taxonomy import Taxonomy

VIEWS = {"img": "look", "colour": "colour"}  # column prefix -> view of the photo


class PhotoEvidence(ClassFamily):
    columns = (
        "img_vote", "img_top1", "img_centroid", "img_ridge",
        "colour_vote", "colour_top1", "colour_centroid", "colour_ridge",
        "img_label",
    )  # fmt: skip
    relative = ("img_vote", "img_centroid", "img_ridge", "colour_vote", "colour_centroid", "colour_ridge", "img_label")
    reads = "image"

    def __init__(self, data: FacetData, classes: Classes, store: ImageVectors, encoder: ImageEncoder) -> None:
        super().__init__(data, classes)
        self.store = store
        self.y = classes.y[store.rows].tocsr()  # the examples with a photo x classes
        self.sums = {view: np.asarray(self.y.T @ store.views[view], dtype=np.float32) for view in VIEWS.values()}
        self.norms = {view: np.linalg.norm(sums, axis=1) for view, sums in self.sums.items()}
        self.ridges = {view: self._ridge_fit(data, store.views[view], view) for view in VIEWS.values()}
        self.voter = NeighbourVotes(data)
        self.encoder = encoder
        self._labels: np.ndarray | None = None  # read at the first batch with a photo (``labels``)

    def labels(self) -> np.ndarray | None:
        """The encoder's text embedding of each value's label, made when a batch first has a photo: a run that reads
        no photo (--image-embedder none) loaded the index's CLIP model for them, and stopped at its first batch once
        that model's directory was gone."""
        if self._labels is None and self.encoder.has_text:
            self._labels = label_vectors(self.data.taxonomy, self.data.facet, self.encoder)
        return self._labels

    def _ridge_fit(self, data: FacetData, vectors: np.ndarray, view: str) -> Ridge:
        basis = data.shared.get(f"photo-ridge-basis-{view}", lambda: RidgeBasis.of(vectors))
        return Ridge.fit(vectors, self.y, basis=basis)

    @classmethod
    def build(cls, data: FacetData) -> PhotoEvidence | None:
        index = data.index
        if index is None or index.images is None or index.image_encoder is None or data.classes is None:
            return None
        if not data.classes.y[index.images.rows].nnz:
            return None  # no example with a photo carries this facet
        return cls(data, data.classes, index.images, index.image_encoder)

    def read(self, batch: Batch) -> Evidence:
        photos = batch.images
        if photos is None or not photos.has.any():
            return Evidence([], lambda candidates: np.zeros((len(candidates), len(self.columns))))
        has = photos.has
        exclude = None if batch.exclude is None else np.asarray(batch.exclude, np.int64)
        k = self.data.k + (1 if exclude is not None else 0)
        own = None if exclude is None else [[e] for e in exclude.tolist()]  # a copy's photo is another photo
        votes = {view: self.voter._votes(photos.hits(view, k), own) for view in VIEWS.values()}
        signals: dict[str, np.ndarray] = {}
        for view in VIEWS.values():
            signals[f"{view}_centroid"] = self._centroid(photos.views[view], has, exclude, view)
            signals[f"{view}_ridge"] = self._ridge(photos.views[view], has, exclude, view)
        proposals = [v.keys for v in votes.values()]
        proposals += self.proposals([s - s.min(axis=1, keepdims=True) * has[:, None] for s in signals.values()])
        label = None
        if (labels := self.labels()) is not None:
            label = np.where(has[:, None], photos.views["look"] @ labels.T, 0.0)
            proposals.append(top_keys(label, TOP_PER_SIGNAL, self.data.space.size))

        def columns(candidates: Candidates) -> np.ndarray:
            out = np.zeros((len(candidates), len(self.columns)))
            for prefix, view in VIEWS.items():
                vote = votes[view]
                at = self.columns.index(f"{prefix}_vote")
                out[:, at] = sum_at(candidates.keys, vote.keys, vote.weights)
                out[:, at + 1] = sum_at(candidates.keys, vote.top_keys, vote.top_scores)
                out[:, at + 2 : at + 4] = self.gather(
                    candidates, [signals[f"{view}_centroid"], signals[f"{view}_ridge"]]
                )
            if label is not None:
                out[:, -1] = label[candidates.rows, candidates.values]
            return out * has[candidates.rows, None]

        return Evidence(proposals, columns)

    def _centroid(self, vectors: np.ndarray, has: np.ndarray, exclude: np.ndarray | None, view: str) -> np.ndarray:
        """Cosine of each photo to each class's photo sum; an example's own photo taken out of its classes."""
        dots = vectors @ self.sums[view].T
        out = dots / np.maximum(self.norms[view], 1e-9)
        if exclude is not None:
            for i in np.flatnonzero(has):
                for c in self.classes.example_classes[int(exclude[i])]:
                    out[i, c] = loo_cosine(dots[i, c], self.norms[view][c], float(vectors[i] @ vectors[i]))
        return np.where(has[:, None], out, 0.0)

    def _ridge(self, vectors: np.ndarray, has: np.ndarray, exclude: np.ndarray | None, view: str) -> np.ndarray:
        """The ridge regression's value per photo and class (leave-one-out for the index's own examples)."""
        out = np.zeros((len(has), len(self.classes.ids)))
        rows = np.flatnonzero(has)
        if len(rows):
            own = None if exclude is None else [[p] for p in self.store.position[exclude[rows]].tolist()]
            out[rows] = self.ridges[view].predict(vectors[rows], own)
        return out


def label_vectors(taxonomy: Taxonomy, facet: str, encoder: ImageEncoder) -> np.ndarray:
    """The encoder's text embedding of each value's label (``a product photo, <facet>: <name>``), cached on disk by
    taxonomy version, facet and encoder; a damaged cache file (cut short, garbage, another model's width) is encoded
    again and overwritten."""
    values = taxonomy.facet_values(facet)
    key = cache_key(taxonomy.version, taxonomy.layout(facet), facet, encoder.name)  # a row per value, in order
    path = cache_dir() / f"photo-labels-{key}.npy"
    cached = load_array(path, (len(values), encoder.dims()["look"]))
    if cached is not None:
        return cached
    title = taxonomy.facets[facet].title or facet
    vectors = encoder.encode_text([f"a product photo, {title}: {v.name}" for v in values])
    save_cache(path, lambda handle: np.save(handle, vectors, allow_pickle=False), ".npy")
    return vectors
