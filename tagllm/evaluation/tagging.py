"""Tagging one variant of an eval config over the gold sample: its tagger built and prepared, the products tagged
in chunks that grow while they are quick, each chunk's predictions cached as it is tagged."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.assembly import Progress
from tagllm.config import TaggerConfig
from tagllm.evaluation.cache import PredictionCache, product_key, variant_key
from tagllm.evaluation.config import EvalConfig, Variant
from tagllm.evaluation.gold import GoldItem, GoldSet
from tagllm.io import Record, to_product
from tagllm.io.rows import OK, UNFETCHED
from tagllm.io.rows import outcome as outcome_of
from tagllm.models import Product, RecordError, TagResult
from tagllm.taxonomy import Taxonomy

TaggerFactory = Callable[[TaggerConfig], Any]


def _default_factory(config: TaggerConfig, progress: Progress | None = None) -> Any:
    from tagllm.tagger import Tagger

    return Tagger.from_config(config, progress=progress)


def _build_tagger(factory: Callable[..., Any], config: TaggerConfig, steps: Progress | None) -> Any:
    """The variant's tagger, its setup (an index built, a model loaded, label tables) reported to ``steps`` by a
    factory that takes ``progress``, as the default one does, and by a tagger that can ``prepare``. Prepared here,
    not in its first ``tag``, so that the setup is timed as setup, not as the first products' seconds."""
    takes_progress = steps is not None and "progress" in inspect.signature(factory).parameters
    tagger = factory(config, progress=steps) if takes_progress else factory(config)
    prepare = getattr(tagger, "prepare", None)
    if callable(prepare):
        prepare(steps)
    return tagger


# About how long a chunk of products is tagged before its results are cached: what a Ctrl-C can cost.
CHUNK_SECONDS = 30.0


PREDICTIONS_KEY = "file:"  # a VariantRun's key starts so when it was read from a predictions file


@dataclass
class VariantRun:
    """The predictions of one variant on the sample, and how they were obtained."""

    variant: Variant
    results: dict[str, TagResult]
    seconds: dict[str, float]
    cached: int
    tagged: int
    setup_s: float
    key: str
    repeated: list[dict[str, Any]] = field(default_factory=list)  # predictions whose product an earlier line has
    torn: list[dict[str, Any]] = field(default_factory=list)  # a predictions file's torn last line (a killed run)

    @property
    def is_from_file(self) -> bool:
        """Read from a predictions file (``load_predictions``), not tagged by the variant's tagger."""
        return self.key.startswith(PREDICTIONS_KEY)


def _to_product(item: GoldItem) -> Product | RecordError:
    """The gold record as a Product, or the error naming the record and each field at fault as generate names them
    ("record 'p9' has no title; …", not pydantic's "title: Input should be a valid string")."""
    product = to_product(Record(item.line, item.record), "")
    if isinstance(product, RecordError):
        message = f"gold line {item.line}: {product.message}"
        return RecordError(field=product.field, line=item.line, record_id=item.id, message=message)
    return product


def tag_variant(
    variant: Variant,
    gold: GoldSet,
    taxonomy: Taxonomy,
    cfg: EvalConfig,
    *,
    factory: TaggerFactory | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    steps: Progress | None = None,
) -> VariantRun:
    """Tag the sample with one variant, reusing cached predictions for products already tagged by it. ``progress``
    hears a line per variant; ``steps(stage, done, total)`` the tagger's setup and each batch tagged (``tag``)."""
    key = variant_key(variant.config, taxonomy, cfg.hide_fields)
    cache = PredictionCache(Path(cfg.cache), key) if use_cache else None
    results: dict[str, TagResult] = {}
    seconds: dict[str, float] = {}
    todo: list[tuple[GoldItem, str]] = []
    # the gold file's relative photo paths start beside it, as the tagger's do (set on it below)
    photo_root = Path(variant.config.image_root or Path(cfg.gold).resolve().parent)
    for item in gold.items:
        pkey = product_key(item.record, photo_root)
        hit = cache.get(pkey) if cache else None
        if hit is not None:
            results[item.id], seconds[item.id] = hit
        else:
            todo.append((item, pkey))
    cached = len(gold.items) - len(todo)
    setup_s = 0.0
    if todo:
        if progress:
            progress(f"{variant.name}: tagging {len(todo)} product(s), {cached} from cache")
        start = time.perf_counter()
        tagger = _build_tagger(factory or _default_factory, variant.config, steps)
        if getattr(tagger, "image_root", False) is None:  # the gold file's relative image paths start beside it
            tagger.image_root = Path(cfg.gold).resolve().parent
        setup_s = time.perf_counter() - start
        batch = max(1, variant.config.batch_size)
        if steps:
            steps("tag", 0, len(todo))
        _tag_batches(tagger, todo, batch, results, seconds, cache, steps)
        close = getattr(getattr(tagger, "backend", None), "close", None)
        if callable(close):
            close()
    elif progress:
        progress(f"{variant.name}: all {cached} product(s) from cache")
    return VariantRun(variant, results, seconds, cached, len(todo), setup_s, key)


def _tag_batches(
    tagger: Any,
    todo: list[tuple[GoldItem, str]],
    batch: int,
    results: dict[str, TagResult],
    seconds: dict[str, float],
    cache: PredictionCache | None,
    steps: Progress | None,
) -> None:
    """Tag ``todo`` chunk by chunk into ``results``, caching each chunk's products as it is tagged; a Ctrl-C is a
    ``VariantInterrupted`` that counts the products cached before it.

    A Ctrl-C loses the chunk in flight, so chunks start at one product and double (up to ``batch``) only while one
    takes under ``CHUNK_SECONDS``: a chunk was the whole batch (1,024 products), and a Ctrl-C in an LLM's run lost
    every answer it had (the 200 of the shipped openai config, all tagged again by the run again)."""
    saved = 0
    offset, size = 0, 1
    try:
        while offset < len(todo):
            chunk = todo[offset : offset + min(size, batch)]
            products: list[Product] = []
            positions: list[int] = []
            new: list[tuple[str, TagResult, float]] = []
            for i, (item, _) in enumerate(chunk):
                product = _to_product(item)
                if isinstance(product, RecordError):
                    results[item.id] = TagResult(product_id=item.id, status="error", error=product)
                    seconds[item.id] = 0.0
                else:
                    products.append(product)
                    positions.append(i)
            start = time.perf_counter()
            tagged = tagger.tag(products) if products else []
            took = time.perf_counter() - start
            per_product = took / max(1, len(products))
            for i, result in zip(positions, tagged, strict=True):
                item, pkey = chunk[i]
                results[item.id] = result
                seconds[item.id] = per_product
                # Failed records are not cached: a transient backend error should be retried next run; nor is what
                # --resume retries (a failed LLM's product kept with the default's tags, one tagged without its photos)
                if outcome_of(result) in (OK, UNFETCHED):
                    new.append((pkey, result, per_product))
            if cache is not None:
                cache.put(new)
                saved += len(new)
            offset += len(chunk)
            if steps:
                steps("tag", offset, len(todo))
            if took < CHUNK_SECONDS / 2:
                size = min(2 * size, batch)
            elif took > 2 * CHUNK_SECONDS:
                size = max(1, size // 2)
    except KeyboardInterrupt:
        raise VariantInterrupted(saved) from None


class VariantInterrupted(KeyboardInterrupt):
    """Ctrl-C while a variant was tagged: ``cached`` of its products were tagged and cached before it, which a run
    again takes from the cache."""

    def __init__(self, cached: int) -> None:
        super().__init__()
        self.cached = cached
