"""The checks `tagllm eval run` makes before any product is tagged, so that a sweep's mistake (a facet not tagged,
a template that does not parse, a missing examples file or backend, a cache that cannot be written) stops it
before its first variant spends hours tagging, not when the variant at fault has its turn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tagllm.errors import ConfigError, OutputError, TagllmError
from tagllm.evaluation.config import EvalConfig, Variant
from tagllm.evaluation.gold import GoldSet
from tagllm.io.places import check_writable
from tagllm.taxonomy import Taxonomy


def check_cache_writable(cfg: EvalConfig) -> None:
    """Refuse, before any product is tagged, a prediction cache that cannot be written: the first batch was tagged
    (an LLM's minutes), then the run crashed with a traceback writing it, and its answers were lost."""
    try:
        check_writable(Path(cfg.cache), directory=True)
    except OutputError as exc:
        raise OutputError(
            f"the prediction cache cannot be written ({exc}): set cache: in the eval config to a folder that can be, "
            "or run with --no-cache; nothing was tagged"
        ) from None


def check_tagged_facets(runs: list[Variant], gold: GoldSet, taxonomy: Taxonomy) -> None:
    """Refuse, before any product is tagged, a tagger facet the taxonomy lacks (named as the setting it is in), and a
    scored facet that a variant's ``facets`` leaves out: every product was tagged, then scored a miss there, reported
    as the tagger answering nothing, exit 0. A misspelt ``tagger.facets: [colour]`` was told the second ('the eval
    scores color, which the tagger does not tag'), never that the taxonomy has no 'colour'."""
    for variant in runs:
        tagged = variant.config.facets
        unknown = [facet for facet in tagged or [] if facet not in taxonomy.facets]
        if unknown:
            which = f"variant {variant.name}: " if variant.name != "base" else ""
            raise ConfigError(f"{which}tagger.facets: {taxonomy.unknown_facet(unknown[0])}; nothing was tagged")
        untagged = [facet for facet in gold.facets if tagged is not None and facet not in tagged]
        if untagged:
            which = f" of variant {variant.name}" if variant.name != "base" else ""
            raise ConfigError(
                f"the eval scores {', '.join(untagged)}, which the tagger{which} does not tag (its facets: "
                f"{', '.join(tagged or [])}): every product would score a miss there; add them to the tagger's "
                "facets, or name the facets to score in the eval config (facets: [...])"
            )


def check_prompts(runs: list[Variant], taxonomy: Taxonomy) -> None:
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


def check_setups(runs: list[Variant], taxonomy: Taxonomy) -> None:
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


def warn_prompts_unread(cfg: EvalConfig, runs: list[Variant], progress: Callable[[str], None] | None) -> None:
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
