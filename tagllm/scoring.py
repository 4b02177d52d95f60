"""Retrieval for a batch of products: each one's candidates per facet, neighbours, prompt examples and photos.

What a ``Tagger`` does before any backend answers; the result, one ``ScoredProduct`` per product, is what the
requests of every step are built from (``tagllm.llm_steps``).
"""

from __future__ import annotations

import itertools
import reprlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import numpy as np

from tagllm.config import TaggerConfig, TextField
from tagllm.images import image_root
from tagllm.io.products import has_no_words, wordless_error
from tagllm.llm_steps import ScoredProduct
from tagllm.models import LabelledProduct, Neighbour, Product, RecordError, TagResult
from tagllm.retrieval.image_encoder import NO_IMAGES
from tagllm.retrieval.image_index import ImageBatch, Photos
from tagllm.threads import one_thread

if TYPE_CHECKING:
    from tagllm.assembly import Progress
    from tagllm.candidates import CandidateScorer
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.image_encoder import ImageEncoder
    from tagllm.retrieval.index import ExampleIndex

NEIGHBOURS_IN_PROVENANCE = 5
DEFAULT_EXAMPLES_IN_PROMPT = 5
HIDDEN_TITLE = "(title hidden: tag from the photo)"  # what stands for the text when the photos alone are read


def emptied(fields: Sequence[str]) -> dict[str, Any]:
    """The update that leaves a product's ``fields`` (of description, brand, attributes, queries) empty."""
    empty: dict[str, Any] = {"description": None, "brand": None, "attributes": {}, "queries": []}
    return {field: empty[field] for field in fields}


def given_vectors(vectors: Any, count: int, width: int | None) -> np.ndarray:
    """The embeddings a caller gave for ``count`` products (``Tagger.tag_batch(items, vectors=...)``), checked to
    be one row per product of the embedder's width: vectors of another embedding model failed deep in FAISS with a
    bare AssertionError that named neither what was wrong nor what was expected."""
    wanted = f"{count}x{width}" if width is not None else f"{count} rows"
    try:
        matrix = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as error:  # a string, a dict, ragged rows: numpy named neither what nor why
        raise ValueError(
            f"vectors must be a numeric array, one row per product ({wanted}); got {type(vectors).__name__} "
            f"{reprlib.repr(vectors)} ({error})"
        ) from error
    if matrix.ndim == 2 and len(matrix) != count:
        raise ValueError(
            f"{len(matrix)} vectors for {count} products: give one row per valid product of the batch (an item that "
            "is an error record has none)"
        )
    # checked before the rows: one product's vector alone (1-D) was counted as that many vectors
    if matrix.ndim != 2 or (width is not None and matrix.shape[1] != width):
        shape = "x".join(map(str, matrix.shape)) or "()"
        raise ValueError(
            f"vectors of shape {shape} for {count} products; the embedder's are {wanted}: give the vectors the "
            "tagger's embedder makes (tagger.embedder.encode(texts)), or leave vectors out"
        )
    return matrix


def non_finite_rows(matrix: np.ndarray) -> list[int]:
    """The rows holding a NaN or infinite value."""
    return np.flatnonzero(~np.isfinite(matrix).all(axis=1)).tolist()


def unembedded(product_id: str, embedder: str) -> RecordError:
    """The error record of a product the tagger's own embedder gave a NaN or infinite vector: it cannot be matched
    (its scores were NaN)."""
    message = (
        f"the embedder ({embedder}) gave this product's text a non-finite vector (NaN or infinite values), so it "
        "cannot be matched: the embedding model is broken for this text (an export or precision that overflows); "
        "--resume retries it, but with the same embedder it fails the same way: fix the embedder first (another "
        "--embedder-backend such as onnx-fp32 or torch, or an index built with another --embedder)"
    )
    return RecordError(record_id=product_id, message=message, is_retryable=True)


def embedded(
    items: Sequence[Product | RecordError], vectors: np.ndarray, photos: Photos | None, embedder: Embedder
) -> tuple[list[Product | RecordError], np.ndarray, Photos | None]:
    """``items`` with each product whose vector (its row of the products' ``vectors``, from the tagger's own
    ``embedder``) is not finite replaced by its error record (``unembedded``), and its rows left out of ``vectors``
    and ``photos``. Such a vector stopped the whole run (refused as a caller's vectors are): the product is tagged
    from nothing, the others are."""
    broken = non_finite_rows(vectors)
    if not broken:
        return list(items), vectors, photos
    products = [(place, item) for place, item in enumerate(items) if isinstance(item, Product)]
    out = list(items)
    name = getattr(embedder, "name", type(embedder).__name__)
    for place, product in (products[row] for row in broken):
        out[place] = unembedded(product.id, name)
    dropped = set(broken)
    keep = [row for row in range(len(vectors)) if row not in dropped]
    return out, vectors[keep], photos.take(keep) if photos is not None else None


def encoded(
    items: Sequence[Product | RecordError], embedder: Embedder, photos: Photos | None = None
) -> tuple[list[Product | RecordError], np.ndarray | None, Photos | None]:
    """``items`` with their products' vectors from the tagger's own ``embedder`` (None: no product), through
    ``embedded``: a product it gives a NaN or infinite vector is its error record, left out of the vectors."""
    texts = [item.text() for item in items if isinstance(item, Product)]
    if not texts:
        return list(items), None, photos
    return embedded(items, embedder.encode(texts), photos, embedder)


def refuse_non_finite(matrix: np.ndarray, ids: Sequence[str]) -> None:
    """Refuse a caller's vectors with a NaN or infinite value, naming the rows and their products (``ids``): such a
    row made its product an error record blaming the backend (its scores NaN). Refused before the batch is tagged,
    not made an error record per product: a caller's vectors are its input, checked as their width is. A row of the
    tagger's own embedder is its product's error record instead (``unembedded``)."""
    bad = non_finite_rows(matrix)
    if not bad:
        return
    named = [f"{row} (product {ids[row]!r})" if row < len(ids) else str(row) for row in bad[:5]]
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    plural = len(bad) > 1
    raise ValueError(
        f"vectors row{'s' if plural else ''} {', '.join(named)}{more} hold{'' if plural else 's'} NaN or infinite "
        "values: the model that made them is broken; give finite embeddings (the tagger's embedder makes them: "
        "tagger.embedder.encode(texts)), or leave vectors out"
    )


class BatchScorer:
    """Retrieves and scores batches of products with one index, embedder and candidate scorer.

    ``image_encoder``: the index's, when photos are read for retrieval (None: they are not).
    """

    def __init__(
        self,
        config: TaggerConfig,
        scorer: CandidateScorer,
        embedder: Embedder,
        index: ExampleIndex | None,
        *,
        image_encoder: ImageEncoder | None = None,
    ) -> None:
        self.config = config
        self.scorer = scorer
        self.embedder = embedder
        self.index = index
        self.image_encoder = image_encoder
        # whether products' photos are read: by the image encoder here, or (set by the tagger) by an LLM shown them
        self.reads_photos = image_encoder is not None
        self.inputs = tuple(config.inputs)
        self.image_root: Path | None = image_root(config.image_root) if config.image_root else None
        self._file_root = threading.local()  # ``tag_file``'s input directory, for the thread that runs it
        self._photo_thread: ThreadPoolExecutor | None = None

    def prepare(self, facets: Sequence[str], progress: Progress | None = None) -> None:
        """Load the embedder's weights and build each facet's label tables; each facet's tables report ``tables``
        progress, embedding a taxonomy's labels ``labels`` progress (a large facet's labels are embedded as
        candidates need them, see ``tagllm.retrieval.labels.LAZY_LABELS_ABOVE``)."""
        if progress:
            progress("embedder", 0, None)
        self.embedder.load()
        report = (lambda done, total: progress("labels", done, total)) if progress else None
        with self.embedder.reporting(report):
            for i, facet in enumerate(facets):
                if progress:
                    progress("tables", i, len(facets))
                self.scorer.warm(facet)

    def score(
        self,
        products: Sequence[Product],
        vectors: np.ndarray | None = None,
        photos: Photos | None = None,
        *,
        examples: bool = False,
        shows_photos: bool = False,
    ) -> list[ScoredProduct]:
        """Retrieve and score: every facet's candidates per product, its neighbours, and with ``examples`` (an LLM's
        prompt shows them) the labelled examples; with ``shows_photos`` (a backend that reads images), the photos.

        ``vectors`` and ``photos``: the products' embeddings and encoded photos when they are already encoded."""
        texts = [p.text() for p in products]
        if vectors is None:
            vectors = self.embedder.encode(texts)
        else:
            vectors = given_vectors(vectors, len(products), getattr(self.embedder, "dim", None))
        if photos is None:
            photos = self.photos(products)
        images = None
        if photos is not None and self.index is not None and self.index.images is not None:
            images = ImageBatch(photos.views, photos.has, self.index.images)
        with one_thread():  # retrieval and scoring: see tagllm.threads
            batch, candidates = self.scorer.score(
                texts, vectors, max_candidates=self.config.max_candidates, images=images
            )
        shown = self._photos_for_backend(products) if shows_photos else None
        # the neighbours a reviewer sees (and an LLM gets as examples): by photo when the text is hidden
        hits = (
            images.hits("look", self.config.k) if images is not None and "text" not in self.inputs else batch.emb_hits
        )
        scored = []
        for i, product in enumerate(products):
            neighbours = self._neighbours(hits.ids[i], hits.scores[i])
            item = ScoredProduct(product=product, candidates=candidates[i], neighbours=neighbours)
            if photos is not None:
                item.image_uses = photos.uses[i]
            if shown is not None:
                item.images = [image for image in shown[i] if image.ok]
                item.image_uses = item.image_uses or [image.use() for image in shown[i]]
            if examples and self.index is not None:
                item.examples = distinct_examples(
                    [
                        (self.index.examples[int(j)], float(s))
                        for j, s in zip(hits.ids[i], hits.scores[i], strict=False)
                        if j >= 0
                    ],
                    int(self.config.backend_options.get("examples_in_prompt", DEFAULT_EXAMPLES_IN_PROMPT)),
                )
            scored.append(item)
        return scored

    def visible(
        self, item: Product | RecordError, line: int | None = None, name: str = "batch"
    ) -> Product | RecordError:
        """``seen`` for a product, or the error record of one with no words this tagger reads (named ``name:line``
        when ``line`` is given): a title of symbols whose words are all in fields ``ignore_fields`` hides, or whose
        photos alone say what it is when this tagger reads no photos. Tagged, it was read from no words. A record
        error as it is."""
        if isinstance(item, RecordError):
            return item
        seen = self.seen(item)
        if "text" not in self.inputs or not has_no_words(seen):  # photos alone: ``unseen`` says what failed
            return seen
        if seen.images and self.reads_photos:
            return seen
        hidden = [field for field in self.config.ignore_fields if getattr(item, field)]
        unread = self.why_no_photos() if seen.images else None
        return wordless_error(item, name if line is not None else None, line, hidden, photos_unread=unread)

    def unseen(self, item: ScoredProduct) -> TagResult | None:
        """With ``inputs`` [image], a product none of whose photos could be read has nothing to be tagged from: an
        error record naming its photos (``--resume`` retries it once they are fixed), not an abstention."""
        if "text" in self.inputs or any(use.status == "ok" for use in item.image_uses):
            return None
        pid = item.product.id
        why = "; ".join(use.error or use.source for use in item.image_uses)
        read = f"none could be read: {why}" if item.image_uses else "the product has none"
        message = f"inputs [image] tags from the photos alone, and {read}"
        return TagResult(
            product_id=pid, status="error", error=RecordError(field="images", record_id=pid, message=message)
        )

    def why_no_photos(self) -> str:
        """Why this tagger reads no photos, in the words of the setting that turns them off. One message naming the
        index and --image-embedder for every case told a run with no index to look at an index."""
        if "image" not in self.inputs:
            return f"inputs is [{', '.join(self.inputs)}], which leaves photos out"
        if self.config.image_embedder == NO_IMAGES:
            return "--image-embedder none turns photos off"
        if self.index is None:
            return "this run has no index; photos are read through an index built from examples with photos"
        return "its index holds none of its examples' photos"

    def seen(self, product: Product) -> Product:
        """The product as this tagger reads it: without the fields ``ignore_fields`` names (its examples were read
        without them too), and with ``inputs`` [image], its text hidden (the photos alone count). A product already
        read so comes back as it is."""
        if "text" in self.inputs:
            ignored = self.config.ignore_fields
            hide = ignored and any(getattr(product, field) for field in ignored)
            return product.model_copy(update=emptied(ignored)) if hide else product
        if product.title == HIDDEN_TITLE:
            return product
        return product.model_copy(update={"title": HIDDEN_TITLE, **emptied(get_args(TextField))})

    def photos(self, products: Sequence[Product], root: Path | None = None) -> Photos | None:
        """The products' photos through the index's image encoder (None when no photos are read)."""
        if self.image_encoder is None:
            return None
        from tagllm.retrieval.image_index import encode_photos

        return encode_photos([p.images for p in products], self.image_loader(root), self.image_encoder)

    def photos_async(self, products: Sequence[Product]) -> Future[Photos | None] | None:
        """Start loading and encoding the products' photos on a thread (None when photos are not read); relative
        paths start where they do for the calling thread."""
        if self.image_encoder is None or not any(p.images for p in products):
            return None
        if self._photo_thread is None:
            self._photo_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagllm-photos")
        return self._photo_thread.submit(self.photos, products, self.photo_root())

    def photo_root(self) -> Path:
        """Where relative photo paths start for the calling thread: ``image_root`` (the config's, or one set), else
        the input file's directory of the ``tag_file`` this thread runs, else the working directory."""
        return self.image_root or getattr(self._file_root, "path", None) or Path.cwd()

    def photos_beside(self, directory: Path) -> Callable[[], None]:
        """Start relative photo paths in ``directory`` (an input file's) for the calling thread, until the returned
        function is called. Per thread: two ``tag_file`` runs of one tagger on two threads shared one root, the
        second run's photos read from the first's directory, then from the working directory once the first ended."""
        before = getattr(self._file_root, "path", None)
        self._file_root.path = directory

        def restore() -> None:
            self._file_root.path = before

        return restore

    def image_loader(self, root: Path | None = None) -> Any:
        """The loader for products' photos: relative paths start at ``root``, else at ``photo_root()``."""
        from tagllm.images import ImageLoader

        return ImageLoader(
            self.config.image_limits,
            allow_remote=self.config.allow_remote_images,
            root=root or self.photo_root(),
        )

    def _photos_for_backend(self, products: Sequence[Product]) -> list[list[Any]] | None:
        """The products' photos as an LLM backend that reads images gets them (original bytes kept, scaled down to
        ``image_limits.llm_max_side``); None when they have none."""
        if not any(p.images for p in products):
            return None
        loader = self.image_loader()
        size = self.config.image_limits.llm_max_side
        return list(loader.map([p.images for p in products], lambda image: image, size=size, keep_bytes=True))

    def _neighbours(self, ids: Any, scores: Any) -> list[Neighbour]:
        """The first NEIGHBOURS_IN_PROVENANCE hits as provenance. Built unvalidated: the fields come from validated
        examples (3,000 products validated 15,000 of them again, a tenth of the time outside encoding)."""
        if self.index is None:
            return []
        examples = self.index.examples
        hits = ((examples[j], s) for j, s in zip(ids.tolist(), scores.tolist(), strict=False) if j >= 0)
        return [
            Neighbour.model_construct(id=e.id, score=round(s, 4), title=e.title, labels=e.labels)
            for e, s in itertools.islice(hits, NEIGHBOURS_IN_PROVENANCE)
        ]


def distinct_examples(hits: list[tuple[LabelledProduct, float]], limit: int) -> list[tuple[LabelledProduct, float]]:
    """The first ``limit`` neighbours that a prompt shows differently: a catalogue's duplicate listings (the same
    title, text and labels under other ids: 765 of Flipkart's 3,000 shipped examples) are shown once, at the best
    score, so the prompt's examples are that many different products, not one of them twice."""
    seen: set[str] = set()
    out: list[tuple[LabelledProduct, float]] = []
    for example, score in hits:
        key = example.model_dump_json(exclude={"id", "images"})
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append((example, score))
    return out
