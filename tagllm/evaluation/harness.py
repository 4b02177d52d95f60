"""The evaluation harness: tag each variant of an eval config (cached), score it, write its run directory.

Eval configs and variants live in ``evaluation.config``, gold and sampling in ``evaluation.gold``, the prediction
cache in ``evaluation.cache``; their public names are importable from here too.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tagllm.assembly import Progress
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, InputError, OutputError, RunFailedError, TagllmError, missing_dependency
from tagllm.evaluation.cache import (
    PredictionCache,
    attribute_template_digest,
    code_digest,
    product_key,
    template_digest,
    variant_key,
)
from tagllm.evaluation.config import EvalConfig, SampleSpec, Variant, load_eval_config, variants
from tagllm.evaluation.gold import GoldItem, GoldResolver, GoldSet, load_gold, strip_answers
from tagllm.io import Record, to_product
from tagllm.io.places import check_writable
from tagllm.io.rows import OK, UNFETCHED, encodable, encodable_result
from tagllm.io.rows import outcome as outcome_of
from tagllm.models import Product, RecordError, TagResult
from tagllm.sigterm import Sigterm
from tagllm.taxonomy import Taxonomy

__all__ = [
    "EvalConfig",
    "EvalOutcome",
    "SweepFailedError",
    "GoldItem",
    "GoldResolver",
    "GoldSet",
    "PredictionCache",
    "SampleSpec",
    "TaggerFactory",
    "Variant",
    "VariantRun",
    "attribute_template_digest",
    "code_digest",
    "load_eval_config",
    "load_gold",
    "load_predictions",
    "new_run_root",
    "product_key",
    "run_eval",
    "strip_answers",
    "tag_variant",
    "template_digest",
    "variant_key",
    "variants",
    "write_run",
]

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


# -- run directories -----------------------------------------------------------------------------------------
@dataclass
class EvalOutcome:
    """What `tagllm eval run` produced: one run directory per variant and, for several, a comparison."""

    root: Path
    runs: list[Path]
    metrics: list[dict[str, Any]]
    comparison: Path | None = None
    failed: dict[str, str] = field(default_factory=dict)  # a sweep's variants that failed, each with why


class SweepFailedError(RunFailedError):
    """Some variants of a sweep failed; ``outcome`` holds the ones that were scored and written (and their
    comparison), which the message names so that they are not lost to the user."""

    def __init__(self, message: str, outcome: EvalOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


class VariantInterrupted(KeyboardInterrupt):
    """Ctrl-C while a variant was tagged: ``cached`` of its products were tagged and cached before it, which a run
    again takes from the cache."""

    def __init__(self, cached: int) -> None:
        super().__init__()
        self.cached = cached


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM: ``terminated``) during `eval run`: ``outcome`` holds the variants scored and written, so
    that they are named, not lost to the user behind 'interrupted'; ``cached``, the products of ``variant`` (the one
    interrupted) tagged and cached before it, so that the user knows a run again does not tag them again."""

    def __init__(
        self, outcome: EvalOutcome, variants_run: int, variant: str = "", cached: int = 0, terminated: bool = False
    ) -> None:
        super().__init__()
        self.outcome = outcome
        self.variants_run = variants_run
        self.variant = variant
        self.cached = cached
        self.terminated = terminated


def new_run_root(cfg: EvalConfig, now: _dt.datetime | None = None) -> Path:
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y%m%d-%H%M%S")
    root = Path(cfg.output) / f"{cfg.name}-{stamp}"
    n = 1
    while root.exists():
        n += 1
        root = Path(cfg.output) / f"{cfg.name}-{stamp}-{n}"
    return root


def _take_run_root(root: Path, cfg: EvalConfig) -> Path:
    """Make ``root``, or a new run root when another run has made it since this one was named: two runs started in
    the same second took one name, and the run that finished last wrote over the other's files."""
    while True:
        try:
            root.mkdir(parents=True)
            return root
        except FileExistsError:
            root = new_run_root(cfg)


def write_run(directory: Path, metrics: dict[str, Any], per_product: list[dict[str, Any]], run: VariantRun) -> None:
    """Write predictions, per-product scores, metrics.json, report.md and report.html into a run directory."""
    from tagllm.evaluation.report import render_html, render_markdown

    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "predictions.jsonl").open("w", encoding="utf-8") as fh:
        for row in per_product:
            result = run.results.get(row["id"])
            if result is not None:
                fh.write(encodable_result(result).model_dump_json() + "\n")
    with (directory / "per_product.jsonl").open("w", encoding="utf-8") as fh:
        for row in per_product:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (directory / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    (directory / "report.md").write_text(render_markdown(metrics), encoding="utf-8")
    (directory / "report.html").write_text(render_html(metrics), encoding="utf-8")


def run_eval(
    cfg: EvalConfig,
    *,
    factory: TaggerFactory | None = None,
    use_cache: bool = True,
    root: Path | None = None,
    progress: Callable[[str], None] | None = None,
    predictions: str | Path | None = None,
    steps: Progress | None = None,
) -> EvalOutcome:
    """Score every variant of ``cfg`` on the same sample and write run directories (and a comparison).

    ``progress`` hears a line per variant, ``steps`` each one's setup and batches (see ``tag_variant``). With
    ``predictions`` (a JSONL of TagResults, e.g. from `tagllm generate`), nothing is tagged: that file is
    scored once (a sweep's variants are not made), and gold products it lacks count as misses.
    """
    from tagllm.evaluation.scoring import score_run
    from tagllm.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(cfg.tagger.taxonomy)
    gold = load_gold(cfg, taxonomy)
    runs = variants(cfg)
    if predictions is not None and len(runs) > 1:
        # one file of results, made by one configuration: scored once per variant it was reported as the sweep's
        # variants, the same figures under each name, and their comparison as "no difference"
        runs = [Variant("base", cfg.tagger)]
        if progress:
            progress(
                f"--predictions: {predictions} is scored once, as one run; the sweep over {', '.join(cfg.sweep)} "
                "makes no variants (each would score this one file)"
            )
    if predictions is None:
        _check_tagged_facets(runs, gold)
        _check_prompts(runs, taxonomy)
        if factory is None:  # a factory of the caller's builds its own taggers
            _check_setups(runs, taxonomy)
        _warn_prompts_unread(cfg, runs, progress)
    named = root is None  # made when its first run is written, by this run alone (_take_run_root)
    root = root or new_run_root(cfg)
    check_writable(root, directory=True)  # before any product is tagged
    if use_cache and predictions is None:
        _check_cache_writable(cfg)
    outcome = EvalOutcome(root, [], [])
    sigterm = Sigterm()  # a batch scheduler's stop, as Ctrl-C: the variants written and products cached are kept
    sigterm.catch()
    try:
        for variant in runs:
            try:
                if predictions is not None:
                    run = load_predictions(predictions, variant, taxonomy)
                    _check_predictions_match(predictions, run, gold, cfg)
                    _check_predictions_facets(predictions, gold)
                else:
                    run = tag_variant(
                        variant,
                        gold,
                        taxonomy,
                        cfg,
                        factory=factory,
                        use_cache=use_cache,
                        progress=progress,
                        steps=steps,
                    )
                _check_not_all_failed(cfg, run)
                metrics, per_product = score_run(cfg, gold, run, taxonomy)
                # half a surrogate pair in a gold record (a JSON "\ud83d", an emoji cut short: an error record, as
                # generate makes) is U+FFFD in what is written and printed, as generate writes it; it crashed the run
                metrics, per_product = encodable(metrics), encodable(per_product)
                if named:
                    root = outcome.root = _take_run_root(root, cfg)
                    named = False
                directory = root if len(runs) == 1 else root / _dir_name(variant.name)
                write_run(directory, metrics, per_product, run)
            except VariantInterrupted as stop:
                raise SweepInterrupted(outcome, len(runs), variant.name, stop.cached, sigterm.terminated) from None
            except KeyboardInterrupt:
                raise SweepInterrupted(outcome, len(runs), terminated=sigterm.terminated) from None
            except TagllmError as exc:
                if len(runs) == 1:
                    raise
                # A sweep goes on: a variant that cannot run (its model, its prompt, its server) says nothing of the
                # others, whose results the user came for.
                outcome.failed[variant.name] = str(exc)
                if progress:
                    progress(f"{variant.name}: failed, going on with the other variants: {exc}")
                continue
            outcome.runs.append(directory)
            outcome.metrics.append(metrics)
    finally:
        sigterm.release()
    if len(outcome.runs) > 1:
        from tagllm.evaluation.compare import compare_runs, write_comparison

        outcome.comparison = write_comparison(compare_runs(outcome.runs, seed=cfg.seed, n_boot=cfg.bootstrap), root)
    if outcome.failed:
        raise SweepFailedError(_sweep_failure(cfg, len(runs), outcome, use_cache), outcome)
    return outcome


def _check_cache_writable(cfg: EvalConfig) -> None:
    """Refuse, before any product is tagged, a prediction cache that cannot be written: the first batch was tagged
    (an LLM's minutes), then the run crashed with a traceback writing it, and its answers were lost."""
    try:
        check_writable(Path(cfg.cache), directory=True)
    except OutputError as exc:
        raise OutputError(
            f"the prediction cache cannot be written ({exc}): set cache: in the eval config to a folder that can be, "
            "or run with --no-cache; nothing was tagged"
        ) from None


def _sweep_failure(cfg: EvalConfig, variants_run: int, outcome: EvalOutcome, use_cache: bool) -> str:
    failed = "; ".join(f"[{name}] {why}" for name, why in outcome.failed.items())
    count = "all" if not outcome.runs else f"{len(outcome.failed)} of"
    message = f"eval {cfg.name}: {count} {variants_run} variant(s) failed: {failed}"
    if not outcome.runs:
        return message + "; no run directory was written"
    message += f"; the other {len(outcome.runs)} were scored and written: {', '.join(map(str, outcome.runs))}"
    if outcome.comparison is not None:
        message += f" (compared in {outcome.comparison})"
    if use_cache:
        message += "; once the cause is fixed, run the sweep again: the variants that worked come from the cache"
    return message


def _check_not_all_failed(cfg: EvalConfig, run: VariantRun) -> None:
    """Scores of 0.000 from a run where every product failed would read as a result; it is an error."""
    results = list(run.results.values())
    if not results or any(r.status == "ok" for r in results):
        return
    first = next((r.error.message for r in results if r.error is not None), "no reason given")
    which = f" [{run.variant.name}]" if run.variant.name != "base" else ""
    raise RunFailedError(
        f"eval {cfg.name}{which}: all {len(results)} product(s) failed, nothing to score; the first failure: {first}"
    )


def _check_tagged_facets(runs: list[Variant], gold: GoldSet) -> None:
    """Refuse, before any product is tagged, a scored facet that a variant's ``facets`` leaves out: every product
    was tagged, then scored a miss there, reported as the tagger answering nothing, exit 0."""
    for variant in runs:
        tagged = variant.config.facets
        untagged = [facet for facet in gold.facets if tagged is not None and facet not in tagged]
        if untagged:
            which = f" of variant {variant.name}" if variant.name != "base" else ""
            raise ConfigError(
                f"the eval scores {', '.join(untagged)}, which the tagger{which} does not tag (its facets: "
                f"{', '.join(tagged or [])}): every product would score a miss there; add them to the tagger's "
                "facets, or name the facets to score in the eval config (facets: [...])"
            )


def _check_prompts(runs: list[Variant], taxonomy: Taxonomy) -> None:
    """Load every LLM variant's templates before any product is tagged: a sweep's template that does not parse, or
    a name that is no template, was found only when its turn came, after the variants before it had tagged every
    product (hours with an LLM), and the sweep had to be run again for it."""
    from tagllm.llm_steps import load_attribute_prompt
    from tagllm.prompts import load_prompt

    for variant in runs:
        if variant.config.backend == "retrieval":  # it renders no prompt
            continue
        try:
            prompt = load_prompt(variant.config.prompt, taxonomy)
            load_attribute_prompt(prompt, variant.config.attribute_prompt, taxonomy)
        except ConfigError as exc:
            which = f"variant {variant.name}: " if variant.name != "base" else ""
            raise ConfigError(f"{which}{exc}; nothing was tagged") from None


def _check_setups(runs: list[Variant], taxonomy: Taxonomy) -> None:
    """Check every variant of a sweep for a setup mistake before any product is tagged: an examples file or a model
    directory that is not there, a backend's package not installed. Such a variant failed only when its turn came,
    after the variants before it had tagged every product (hours with an LLM), and had to be run again once fixed."""
    if len(runs) < 2:  # a single run builds its tagger, which checks the same, before its first product
        return
    from tagllm.assembly import backend_options
    from tagllm.backends import get_backend

    for variant in runs:
        config = variant.config
        try:
            built = config.index is not None and Path(config.index, "manifest.json").exists()
            if config.examples and not built and not Path(config.examples).exists():
                raise ConfigError(f"examples file {config.examples} does not exist")
            if config.backend != "retrieval":
                get_backend(config.backend, **backend_options(config, taxonomy)).close()
        except TagllmError as exc:
            raise ConfigError(f"variant {variant.name}: {exc}; nothing was tagged") from None


def _warn_prompts_unread(cfg: EvalConfig, runs: list[Variant], progress: Callable[[str], None] | None) -> None:
    """Say so when a sweep compares templates that no variant renders: over the retrieval backend every variant
    tagged alike, and the comparison reported the templates as making no difference, without a word."""
    swept = [key for key in ("prompt", "attribute_prompt") if len(cfg.sweep.get(key, [])) > 1]
    if progress and swept and all(variant.config.backend == "retrieval" for variant in runs):
        templates = ", ".join(str(value) for key in swept for value in cfg.sweep[key])
        progress(
            f"warning: the sweep compares prompt templates ({templates}), but the tagger's backend is retrieval, "
            "which renders no prompt: the variants tag alike; set the tagger's backend to an LLM (openai, vllm, "
            "transformers) in the eval config to compare them"
        )


def _check_predictions_match(path: str | Path, run: VariantRun, gold: GoldSet, cfg: EvalConfig) -> None:
    """Predictions of none of the gold products (another file's, or ids written otherwise) scored every product a
    miss: a report of zeros, exit 0, that read as a result."""
    if any(item.id in run.results for item in gold.items):
        return
    theirs = ", ".join(repr(pid) for pid in list(run.results)[:3]) + (" …" if len(run.results) > 3 else "")
    ours = ", ".join(repr(item.id) for item in gold.items[:3]) + (" …" if len(gold.items) > 3 else "")
    raise InputError(
        f"{path}: none of its {len(run.results)} prediction(s) is of a product of the sample (its ids: "
        f"{theirs or 'none'}; the sample's: {ours}); score the predictions `tagllm generate` made from {cfg.gold}"
    )


def _check_predictions_facets(path: str | Path, gold: GoldSet) -> None:
    """A facet scored that the predictions were never tagged for (`tagllm generate -f category` scored on colour
    too) scored every product a miss, reported as the tagger abstaining on each. The settings record `tagllm generate`
    writes beside its output names the facets it tagged; a file without one is scored as it is."""
    from tagllm.io.resume import output_file
    from tagllm.io.settings import read_settings, settings_path

    target = output_file(Path(path))
    try:
        recorded = read_settings(target)
    except InputError:  # a record that cannot be read says nothing of the facets: the file is scored as it is
        return
    tagged = recorded.get("facets") if recorded is not None else None
    if not isinstance(tagged, list):
        return
    untagged = [facet for facet in gold.facets if facet not in tagged]
    if untagged:
        raise InputError(
            f"{path}: tagged the facets {', '.join(map(str, tagged))} (its settings record, "
            f"{settings_path(target).name}), not {', '.join(untagged)}, which this eval scores: every product would "
            "score a miss there; tag the products again with each facet scored (tagllm generate -f FACET …), or name "
            "the facets to score in the eval config (facets: [...])"
        )


def _prediction_lines(file: Path) -> Iterator[tuple[int, str]]:
    """Each tag result of a predictions file as JSON text, and its line (its row, in Parquet). A CSV output holds
    the tags' names alone: refused saying what to give; read as JSONL, its header was 'not a tag result'."""
    suffix = file.suffix.lower()
    if suffix == ".csv":
        raise InputError(
            f"{file}: a CSV output holds the tags' names, not the tag results --predictions scores; give the JSONL or "
            "Parquet output of `tagllm generate` (-o results.jsonl or -o results.parquet)"
        )
    if suffix == ".parquet":
        yield from _parquet_results(file)
        return
    for lineno, raw in enumerate(file.read_bytes().splitlines(), 1):
        try:
            yield lineno, raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{file}:{lineno}: not UTF-8 (byte {exc.start} is 0x{raw[exc.start]:02x}); tag results are the JSONL "
                "`tagllm generate` writes"
            ) from None


def _parquet_results(file: Path) -> Iterator[tuple[int, str]]:
    """The ``result_json`` cells of a Parquet output of `tagllm generate`, each with its row (from 1)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_dependency("pyarrow", "parquet", "reading Parquet predictions") from None
    try:
        table = pq.read_table(file, columns=["result_json"])
    except (OSError, ValueError, KeyError) as exc:  # not Parquet, or no result_json column
        raise InputError(
            f"{file}: not a Parquet output of `tagllm generate` with its result_json column ({exc}); give the "
            "JSONL or Parquet output it writes"
        ) from None
    for row, cell in enumerate(table.column("result_json").to_pylist(), 1):
        yield row, cell or ""


def _dir_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=," else "_" for c in name)


def load_predictions(path: str | Path, variant: Variant, taxonomy: Taxonomy) -> VariantRun:
    """Read TagResults from a JSONL file, or the ``result_json`` column of a Parquet output; refuse results made
    against another taxonomy version."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: no such predictions file")
    results: dict[str, TagResult] = {}
    first_line: dict[str, int] = {}
    repeated: list[dict[str, Any]] = []
    for lineno, line in _prediction_lines(file):
        if not line.strip():
            continue
        try:
            result = TagResult.model_validate_json(line)
        except ValidationError as exc:
            raise InputError(f"{file}:{lineno}: not a tag result: {exc.errors()[0]['msg']}") from None
        version = result.provenance.taxonomy_version if result.provenance else None
        if version is not None and version != taxonomy.version:
            raise InputError(
                f"{file}:{lineno}: these predictions were made against taxonomy version {version}, but "
                f"the eval config's taxonomy {taxonomy.name!r} is version {taxonomy.version}; "
                "tag again with this taxonomy"
            )
        if result.product_id in first_line:  # the last is scored, as --resume reads an output; said in the report
            repeated.append(
                {"product_id": result.product_id, "line": lineno, "first_line": first_line[result.product_id]}
            )
        first_line.setdefault(result.product_id, lineno)
        results[result.product_id] = result
    latency = {pid: (r.provenance.latency_ms or 0.0) / 1000 if r.provenance else 0.0 for pid, r in results.items()}
    return VariantRun(
        variant,
        results,
        latency,
        cached=len(results),
        tagged=0,
        setup_s=0.0,
        key=PREDICTIONS_KEY + str(file),
        repeated=repeated,
    )
