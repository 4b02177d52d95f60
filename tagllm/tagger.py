"""The tagger: wires normalise ▸ embed ▸ retrieve ▸ candidates ▸ prompt ▸ backend ▸ map into batch tagging."""

from __future__ import annotations

import atexit
import gc
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from tagllm.backends import Backend, Generation, GenerationRequest, get_backend
from tagllm.candidates import CandidateScorer
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, TagllmError
from tagllm.llm_steps import LLMSteps, ScoredProduct
from tagllm.mapping.answers import answer_from_ids
from tagllm.models import (
    Candidate,
    MappingInfo,
    Neighbour,
    Product,
    Provenance,
    RecordError,
    Rejection,
    Tag,
    TagResult,
)
from tagllm.retrieval.embedder import ENCODE_WINDOW, Embedder
from tagllm.retrieval.image_index import ImageBatch, Photos
from tagllm.retrieval.index import ExampleIndex
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy
from tagllm.threads import one_thread

if TYPE_CHECKING:
    from tagllm.io import RecordSource
    from tagllm.routing import Router
    from tagllm.run import RunSummary

atexit.register(gc.unfreeze)  # what a Tagger freezes is still freed at interpreter shutdown (native libraries check)

NEIGHBOURS_IN_PROVENANCE = 5
DEFAULT_EXAMPLES_IN_PROMPT = 5
# The first window of a run is small so its results are out within seconds; windows then double up to ENCODE_WINDOW.
FIRST_WINDOW = 256
HIDDEN_TITLE = "(title hidden: tag from the photo)"  # what stands for the text when the photos alone are read


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
            index.check_embedder(self.embedder)
        self.inputs = tuple(self.config.inputs)
        self.image_encoder = image_encoder_for(self.config, index) if "image" in self.inputs else None
        if "text" not in self.inputs and self.image_encoder is None:
            raise ConfigError(
                "inputs [image] tags from the photos alone: it needs an index built from examples with photos "
                "(tagllm index build), and --image-embedder not set to none"
            )
        self.image_root: Path | None = Path(self.config.image_root) if self.config.image_root else None
        self._photo_thread: ThreadPoolExecutor | None = None
        self.backend = backend or get_backend(self.config.backend, **backend_options(self.config, taxonomy))
        if getattr(self.backend, "taxonomy", False) is None:
            self.backend.taxonomy = taxonomy  # type: ignore[attr-defined]
        self.facets = self.config.facets or default_facets(taxonomy, index)
        for facet in self.facets:
            taxonomy.facet_values(facet)  # an unknown facet fails here, naming the taxonomy's facets
        self.scorer = CandidateScorer(taxonomy, index, self.embedder, self.facets, k=self.config.k, inputs=self.inputs)
        if index is not None and index.path is not None:
            self.scorer.load_stackers(index.path)
        self.use_keep_probabilities(self.backend)
        self._mapper = mapper
        if self.backend.needs_prompt:
            self.mapper  # noqa: B018 -- built now: every answer goes through it
        self.steps: LLMSteps | None = None
        if self.backend.needs_prompt:
            self.steps = LLMSteps.from_config(taxonomy, self.facets, self.config)
        self.prompt = self.steps.prompt if self.steps is not None else None
        self.router: Router | None = None
        if self.config.route_threshold is not None:
            from tagllm.routing import Router, check_backend

            check_backend(self.backend)
            self.router = Router(taxonomy, self.facets, self.config.route_threshold)
            self.use_keep_probabilities(self.router.default)
        # The taxonomy, the index and the models are hundreds of thousands of long-lived objects; without this the
        # cyclic GC walks them all again and again while tagging (measured: ~5 ms per product on Flipkart's index).
        gc.collect()
        gc.freeze()

    def use_keep_probabilities(self, backend: Backend) -> None:
        """The retrieval backend keeps each attribute's values from the confidence the index measured for it
        (``tagllm.candidates.calibration``); call again after refitting the scorer's stackers."""
        from tagllm.backends.retrieval import RetrievalBackend

        if isinstance(backend, RetrievalBackend):
            backend.facet_keep.update(self.scorer.keep_probabilities())

    @property
    def mapper(self) -> Any:
        """The validator that maps a backend's answers onto the taxonomy: built on first use, since the retrieval
        backend answers with taxonomy ids and never needs it (its tables for Shopify's 10,595 categories cost a
        first run seconds), and with tables for this tagger's facets only (the category too: it places the facets
        that apply)."""
        if self._mapper is None:
            from tagllm.mapping import Mapper

            facets = {*self.facets, *({CATEGORY} & self.taxonomy.facets.keys())}
            self._mapper = Mapper(self.taxonomy, embedder=self.embedder, facets=facets)
        return self._mapper

    @classmethod
    def from_config(cls, config: TaggerConfig | None = None, *, progress: Progress | None = None) -> Tagger:
        """Build the tagger a configuration describes; the taxonomy, label field and embedder it does not set come
        from the index's manifest. Examples skipped while building the index are in ``skipped_examples``."""
        config = with_index_settings(config or TaggerConfig())
        if progress:
            progress("taxonomy", 0, None)
        taxonomy = load_taxonomy(config.taxonomy)
        # The backend before the index: a setup mistake (a package not installed, a model directory that is not
        # there) stops the run at once, not after the examples were embedded.
        backend = get_backend(config.backend, **backend_options(config, taxonomy))
        if config.route_threshold is not None:
            from tagllm.routing import check_backend

            check_backend(backend)
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
        """Tag products (Product objects or dicts); a bad record yields an error result, the batch goes on."""
        return list(self.tag_iter(products))

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
        size = batch_size or self.config.batch_size
        iterator = iter(products)
        seen = 0
        window_size = min(FIRST_WINDOW, max(size, ENCODE_WINDOW))
        while window := list(itertools.islice(iterator, window_size)):
            yield from self._batches(window, size, first=seen, progress=progress)
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
        products, in order."""
        results: list[TagResult | None] = [None] * len(items)
        products: list[tuple[int, Product]] = []
        for i, item in enumerate(items):
            product = self._visible(_as_product(item, i))
            if isinstance(product, RecordError):
                results[i] = TagResult(product_id=error_id(product, i + 1), status="error", error=product)
            else:
                products.append((i, product))
        if products:
            with gc_paused():
                tagged = self._tag_products([p for _, p in products], vectors, photos)
            for (i, _), result in zip(products, tagged, strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    def _batches(
        self,
        items: Sequence[Product | dict[str, Any] | RecordError],
        size: int,
        *,
        first: int = 0,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[list[TagResult]]:
        """Tag ``items`` batch by batch, their texts encoded beforehand in one call (see ENCODE_WINDOW) while their
        photos load and encode on other threads."""
        converted = [self._visible(_as_product(item, first + i)) for i, item in enumerate(items)]
        products = [p for p in converted if isinstance(p, Product)]
        photos = self._photos_async(products)
        vectors = self.embedder.encode([p.text() for p in products], progress=progress)
        encoded = photos.result() if photos is not None else None
        row = 0
        for start in range(0, len(converted), size):
            batch = converted[start : start + size]
            valid = sum(isinstance(p, Product) for p in batch)
            part = encoded.slice(row, row + valid) if encoded is not None else None
            yield self.tag_batch(batch, vectors=vectors[row : row + valid], photos=part)
            row += valid

    def _photos_async(self, products: Sequence[Product]) -> Future[Photos | None] | None:
        """Start loading and encoding the products' photos on a thread (None when photos are not read)."""
        if self.image_encoder is None or not any(p.images for p in products):
            return None
        if self._photo_thread is None:
            self._photo_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagllm-photos")
        return self._photo_thread.submit(self.photos, products)

    def photos(self, products: Sequence[Product]) -> Photos | None:
        """The products' photos through the index's image encoder (None when this tagger reads no photos)."""
        if self.image_encoder is None:
            return None
        from tagllm.retrieval.image_index import encode_photos

        return encode_photos([p.images for p in products], self.image_loader(), self.image_encoder)

    def _visible(self, item: Product | RecordError) -> Product | RecordError:
        """The product as this tagger reads it: with ``inputs`` [image], its text hidden (the photos alone count)."""
        if "text" in self.inputs or not isinstance(item, Product):
            return item
        hidden: dict[str, Any] = {
            "title": HIDDEN_TITLE,
            "description": None,
            "brand": None,
            "attributes": {},
            "queries": [],
        }
        return item.model_copy(update=hidden)

    def _photos_for_backend(self, products: Sequence[Product]) -> list[list[Any]] | None:
        """The products' photos as an LLM backend that reads images gets them (original bytes kept, scaled down to
        ``image_limits.llm_max_side``); None when the backend reads no images."""
        if self.prompt is None or not self.backend.supports_images or not any(p.images for p in products):
            return None
        loader = self.image_loader()
        size = self.config.image_limits.llm_max_side
        return list(loader.map([p.images for p in products], lambda image: image, size=size, keep_bytes=True))

    def image_loader(self, root: Path | None = None) -> Any:
        """The loader for products' photos: relative paths start at ``root``, else ``image_root``, else the working
        directory (``tag_file`` passes the input file's directory)."""
        from tagllm.images import ImageLoader

        return ImageLoader(
            self.config.image_limits,
            allow_remote=self.config.allow_remote_images,
            root=root or self.image_root or Path.cwd(),
        )

    def requests(
        self, products: Sequence[Product], vectors: np.ndarray | None = None, photos: Photos | None = None
    ) -> list[GenerationRequest]:
        """What the backend gets first for each product: candidates, neighbours, and for LLMs messages + schema (in
        two_step mode the category step; ``steps.second`` builds the attribute step from ``score``'s output).

        ``vectors`` and ``photos``: the products' embeddings and encoded photos when they are already encoded."""
        return self._first_requests(self.score(products, vectors, photos), self.steps)

    @staticmethod
    def _first_requests(scored: list[ScoredProduct], steps: LLMSteps | None) -> list[GenerationRequest]:
        if steps is None:
            return [
                GenerationRequest(
                    product=i.product, candidates=i.candidates, neighbours=i.neighbours, image_uses=i.image_uses
                )
                for i in scored
            ]
        return [steps.first(s) for s in scored]

    def score(
        self, products: Sequence[Product], vectors: np.ndarray | None = None, photos: Photos | None = None
    ) -> list[ScoredProduct]:
        """Retrieve and score: every facet's candidates per product, its neighbours, and (for LLMs) the examples."""
        texts = [p.text() for p in products]
        if vectors is None:
            vectors = self.embedder.encode(texts)
        elif len(vectors) != len(products):
            raise ValueError(f"{len(vectors)} vectors for {len(products)} products")
        if photos is None:
            photos = self.photos(products)
        images = None
        if photos is not None and self.index is not None and self.index.images is not None:
            images = ImageBatch(photos.views, photos.has, self.index.images)
        with one_thread():  # retrieval and scoring: see tagllm.threads
            batch, candidates = self.scorer.score(
                texts, vectors, max_candidates=self.config.max_candidates, images=images
            )
        shown = self._photos_for_backend(products)
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
            if self.steps is not None and self.index is not None:
                item.examples = [
                    (self.index.examples[int(j)], float(s))
                    for j, s in zip(hits.ids[i], hits.scores[i], strict=False)
                    if j >= 0
                ][: int(self.config.backend_options.get("examples_in_prompt", DEFAULT_EXAMPLES_IN_PROMPT))]
            scored.append(item)
        return scored

    def _tag_products(
        self, products: list[Product], vectors: np.ndarray | None = None, photos: Photos | None = None
    ) -> list[TagResult]:
        scored = self.score(products, vectors, photos)
        if self.router is not None:
            router = self.router
            return router.route(scored, lambda items: self._answered(items, router.default), self._answered)
        return self._answered(scored)

    def _answered(self, scored: list[ScoredProduct], backend: Backend | None = None) -> list[TagResult]:
        """The scored products tagged by ``backend`` (default: the tagger's): one batch call per step."""
        backend = backend or self.backend
        steps = self.steps if backend.needs_prompt else None
        firsts = self._generate(self._first_requests(scored, steps), backend)
        if steps is None or not steps.is_two_step:
            return [self._result([part], backend, steps) for part in firsts]
        # Step 2, batch-first: the attribute requests of the whole batch go to the backend together.
        seconds = self._second_requests(scored, firsts, steps)
        todo = [(i, request) for i, request in enumerate(seconds) if request is not None]
        answered = dict(zip([i for i, _ in todo], self._generate([r for _, r in todo], backend), strict=True))
        return [
            self._result([part, answered[i]] if i in answered else [part], backend, steps)
            for i, part in enumerate(firsts)
        ]

    def _second_requests(
        self, scored: list[ScoredProduct], firsts: list[_Part], steps: LLMSteps | None = None
    ) -> list[GenerationRequest | None]:
        """two_step: each product's attribute request for the category its first answer chose (None: the first
        step failed, or no facet that applies has candidates)."""
        steps = steps or self.steps
        assert steps is not None
        return [
            steps.second(item, _chosen(part, CATEGORY)) if part.answer is not None else None
            for item, part in zip(scored, firsts, strict=True)
        ]

    def _generate(self, requests: list[GenerationRequest], backend: Backend) -> list[_Part]:
        """One backend call for a list of requests; each answer mapped onto the taxonomy (None where it failed)."""
        if not requests:
            return []
        started = time.perf_counter()
        try:
            generations = backend.generate(requests)
        except TagllmError as exc:
            error = RecordError(message=f"backend {backend.name}: {exc}", is_retryable=exc.is_retryable)
            generations = [Generation(error=error) for _ in requests]
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(requests), 1)
        return self._parts(requests, generations, elapsed_ms)

    def _parts(
        self, requests: Sequence[GenerationRequest], generations: Sequence[Generation], elapsed_ms: float = 0.0
    ) -> list[_Part]:
        """Each request with its generation, the answer mapped onto the taxonomy (None where the generation failed);
        ``elapsed_ms``: the latency of a generation that does not carry its own."""
        parts = []
        for request, generation in zip(requests, generations, strict=True):
            answer = None
            if generation.error is None:
                allowed = {f: {c.id for c in cands} for f, cands in request.candidates.items()}
                facets = list(request.candidates) or self.facets
                if generation.ids is not None:  # value ids already: checked, not parsed and mapped
                    parsed = json.loads(generation.text) if generation.text else None
                    answer = answer_from_ids(self.taxonomy, generation.ids, facets, allowed=allowed, parsed=parsed)
                else:
                    answer = self.mapper.map_answer(generation.text, facets, allowed=allowed)
            latency_ms = generation.latency_ms if generation.latency_ms is not None else elapsed_ms
            parts.append(_Part(request, generation, answer, latency_ms))
        return parts

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

    def _result(self, parts: list[_Part], backend: Backend, steps: LLMSteps | None) -> TagResult:
        """One product's result from its answered requests: one, or the category and the attribute step."""
        first = parts[0]
        product = first.request.product
        texts = [p.generation.text for p in parts]
        parsed = [p.answer.parsed if p.answer is not None else None for p in parts]
        # A two-step result names both templates (and both hashes), joined by "+".
        prompts = [steps.prompt, steps.attribute_prompt][: len(parts)] if steps is not None else []
        provenance = Provenance(
            backend=backend.name,
            model=backend.model,
            taxonomy_version=self.taxonomy.version,
            index_version=self.index.version if self.index is not None else None,
            template="+".join(p.name for p in prompts) if prompts else None,
            template_hash="+".join(p.hash for p in prompts) if prompts else None,
            neighbours=first.request.neighbours,
            images=first.request.image_uses,
            candidates={f: c for p in parts for f, c in p.request.candidates.items()},
            # Two steps: one answer per line, step by step; their parsed objects merged (their facets differ).
            raw_output="\n".join(texts),
            parsed_output=_merged(parsed),
            prompt_tokens=_total(p.generation.prompt_tokens for p in parts),
            completion_tokens=_total(p.generation.completion_tokens for p in parts),
            latency_ms=round(sum(p.latency_ms for p in parts), 3),
        )
        for step, part in enumerate(parts):
            if part.generation.error is not None:
                error = part.generation.error
                if step:
                    message = f"attribute step (category chosen: {_chosen(first, CATEGORY)}): {error.message}"
                    error = error.model_copy(update={"message": message})
                return TagResult(product_id=product.id, status="error", error=error, provenance=provenance)
        tags: dict[str, list[Tag]] = {}
        rejected: list[Rejection] = []
        for part in parts:
            assert part.answer is not None  # no error, so the answer was mapped
            rejected.extend(part.answer.rejected)
            tags |= self._answer_tags(part, "retrieval" if backend.name == "retrieval" else "llm")
        if steps is not None:
            tags, dropped = steps.drop_inapplicable(tags, _chosen(first, CATEGORY))
            rejected.extend(dropped)
        return TagResult(product_id=product.id, tags=tags, rejected=rejected, provenance=provenance)

    def _answer_tags(self, part: _Part, source: str) -> dict[str, list[Tag]]:
        """Tags from one mapped answer: confidence from the backend's log-probs, else the candidate's score."""
        assert part.answer is not None
        request, generation = part.request, part.generation
        tags: dict[str, list[Tag]] = {}
        for facet, mapped in part.answer.tags.items():
            scores = {c.id: c.score for c in request.candidates.get(facet, [])}
            given = (generation.confidences or {}).get(facet, {})
            facet_tags = []
            for value, info in mapped:
                if value.id in given:
                    confidence = given[value.id]
                elif value.id in scores:
                    confidence = scores[value.id]
                else:
                    confidence = 0.5 * info.score
                facet_tags.append(self._tag(value.id, facet, confidence, source, info))
            tags[facet] = self._apply_threshold(facet, facet_tags, request.candidates.get(facet, []))
        return tags

    def _tag(self, value_id: str, facet: str, confidence: float, source: str, info: MappingInfo | None) -> Tag:
        value = self.taxonomy.values[value_id]
        # unvalidated: the value is the taxonomy's and the confidence is clamped here (10,000 tags per 3,000 products)
        return Tag.model_construct(
            facet=facet,
            id=value.id,
            name=value.name,
            path=value.path,
            confidence=round(min(max(confidence, 0.0), 1.0), 6),
            source=source,
            mapping=info,
        )

    def _apply_threshold(self, facet: str, tags: list[Tag], candidates: list[Candidate]) -> list[Tag]:
        """Drop tags under the threshold; in a hierarchy, back off to the deepest ancestor that is sure enough.

        An ancestor's confidence is the summed probability of the candidates inside its subtree (capped at 1):
        'some kind of shoe' can be certain when no single kind of shoe is.
        """
        hierarchical = self.taxonomy.facets[facet].hierarchical
        threshold = self.config.threshold
        # only the tags' ancestors are ever looked up: a backed-off tag's ancestors are among its own
        wanted = {a for tag in tags for a in self.taxonomy.lineage(tag.id)[:-1]} if hierarchical else set()
        masses = self._subtree_masses(candidates, wanted) if wanted else {}
        kept: list[Tag] = []
        for tag in tags:
            if tag.confidence >= threshold:
                kept.append(tag)
                continue
            if not hierarchical:
                continue
            for ancestor in reversed(self.taxonomy.ancestors(tag.id)):
                mass = masses.get(ancestor.id, 0.0)
                if mass >= threshold:
                    kept.append(self._tag(ancestor.id, facet, mass, "backoff", tag.mapping))
                    break
        if hierarchical and self.config.add_ancestors:
            seen = {t.id for t in kept}
            for tag in list(kept):
                for ancestor in self.taxonomy.ancestors(tag.id):
                    if ancestor.id not in seen:
                        seen.add(ancestor.id)
                        confidence = max(tag.confidence, masses.get(ancestor.id, 0.0))
                        kept.append(self._tag(ancestor.id, facet, confidence, "ancestor", None))
        return kept

    def _subtree_masses(self, candidates: list[Candidate], wanted: set[str]) -> dict[str, float]:
        """Per ``wanted`` value: the summed probability of the candidates in its subtree, capped at 1."""
        masses = dict.fromkeys(wanted, 0.0)
        for c in candidates:
            for value in self.taxonomy.lineage(c.id):
                if value in masses:
                    masses[value] += c.score
        return {value: min(1.0, mass) for value, mass in masses.items()}

    # -- files -----------------------------------------------------------------------------------------------------
    def prepare(self, progress: Progress | None = None) -> None:
        """Load the embedder's weights and build each facet's label tables now instead of in the first batch, so
        that a run's clock starts with tagging; each facet's tables report ``tables`` progress, embedding a
        taxonomy's labels ``labels`` progress (a large facet's labels are embedded as candidates need them, see
        ``tagllm.retrieval.labels.LAZY_LABELS_ABOVE``)."""
        if progress:
            progress("embedder", 0, None)
        self.embedder.model  # noqa: B018 (loads the weights)
        report = (lambda done, total: progress("labels", done, total)) if progress else None
        with self.embedder.reporting(report):
            for i, facet in enumerate(self.facets):
                if progress:
                    progress("tables", i, len(self.facets))
                self.scorer.warm(facet)
        gc.freeze()  # the tables live as long as the tagger: keep the collector off them, as __init__ does

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
    ) -> RunSummary:
        """Tag a JSONL/CSV/Parquet file (or '-' for stdin) into a file (or '-' for stdout); see ``tagllm.run``.

        Results are written as they are ready. With ``resume``, products whose last row in the output is a result
        are skipped, failed ones are tagged again, and the output ends with one row per product id. ``columns``
        maps product fields to input columns; ``keep_columns`` are input columns copied into each output row.
        """
        from tagllm.run import run_file

        return run_file(
            self, source, target, input_format=input_format, output_format=output_format, resume=resume,
            columns=columns, keep_columns=keep_columns, provenance=provenance, progress=progress,
        )  # fmt: skip


@dataclass
class _Part:
    """One answered request of a product: what was asked, the backend's answer, and that answer mapped (None when
    the backend failed)."""

    request: GenerationRequest
    generation: Generation
    answer: Any = None
    latency_ms: float = 0.0


def _chosen(part: _Part, facet: str) -> str | None:
    """The value the answer chose for ``facet`` (the first, as the model wrote it), before any threshold."""
    mapped = part.answer.tags.get(facet) if part.answer is not None else None
    return mapped[0][0].id if mapped else None


def _merged(parsed: list[Any]) -> Any:
    if len(parsed) == 1:
        return parsed[0]
    if all(isinstance(p, dict) for p in parsed):
        return {k: v for p in parsed for k, v in p.items()}
    return parsed


def _total(counts: Iterable[int | None]) -> int | None:
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def _as_product(item: Any, position: int) -> Product | RecordError:
    """A batch item as a Product, or the error record saying why it is not one (never an exception)."""
    if isinstance(item, Product | RecordError):
        return item
    from tagllm.io import Record, to_product

    where = f"batch:{position + 1}"
    if not isinstance(item, Mapping):
        message = f"{where}: expected a product (a dict with a title, or a Product), got {_kind(item)}"
        return RecordError(line=position + 1, message=message)
    bad_keys = [key for key in item if not isinstance(key, str)]
    if bad_keys:
        message = f"{where}: field names must be strings, got {bad_keys[0]!r}"
        return RecordError(line=position + 1, message=message)
    return to_product(Record(position + 1, dict(item)), "batch")


def _kind(value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= 40 else text[:39] + "…"
    return f"{type(value).__name__} {shown}"


def error_id(error: RecordError, position: int) -> str:
    """The product id an error record is written under: the record's id, else its line."""
    return error.record_id or f"line-{error.line or position}"


def tag_products(
    products: Iterable[Product | dict[str, Any]], config: TaggerConfig | None = None, **settings: Any
) -> list[TagResult]:
    """One call for a batch job: build a tagger from ``config`` (or settings) and tag the products."""
    from tagllm.config import load_config

    return Tagger.from_config(config or load_config(**settings)).tag(products)


def tag_file(source: str | Path, target: str | Path, config: TaggerConfig | None = None, **settings: Any) -> RunSummary:
    """Tag a file into a file (see ``Tagger.tag_file``), building the tagger from ``config`` or settings."""
    from tagllm.config import load_config

    run_options = ("input_format", "output_format", "resume", "columns", "keep_columns", "provenance", "progress")
    options = {k: settings.pop(k) for k in run_options if k in settings}
    return Tagger.from_config(config or load_config(**settings)).tag_file(source, target, **options)
