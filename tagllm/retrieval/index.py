"""The example index: labelled products, their embeddings in FAISS, their lexical vectors, and plain metadata (the
search itself is ``tagllm.retrieval.faiss_search``, reading examples ``tagllm.retrieval.examples``, writing its
directory safely ``tagllm.retrieval.index_files``, the files it is written as ``tagllm.retrieval.index_store``, what
its manifest must match to be used ``tagllm.retrieval.index_manifest``, sorting the reviewed examples an add is given
``tagllm.retrieval.index_review``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from tagllm.cache import DAMAGED
from tagllm.errors import IndexMismatchError, InputError, OutputError
from tagllm.images import PHOTO_READING
from tagllm.models import LabelledProduct
from tagllm.retrieval.embedder import Embedder
from tagllm.retrieval.examples import (
    LabelResolver,
    RepeatedExample,
    as_labelled,
    content_id,
    labels_from_record,
    read_examples,
)
from tagllm.retrieval.faiss_search import (
    DEFAULT_HNSW_THRESHOLD,
    HNSW_EF_SEARCH,
    HNSW_M,
    Hits,
    build_faiss,
    top_k,
)
from tagllm.retrieval.index_files import SAVING, manifest_stamp, not_written, sweep_saves, writing_index
from tagllm.retrieval.index_manifest import (
    check_embedder,
    check_taxonomy,
    new_manifest,
    read_manifest,
    rebuild_hint,
)
from tagllm.retrieval.index_review import (
    AddCounts,
    latest_examples,
    photo_problems,
    photos_of_a_text_index,
    sort_reviewed,
)
from tagllm.retrieval.index_store import read_index_files, write_index_files
from tagllm.retrieval.lexical import FeatureMatrix, LexicalModel
from tagllm.taxonomy import Taxonomy

if TYPE_CHECKING:
    from tagllm.images import ImageLoader
    from tagllm.retrieval.image_encoder import ImageEncoder
    from tagllm.retrieval.image_index import ImageVectors

__all__ = [  # what tagllm imports from here, searching and reading examples included
    "DEFAULT_HNSW_THRESHOLD",
    "HNSW_EF_SEARCH",
    "HNSW_M",
    "AddCounts",
    "ExampleIndex",
    "Hits",
    "LabelResolver",
    "as_labelled",
    "build_faiss",
    "content_id",
    "labels_from_record",
    "read_examples",
    "top_k",
]


class ExampleIndex:
    """Labelled examples with embedding (FAISS) and lexical (sparse) search, and their photos' vectors.

    On disk: ``manifest.json``, ``examples.jsonl``, ``vectors.npy``, ``index.faiss``, ``lexical.npz``,
    ``lexical_matrix.npz``; with photos ``image_rows.npy``, ``image_<view>.npy`` and, for the built-in encoder,
    ``image_encoder.npz`` — no pickle anywhere.
    """

    def __init__(
        self,
        examples: list[LabelledProduct],
        vectors: np.ndarray,
        lexical: LexicalModel,
        lexical_matrix: sp.csr_matrix,
        manifest: dict[str, Any],
        *,
        faiss_index: Any = None,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        images: ImageVectors | None = None,
        image_encoder: ImageEncoder | None = None,
    ) -> None:
        self.examples = examples
        self.images = images
        self.image_encoder = image_encoder  # what encoded the examples' photos, fitted: products go through it too
        self.image_problems: list[str] = []  # photos of examples that could not be used, when built or added
        self.repeated: list[RepeatedExample] = []  # examples ``build`` was given whose id a later example gives again
        self.vectors = vectors
        self.lexical = lexical
        self.lexical_matrix = lexical_matrix
        self._lexical_search: FeatureMatrix | None = None  # built on first search
        self.manifest = manifest
        self.hnsw_threshold = hnsw_threshold
        self._faiss_index = faiss_index if faiss_index is not None else self._build_faiss(vectors)
        self.path: Path | None = None
        self._read_from: tuple[str, Any] | None = None  # the directory loaded from, its manifest_stamp
        self.version = f"{manifest['taxonomy_version']}-{len(examples)}"

    # -- construction ----------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        examples: Sequence[LabelledProduct],
        taxonomy: Taxonomy,
        embedder: Embedder,
        *,
        progress: Callable[[int, int], None] | None = None,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        image_encoder: ImageEncoder | None = None,
        image_loader: ImageLoader | None = None,
    ) -> ExampleIndex:
        """Embed the examples' texts and, with an ``image_encoder``, their photos (loaded by ``image_loader``, which
        knows the directory relative paths start from): the built-in encoder is fitted on those photos here. An id
        given twice is built from its later example, the earlier one named in the index's ``repeated`` (both were
        kept, their labels voting under one id), as ``add`` and ``tagllm index build`` do."""
        if not examples:
            raise InputError("no labelled examples to build an index from")
        repeated: list[RepeatedExample] = []
        examples = list(latest_examples(examples, repeated).values())
        texts = [e.text() for e in examples]
        vectors = embedder.encode(texts, progress=progress)
        lexical = LexicalModel()
        matrix = lexical.fit(texts)
        facets = sorted({f for e in examples for f in e.labels})
        manifest = new_manifest(embedder, vectors, taxonomy, facets)
        index = cls(examples, vectors, lexical, matrix, manifest, hnsw_threshold=hnsw_threshold)
        index.repeated = repeated
        if image_encoder is not None:
            index.build_photos(image_encoder, image_loader)
        return index

    def build_photos(self, encoder: ImageEncoder, loader: ImageLoader | None = None) -> None:
        """Encode the examples' photos (the built-in encoder is fitted on them first); without any readable photo
        the index stays one of texts alone (``image_problems`` says why)."""
        if not any(e.images for e in self.examples):
            return
        from tagllm.images import ImageLoader
        from tagllm.retrieval.image_index import ImageVectors, encode_photos

        photos = encode_photos([e.images for e in self.examples], loader or ImageLoader(), encoder, fit=True)
        self.image_problems = photo_problems(self.examples, photos.uses)
        if not photos.has.any():
            return  # no photo could be read: an index of texts alone (image_problems say why)
        self.images = ImageVectors.from_photos(encoder, photos, hnsw_threshold=self.hnsw_threshold)
        self.image_encoder = encoder
        self.manifest["images"] = {"encoder": encoder.manifest(), "count": len(self.images), "reading": PHOTO_READING}

    def _with_kept_photos(self, example: LabelledProduct, i: int) -> LabelledProduct:
        """``example``, reviewed, with the photos of the example ``i`` it replaces when it gives none and the index
        holds that one's photo: a review file without an images column dropped every replaced example's photo."""
        if example.images or self.images is None or self.images.position[i] < 0:
            return example
        return example.model_copy(update={"images": self.examples[i].images})

    def _build_faiss(self, vectors: np.ndarray) -> Any:
        index, self.manifest["faiss"] = build_faiss(vectors, self.hnsw_threshold)
        return index

    def add(
        self,
        examples: Sequence[LabelledProduct],
        embedder: Embedder,
        *,
        image_loader: ImageLoader | None = None,
        attributes: Collection[str] = (),
        categories: Collection[str] = (),
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> AddCounts:
        """Add reviewed examples without re-embedding the others. An example whose id is in the index replaces
        the one there (a reviewed label corrects the old one); one identical to it changes nothing. The photos of
        added and replaced examples go through the index's image encoder as it was fitted (``image_loader`` knows
        where relative paths start). An id given twice is added from its later example, the earlier one returned in
        ``repeated``. ``attributes`` names the attribute facets: a replacing example that labels none of them keeps
        the ones the example it replaces has (a review of categories says nothing of them), its id returned in
        ``kept_attributes``; so does one that labels none of the ``categories`` (the hierarchical facets) keep its
        category labels, its id in ``kept_categories``. ``progress(stage, done, total)`` hears the stage begun:
        ``photos`` (read and encoded), then ``embed`` (the texts)."""
        self.check_embedder(embedder)
        counts = AddCounts()
        # the same id twice in one file: its last record is the review
        latest = latest_examples(examples, counts.repeated)
        replace, new = sort_reviewed(self.examples, latest, attributes, categories, self._with_kept_photos, counts)
        counts.added, counts.replaced = len(new), len(replace)
        if not new and not replace:
            return counts
        changed = [e for _, e in replace] + new
        if self.images is not None and self.image_encoder is not None:
            self._encode_reviewed_photos(replace, new, set(counts.kept_photos), image_loader, progress)
        else:
            self.image_problems = photos_of_a_text_index(changed)
        if progress:
            progress("embed", 0, None)
        self._store_reviewed(replace, new, embedder.encode([e.text() for e in changed]))
        return counts

    def _encode_reviewed_photos(
        self,
        replace: list[tuple[int, LabelledProduct]],
        new: list[LabelledProduct],
        kept: set[str],
        image_loader: ImageLoader | None,
        progress: Callable[[str, int, int | None], None] | None,
    ) -> None:
        """Put the photos of the replacing and ``new`` examples through the index's image encoder as it was fitted,
        into the photo vectors (an example in ``kept``, whose photo is the replaced one's, keeps its vector)."""
        assert self.images is not None and self.image_encoder is not None
        from tagllm.images import ImageLoader
        from tagllm.retrieval.image_encoder import check_recorded
        from tagllm.retrieval.image_index import encode_photos

        check_recorded(self.image_encoder, self.manifest["images"]["encoder"], self._where())

        loader = image_loader or ImageLoader()
        if progress:
            progress("photos", 0, None)
        # a kept photo keeps its vector: its path is the indexed file's, not one the review's loader finds
        fresh = [(i, e) for i, e in replace if e.id not in kept]
        encoded = [e for _, e in fresh] + new
        photos = encode_photos([e.images for e in encoded], loader, self.image_encoder)
        self.image_problems = photo_problems(encoded, photos.uses)
        self.images.replace(photos.slice(0, len(fresh)), [i for i, _ in fresh])
        self.images.extend(photos.slice(len(fresh), len(encoded)), len(self.examples))
        self.manifest["images"]["count"] = len(self.images)

    def _store_reviewed(
        self, replace: list[tuple[int, LabelledProduct]], new: list[LabelledProduct], vectors: np.ndarray
    ) -> None:
        """Put the replacing examples in their places and append the ``new`` ones, with their text ``vectors`` (the
        replacing ones' first), refitting the lexical model and the search index over them."""
        changed = [e for _, e in replace] + new
        self.lexical.forget([self.examples[i].text() for i, _ in replace])
        for row, (i, example) in enumerate(replace):
            self.examples[i] = example
            self.vectors[i] = vectors[row]
        self.examples.extend(new)
        self.vectors = np.vstack([self.vectors, vectors[len(replace) :]])
        self.lexical.fit([e.text() for e in changed])
        # IDF moved, so existing lexical rows are re-weighted from their (cheap, hashed) counts.
        self.lexical_matrix = self.lexical.transform([e.text() for e in self.examples])
        self._lexical_search = None
        if not replace and self.manifest.get("faiss") == "flat" and len(self.vectors) < self.hnsw_threshold:
            self._faiss_index.add(vectors)
        else:  # a replaced vector: the search index is rebuilt from the vectors (FAISS has no update in place)
            self._faiss_index = self._build_faiss(self.vectors)
        self.manifest["label_facets"] = sorted(
            set(self.manifest["label_facets"]) | {f for e in changed for f in e.labels}
        )
        self.version = f"{self.manifest['taxonomy_version']}-{len(self.examples)}"

    # -- persistence -----------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, *, also: Callable[[Path], None] | None = None) -> Path:
        """Write the index's files into a hidden folder inside ``directory``, then move them over the ones there,
        the manifest last. Written in place, an ``index add`` interrupted part way (Ctrl-C, a kill) left the new
        FAISS index beside the old examples: an index that loaded, and crashed every run that searched it.
        ``also`` writes files of its own into that folder (the candidate scorer's), moved with the index's. Each save
        has a folder of its own: runs building the index cached for the same examples at once shared one, each
        removing the other's files. A disk that fills up meanwhile is an ``OutputError``: it was a crash's
        traceback."""
        path = Path(directory)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise not_written(path, exc) from None
        with writing_index(path):  # one save at a time: two moving their files out at once left a mix of both
            self._refuse_saved_since(path)
            try:
                sweep_saves(path)
                staging = Path(tempfile.mkdtemp(dir=path, prefix=SAVING))
            except OSError as exc:
                raise not_written(path, exc) from None
            try:
                write_index_files(staging, self, self._faiss_index)
                if also is not None:
                    also(staging)
                for file in sorted(staging.iterdir(), key=lambda f: f.name == "manifest.json"):
                    os.replace(file, path / file.name)
            except OSError as exc:
                raise not_written(path, exc) from None
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            self._read_from = (os.path.abspath(path), manifest_stamp(path))
        self.path = path
        return path

    def _refuse_saved_since(self, path: Path) -> None:
        """Refuse to save over the index this one was loaded from once another run saved it since: two programs
        that each loaded it and added examples saved in turn, the second's save losing the first's examples."""
        if self._read_from is None or self._read_from[0] != os.path.abspath(path):
            return
        if manifest_stamp(path) != self._read_from[1]:
            raise OutputError(
                f"{path}: another run saved this index after this one loaded it, and saving would lose what it "
                "saved; nothing was written: load the index again and add these examples again (or hold it with "
                "writing_index while loading, adding and saving)"
            )

    @classmethod
    def load(
        cls, directory: str | Path, *, taxonomy: Taxonomy | None = None, embedder: str | Embedder | None = None
    ) -> ExampleIndex:
        """Load an index; a taxonomy or an embedder other than the index's is refused. An ``Embedder`` left to pick
        its backend takes the index's (``Embedder.adopt``)."""
        path = Path(directory)
        stamp = manifest_stamp(path)  # before the manifest is read: a save in between makes this one's save refuse
        manifest = read_manifest(path, taxonomy, embedder)
        try:
            index = cls._read(path, manifest)
        # a file missing or cut off (FAISS raises RuntimeError; a zip cut short, an .npz, BadZipFile), or garbage
        except (*DAMAGED, RuntimeError) as exc:
            raise IndexMismatchError(
                f"{path}: the index is damaged ({str(exc).splitlines()[0][:200]}); {rebuild_hint(path)}"
            ) from None
        index.path = path
        index._read_from = (os.path.abspath(path), stamp)
        return index

    @classmethod
    def _read(cls, path: Path, manifest: dict[str, Any]) -> ExampleIndex:
        """The index's files, as ``save`` wrote them, with ``manifest``."""
        files = read_index_files(path, manifest)
        return cls(
            files.examples,
            files.vectors,
            files.lexical,
            files.lexical_matrix,
            manifest,
            faiss_index=files.faiss_index,
            images=files.images,
            image_encoder=files.image_encoder,
        )

    def check_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Refuse a taxonomy other than the index's: its examples' labels are that taxonomy's ids."""
        check_taxonomy(self.manifest, taxonomy, self._where())

    def check_embedder(self, embedder: str | Embedder) -> None:
        """Refuse an embedder other than the index's, or a model its directory now holds in place of the index's
        (``tagllm.retrieval.index_manifest.check_embedder``)."""
        check_embedder(self.manifest, embedder, self._where())

    def _where(self) -> str:
        return str(self.path) if self.path is not None else "the index"

    # -- search ----------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.examples)

    def search(self, vectors: np.ndarray, k: int) -> Hits:
        k = min(k, len(self.examples))
        if k == 0 or len(vectors) == 0:
            return Hits(np.zeros((len(vectors), 0), np.float32), np.zeros((len(vectors), 0), np.int64))
        scores, ids = self._faiss_index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return Hits(scores, ids)

    def lexical_search(self, query: sp.csr_matrix, k: int) -> Hits:
        """Top-k examples by lexical cosine (sparse dot products, in row blocks to bound memory)."""
        k = min(k, len(self.examples))
        n = query.shape[0]
        out_ids = np.full((n, k), -1, dtype=np.int64)
        out_scores = np.zeros((n, k), dtype=np.float32)
        if k == 0:
            return Hits(out_scores, out_ids)
        block = max(1, 8_000_000 // max(1, len(self.examples)))
        if self._lexical_search is None:
            self._lexical_search = FeatureMatrix(self.lexical_matrix)
        for start in range(0, n, block):
            scores, ids = top_k(self._lexical_search.dot(query[start : start + block]), k)
            out_scores[start : start + block] = scores
            out_ids[start : start + block] = ids
        return Hits(out_scores, out_ids)
