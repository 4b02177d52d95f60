"""The tagger: wires normalise ▸ embed ▸ retrieve ▸ candidates ▸ prompt ▸ backend ▸ map into batch tagging."""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from tagllm.assembly import (
    Progress,
    backend_options,
    default_facets,
    gc_paused,
    image_encoder_for,
    open_index,
    with_index_settings,
)
from tagllm.backends import Backend, GenerationRequest, get_backend
from tagllm.candidates import CandidateScorer
from tagllm.config import TaggerConfig, check_config
from tagllm.errors import ConfigError
from tagllm.io import as_product, check_batch, error_id
from tagllm.llm_steps import LLMSteps, ScoredProduct, first_requests
from tagllm.models import Product, RecordError, TagResult
from tagllm.results import ResultBuilder
from tagllm.retrieval.embedder import ENCODE_WINDOW, Embedder
from tagllm.retrieval.image_index import Photos
from tagllm.retrieval.index import ExampleIndex
from tagllm.retrieval.recent import RecentVectors
from tagllm.scoring import BatchScorer, embedded, encoded, given_vectors, refuse_non_finite
from tagllm.tagger_checks import carry_results, check_facet_names, check_file_arguments, checked_batch_size, take
from tagllm.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from tagllm.io import RecordSource
    from tagllm.routing import Router
    from tagllm.run import RunSummary

atexit.register(gc.unfreeze)  # what a Tagger freezes is still freed at interpreter shutdown (native libraries check)

# The first window of a run is small so its results are out within seconds; windows then double up to ENCODE_WINDOW.
FIRST_WINDOW = 256


class Tagger:
    """Tags batches of products against one taxonomy with one backend.

    Build it from a config (``Tagger.from_config``) or from objects you already have (an index, a backend such
    as ``TransformersBackend.from_model(model, tokenizer)``). A single product is a batch of one.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        index: ExampleIndex | None = None,
        backend: Backend | None = None,
        embedder: Embedder | None = None,
        mapper: Any = None,
        config: TaggerConfig | None = None,
    ) -> None:
        self.config = config or TaggerConfig()
        self.taxonomy = taxonomy
        self.skipped_examples: list[RecordError] = []
        self.embedder = embedder or Embedder.from_config(self.config)
        self.index = index
        if index is not None:
            index.check_taxonomy(taxonomy)  # an index loaded or built by the caller for another taxonomy
            index.check_embedder(self.embedder)
        self.inputs = tuple(self.config.inputs)
        self.image_encoder = image_encoder_for(self.config, index) if "image" in self.inputs else None
        if "text" not in self.inputs and self.image_encoder is None:
            raise ConfigError(
                "inputs [image] tags from the photos alone: it needs an index built from examples with photos "
                "(tagllm index build), and --image-embedder not set to none"
            )
        self.backend = backend or get_backend(self.config.backend, **backend_options(self.config, taxonomy))
        if getattr(self.backend, "taxonomy", False) is None:
            self.backend.taxonomy = taxonomy  # type: ignore[attr-defined]
        # a facet named twice (-f color -f color) is tagged once: twice, a Parquet output held its columns twice, a
        # file pyarrow and pandas refuse to read, and the settings record differed from the same run named once
        self.facets = list(dict.fromkeys(self.config.facets or default_facets(taxonomy, index)))
        check_facet_names(taxonomy, self.facets)  # an unknown facet fails here, naming the taxonomy's facets
        self.scorer = CandidateScorer(
            taxonomy, index, self.embedder, self.facets, k=self.config.k, inputs=self.inputs,
            target_precision=self.config.keep_precision,
        )  # fmt: skip
        if index is not None and index.path is not None:
            self.scorer.load_stackers(index.path)
        elif index is not None:  # built in this process (ExampleIndex.build): its stackers were never fitted
            self.scorer.fit()
        self.use_keep_probabilities(self.backend)
        self.retrieval = BatchScorer(self.config, self.scorer, self.embedder, index, image_encoder=self.image_encoder)
        self.results = ResultBuilder(
            taxonomy, self.facets, self.config, index=index, embedder=self.embedder, mapper=mapper
        )
        if self.backend.needs_prompt:
            self.mapper  # noqa: B018 -- built now: every answer goes through it
        self.steps: LLMSteps | None = None
        if self.backend.needs_prompt:
            self.steps = LLMSteps.from_config(taxonomy, self.facets, self.config)
        self.prompt = self.steps.prompt if self.steps is not None else None
        self.retrieval.reads_photos |= self.prompt is not None and self.backend.supports_images
        self.router: Router | None = None
        self._prepared = False  # see ``prepare``: done once, by tag_file or by the first batch
        self._preparing = threading.Lock()
        if self.config.route_threshold is not None:
            from tagllm.routing import Router, check_backend

            check_backend(self.backend)
            self.router = Router(taxonomy, self.facets, self.config.route_threshold)
            self.use_keep_probabilities(self.router.default)
        # The taxonomy, the index and the models are hundreds of thousands of long-lived objects; without this the
        # cyclic GC walks them all again and again while tagging (measured: ~5 ms per product on Flipkart's index).
        gc.collect()
        gc.freeze()

    def __getstate__(self) -> NoReturn:
        """A tagger does not go to another process (pickle: a multiprocessing pool's argument, a bound ``tag`` sent to
        a ProcessPoolExecutor): it holds loaded models, an ONNX session, an LLM engine or its event-loop thread.
        Pickling failed deep inside ("cannot pickle 'InferenceSession' object"), naming nothing to do instead."""
        raise TypeError(
            "a Tagger cannot be pickled or sent to another process: it holds loaded models and engines. Send its "
            "config (tagger.config, a TaggerConfig, pickles) and build one tagger per worker, once, with "
            "Tagger.from_config(config) (in a multiprocessing.Pool initializer, a Ray actor's __init__); on Ray Data, "
            "tagllm.distributed.tag_dataset does this"
        )

    def use_keep_probabilities(self, backend: Backend) -> None:
        """The retrieval backend keeps each attribute's values from the confidence the index measured for it
        (``tagllm.candidates.calibration``); call again after refitting the scorer's stackers."""
        from tagllm.backends.retrieval import RetrievalBackend

        if isinstance(backend, RetrievalBackend):
            backend.facet_keep.update(self.scorer.keep_probabilities())

    @property
    def mapper(self) -> Any:
        """The validator that maps a backend's answers onto the taxonomy (see ``ResultBuilder.mapper``)."""
        return self.results.mapper

    @classmethod
    def from_config(cls, config: TaggerConfig | None = None, *, progress: Progress | None = None) -> Tagger:
        """Build the tagger a configuration describes; the taxonomy, label field and embedder it does not set come
        from the index's manifest. Examples skipped while building the index are in ``skipped_examples``."""
        if config is not None:
            check_config(config, "Tagger.from_config")
        config = with_index_settings(config or TaggerConfig())
        if progress:
            progress("taxonomy", 0, None)
        taxonomy = load_taxonomy(config.taxonomy)
        # a facet misnamed (-f colour) stops the run now, not after the examples were embedded into an index (minutes)
        check_facet_names(taxonomy, config.facets or [])
        # The backend before the index: a setup mistake (a package not installed, a model directory that is not
        # there) stops the run at once, not after the examples were embedded.
        backend = get_backend(config.backend, **backend_options(config, taxonomy))
        if config.route_threshold is not None:
            from tagllm.routing import check_backend, check_facets

            check_backend(backend)
            check_facets(config.route_threshold, taxonomy, config.facets)
        embedder = Embedder.from_config(config)
        skipped: list[RecordError] = []
        index = open_index(config, taxonomy, embedder, progress=progress, errors=skipped)
        if progress and backend.needs_prompt:
            progress("mapping", 0, None)
        tagger = cls(taxonomy, index=index, embedder=embedder, backend=backend, config=config)
        tagger.skipped_examples = skipped
        return tagger

    # -- tagging ---------------------------------------------------------------------------------------------------
    def tag(self, products: Iterable[Product | dict[str, Any]]) -> list[TagResult]:
        """Tag products (Product objects or dicts); a bad record yields an error result, the batch goes on.

        An input that raises part way (a generator whose database cursor died) has the products read before it tagged
        (see ``tag_batches``); its exception then reaches the caller as it was raised, carrying their results in
        ``tagllm_results`` (and, when there are any, a note saying so), so that the work done is not lost with the
        list. So does Ctrl-C (KeyboardInterrupt): an hour's results are not lost to a stop in the last minute."""
        results: list[TagResult] = []
        try:
            for batch in self.tag_batches(products):
                results.extend(batch)
        except (Exception, KeyboardInterrupt) as exc:
            carry_results(exc, results)
            raise
        return results

    def tag_iter(
        self, products: Iterable[Product | dict[str, Any] | RecordError], *, batch_size: int | None = None
    ) -> Iterator[TagResult]:
        """Tag products as an iterator: results come batch by batch, in order, one per product."""
        for results in self.tag_batches(products, batch_size=batch_size):
            yield from results

    def tag_batches(
        self,
        products: Iterable[Product | dict[str, Any] | RecordError],
        *,
        batch_size: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[list[TagResult]]:
        """Tag products batch by batch; each list holds one batch's results, in order, one per product.

        Texts are encoded one window at a time (one call sorts its texts by length, so they pad little); windows
        grow from FIRST_WINDOW to ENCODE_WINDOW so that the first results come within seconds, not after the
        whole first window is encoded. ``progress(done, total)`` follows the encoding of each window.
        """
        check_batch(products)
        size = self.config.batch_size if batch_size is None else checked_batch_size(batch_size)
        self._prepare_once()
        iterator = iter(products)
        seen = 0
        window_size = min(FIRST_WINDOW, max(size, ENCODE_WINDOW))
        recent = RecentVectors(self.embedder)  # a text repeated in a later window is not encoded again
        while True:
            window, failure = take(iterator, window_size)
            if window:
                yield from self._batches(window, size, recent, first=seen, progress=progress)
            if failure is not None:  # the products read before it are tagged: a file run has written them
                raise failure
            if not window:
                return
            seen += len(window)
            window_size = min(2 * window_size, max(size, ENCODE_WINDOW))

    def tag_batch(
        self,
        items: Sequence[Product | dict[str, Any] | RecordError],
        *,
        vectors: np.ndarray | None = None,
        photos: Photos | None = None,
    ) -> list[TagResult]:
        """Tag one batch; ``vectors`` and ``photos``, when given, are the embeddings and encoded photos of its valid
        products, in order. Vectors given with a NaN or infinite value are refused (ValueError); a product the
        tagger's own embedder gives one is an error record (``scoring.embedded``), and the rest of the batch goes on."""
        check_batch(items)
        self._prepare_once()
        converted = [self.retrieval.visible(as_product(item, i), i + 1) for i, item in enumerate(items)]
        found = [p for p in converted if isinstance(p, Product)]
        if found and vectors is not None:
            vectors = given_vectors(vectors, len(found), getattr(self.embedder, "dim", None))
            refuse_non_finite(vectors, [p.id for p in found])
        elif found:
            converted, vectors, photos = encoded(converted, self.embedder, photos)
        results: list[TagResult | None] = [None] * len(items)
        products: list[tuple[int, Product]] = []
        for i, product in enumerate(converted):
            if isinstance(product, RecordError):
                results[i] = TagResult(product_id=error_id(product, i + 1), status="error", error=product)
            else:
                products.append((i, product))
        if products:
            with gc_paused():
                tagged = self._tag_products([p for _, p in products], vectors, photos)
            for (i, _), result in zip(products, tagged, strict=True):
                results[i] = result
        done = [r for r in results if r is not None]
        for result in done:
            result._facets = tuple(self.facets)  # so that ``best`` of a facet not tagged says so, not None
        return done

    def _batches(
        self,
        items: Sequence[Product | dict[str, Any] | RecordError],
        size: int,
        recent: RecentVectors,
        *,
        first: int = 0,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[list[TagResult]]:
        """Tag ``items`` batch by batch, their texts encoded beforehand in one call (see ENCODE_WINDOW) while their
        photos load and encode on other threads."""
        converted = [self.retrieval.visible(as_product(item, first + i), first + i + 1) for i, item in enumerate(items)]
        products = [p for p in converted if isinstance(p, Product)]
        photos = self.retrieval.photos_async(products)
        vectors = recent.encode([p.text() for p in products], progress=progress)
        encoded = photos.result() if photos is not None else None
        converted, vectors, encoded = embedded(converted, vectors, encoded, self.embedder)  # a NaN row: an error record
        row = 0
        for start in range(0, len(converted), size):
            batch = converted[start : start + size]
            valid = sum(isinstance(p, Product) for p in batch)
            part = encoded.slice(row, row + valid) if encoded is not None else None
            yield self.tag_batch(batch, vectors=vectors[row : row + valid], photos=part)
            row += valid

    def requests(
        self, products: Sequence[Product], vectors: np.ndarray | None = None, photos: Photos | None = None
    ) -> list[GenerationRequest]:
        """What the backend gets first for each product: candidates, neighbours, and for LLMs messages + schema (in
        two_step mode the category step; ``steps.second`` builds the attribute step from ``score``'s output).

        ``vectors`` and ``photos``: the products' embeddings and encoded photos when they are already encoded."""
        return first_requests(self.score(products, vectors, photos), self.steps)

    def score(
        self, products: Sequence[Product], vectors: np.ndarray | None = None, photos: Photos | None = None
    ) -> list[ScoredProduct]:
        """Retrieve and score: every facet's candidates per product, its neighbours, and (for LLMs) the examples and
        the photos a backend that reads images is shown (see ``BatchScorer.score``)."""
        shows = self.prompt is not None and self.backend.supports_images
        seen = [self.retrieval.seen(p) for p in products]  # as tag() reads them (the same objects when it did)
        return self.retrieval.score(seen, vectors, photos, examples=self.steps is not None, shows_photos=shows)

    @property
    def image_root(self) -> Path | None:
        """Where relative photo paths start, set for every thread (None: in ``tag_file``'s thread the input file's
        directory, else the working directory)."""
        return self.retrieval.image_root

    @image_root.setter
    def image_root(self, root: Path | None) -> None:
        self.retrieval.image_root = root

    def _tag_products(
        self, products: list[Product], vectors: np.ndarray | None = None, photos: Photos | None = None
    ) -> list[TagResult]:
        scored = self.score(products, vectors, photos)
        blind = {i: result for i, item in enumerate(scored) if (result := self.retrieval.unseen(item)) is not None}
        seen = [item for i, item in enumerate(scored) if i not in blind]
        answered = iter(self._route(seen) if seen else [])
        return [blind[i] if i in blind else next(answered) for i in range(len(scored))]

    def _route(self, scored: list[ScoredProduct]) -> list[TagResult]:
        if self.steps is not None:
            self.steps.rehearse(scored)
        if self.router is not None:
            router = self.router
            return router.route(scored, lambda items: self._answered(items, router.default), self._answered)
        return self._answered(scored)

    def _answered(self, scored: list[ScoredProduct], backend: Backend | None = None) -> list[TagResult]:
        """The scored products tagged by ``backend`` (default: the tagger's)."""
        backend = backend or self.backend
        return self.results.answer(scored, backend, self.steps if backend.needs_prompt else None)

    # -- files -----------------------------------------------------------------------------------------------------
    def prepare(self, progress: Progress | None = None) -> None:
        """Load the embedder's weights and build each facet's label tables now instead of in the first batch, so
        that a run's clock starts with tagging (see ``BatchScorer.prepare``); start the LLM engine, so that one that
        cannot start, or a template the model's context cannot hold, stops the run before its first product.
        ``tag_file`` calls it, and so does the first batch of ``tag``, ``tag_iter``, ``tag_batches`` and ``tag_batch``
        where it was not called: called directly, they failed every product alone on such a mistake."""
        if progress is not None and self.backend.needs_prompt:
            # an engine loading a model, or a server checked, takes minutes: the line said "loading the example index"
            progress("backend", 0, None)
        self.backend.load()
        if self.steps is not None:
            self.steps.check_context(self.backend)
        self.retrieval.prepare(self.facets, progress)
        gc.freeze()  # the tables live as long as the tagger: keep the collector off them, as __init__ does
        self._prepared = True

    def _prepare_once(self) -> None:
        with self._preparing:  # two threads' first batches: one prepares, the other waits for it
            if not self._prepared:
                self.prepare()

    def tag_file(
        self,
        source: str | Path | RecordSource,
        target: str | Path,
        *,
        input_format: str | None = None,
        output_format: str | None = None,
        resume: bool = False,
        columns: dict[str, str] | None = None,
        keep_columns: Sequence[str] = (),
        provenance: bool = True,
        progress: Progress | None = None,
        drop_absent: bool = False,
    ) -> RunSummary:
        """Tag a JSONL/CSV/Parquet file (or '-' for stdin) into a file (or '-' for stdout); see ``tagllm.run``.

        Results are written as they are ready. With ``resume``, products whose last row in the output is a result
        are skipped, failed ones are tagged again (in routing mode also those that kept the default's tags because
        the LLM failed: ``RunSummary.retried_llm``), and the output ends with one row per product id. ``columns``
        maps product fields to input columns (a ``RecordSource`` reads with its own: a ``columns`` or ``input_format``
        other than its own is refused); ``keep_columns`` are input columns copied into each output row. The
        results of products the input no longer has are kept and counted (``RunSummary.absent``); ``drop_absent``
        removes them.
        """
        from tagllm.run import run_file

        check_file_arguments(source, target)
        return run_file(
            self, source, target, input_format=input_format, output_format=output_format, resume=resume,
            columns=columns, keep_columns=keep_columns, provenance=provenance, progress=progress,
            drop_absent=drop_absent,
        )  # fmt: skip
