"""The evaluation harness: run each variant of an eval config (tagged, or read from a predictions file), score it,
write its run directory, and compare a sweep's runs.

Tagging a variant lives in ``evaluation.tagging``, predictions files in ``evaluation.predictions``, the checks made
before any product is tagged in ``evaluation.preflight``; eval configs and variants in ``evaluation.config``, gold
and sampling in ``evaluation.gold`` (what a gold value names: ``evaluation.gold_values``), the prediction cache in
``evaluation.cache``. Their public names are importable from here too.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.assembly import Progress
from tagllm.errors import RunFailedError, TagllmError
from tagllm.evaluation.cache import (
    PredictionCache,
    attribute_template_digest,
    code_digest,
    product_key,
    template_digest,
    variant_key,
)
from tagllm.evaluation.config import EvalConfig, SampleSpec, Variant, load_eval_config, variants
from tagllm.evaluation.gold import GoldItem, GoldSet, load_gold, strip_answers
from tagllm.evaluation.gold_values import GoldResolver
from tagllm.evaluation.predictions import check_predictions_facets, check_predictions_match, load_predictions
from tagllm.evaluation.preflight import (
    check_cache_writable,
    check_prompts,
    check_setups,
    check_tagged_facets,
    warn_prompts_unread,
)
from tagllm.evaluation.tagging import TaggerFactory, VariantInterrupted, VariantRun, tag_variant
from tagllm.io.places import check_writable
from tagllm.io.rows import encodable, encodable_result
from tagllm.sigterm import Sigterm

if TYPE_CHECKING:
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
    from tagllm.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(cfg.tagger.taxonomy)
    gold = load_gold(cfg, taxonomy)
    if gold.sample_note and progress:
        progress(f"note: {gold.sample_note}")
    runs = _variants_run(cfg, predictions, progress)
    if predictions is None:
        _check_variants(cfg, runs, gold, taxonomy, own_taggers=factory is None, progress=progress)
    named = root is None  # made when its first run is written, by this run alone (_take_run_root)
    root = root or new_run_root(cfg)
    check_writable(root, directory=True)  # before any product is tagged
    if use_cache and predictions is None:
        check_cache_writable(cfg)
    outcome = EvalOutcome(root, [], [])
    sigterm = Sigterm()  # a batch scheduler's stop, as Ctrl-C: the variants written and products cached are kept
    sigterm.catch()
    try:
        for variant in runs:
            try:
                run, metrics, per_product = _scored_variant(
                    variant, cfg, gold, taxonomy, predictions=predictions, factory=factory, use_cache=use_cache,
                    progress=progress, steps=steps,
                )  # fmt: skip
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


def _check_variants(
    cfg: EvalConfig,
    runs: list[Variant],
    gold: GoldSet,
    taxonomy: Taxonomy,
    *,
    own_taggers: bool,
    progress: Callable[[str], None] | None,
) -> None:
    """The checks made before any product is tagged, so that no variant fails after the ones before it tagged
    every product (hours with an LLM): a scored facet a variant does not tag, a template that does not load, a setup
    mistake (unless the caller's factory builds its own taggers: ``own_taggers`` False), and a sweep of templates
    no variant renders."""
    check_tagged_facets(runs, gold, taxonomy)
    check_prompts(runs, taxonomy)
    if own_taggers:
        check_setups(runs, taxonomy)
    warn_prompts_unread(cfg, runs, progress)


def _scored_variant(
    variant: Variant,
    cfg: EvalConfig,
    gold: GoldSet,
    taxonomy: Taxonomy,
    *,
    predictions: str | Path | None,
    factory: TaggerFactory | None,
    use_cache: bool,
    progress: Callable[[str], None] | None,
    steps: Progress | None,
) -> tuple[VariantRun, dict[str, Any], list[dict[str, Any]]]:
    """One variant's run (tagged, or read from ``predictions``) and its scores: the metrics and each product's
    row, refused when every product failed (a setup mistake, not a score)."""
    from tagllm.evaluation.scoring import score_run

    if predictions is not None:
        run = _read_predictions(predictions, variant, gold, taxonomy, cfg)
    else:
        run = tag_variant(
            variant, gold, taxonomy, cfg, factory=factory, use_cache=use_cache, progress=progress, steps=steps
        )
    _check_not_all_failed(cfg, run)
    metrics, per_product = score_run(cfg, gold, run, taxonomy)
    # half a surrogate pair in a gold record (a JSON "\ud83d", an emoji cut short: an error record, as generate
    # makes) is U+FFFD in what is written and printed, as generate writes it; it crashed the run
    return run, encodable(metrics), encodable(per_product)


def _variants_run(
    cfg: EvalConfig, predictions: str | Path | None, progress: Callable[[str], None] | None
) -> list[Variant]:
    """The variants to score: the sweep's, or with ``predictions`` the one file as one run. One file of results is
    made by one configuration: scored once per variant, it was reported as the sweep's variants, the same figures
    under each name, and their comparison as "no difference"."""
    runs = variants(cfg)
    if predictions is None or len(runs) == 1:
        return runs
    if progress:
        progress(
            f"--predictions: {predictions} is scored once, as one run; the sweep over {', '.join(cfg.sweep)} "
            "makes no variants (each would score this one file)"
        )
    return [Variant("base", cfg.tagger)]


def _read_predictions(
    predictions: str | Path, variant: Variant, gold: GoldSet, taxonomy: Taxonomy, cfg: EvalConfig
) -> VariantRun:
    """The predictions file's results as the variant's run, refused where they are not results of the gold's
    products and facets (scored, they would read as a tagger that missed every product)."""
    run = load_predictions(predictions, variant, taxonomy)
    check_predictions_match(predictions, run, gold, cfg)
    check_predictions_facets(predictions, gold)
    return run


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


def _dir_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=," else "_" for c in name)
