"""One call for a batch job: ``tag_products`` and ``tag_file`` build a tagger from a config and settings and tag
products or a file with it, checking what they are given (files, not products in memory; a readable input and a
writable output; settings over the config) before the tagger is built, which takes minutes where an index is built
from examples. Kept apart from ``tagger`` (the ``Tagger`` and its stages) because it is the library's entry
point around it, not part of tagging."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagllm.config import TaggerConfig
from tagllm.io import check_batch
from tagllm.models import Product, TagResult
from tagllm.tagger import Tagger
from tagllm.tagger_checks import check_file_arguments

if TYPE_CHECKING:
    from tagllm.io import RecordSource
    from tagllm.run import RunSummary


def tag_products(
    products: Iterable[Product | dict[str, Any]], config: TaggerConfig | str | Path | None = None, **settings: Any
) -> list[TagResult]:
    """One call for a batch job: build a tagger from ``config`` (a ``TaggerConfig``, or a config file's path) and
    settings (which take the place of the config's own settings) and tag the products. A table or a single product is
    refused before the tagger is built (its index built from examples: minutes), not after."""
    check_batch(products)
    return Tagger.from_config(_configured(config, settings)).tag(products)


def tag_file(
    source: str | Path, target: str | Path, config: TaggerConfig | str | Path | None = None, **settings: Any
) -> RunSummary:
    """Tag a file into a file (see ``Tagger.tag_file``), building the tagger from ``config`` (a ``TaggerConfig``, or a
    config file's path) and settings (which take the place of the config's own settings)."""
    run_options = (
        "input_format", "output_format", "resume", "columns", "keep_columns", "provenance", "progress", "drop_absent",
    )  # fmt: skip
    options = {k: settings.pop(k) for k in run_options if k in settings}
    check_file_arguments(source, target)
    configured = _configured(config, settings)  # a misspelt setting is refused before anything is read
    _check_places(source, target, options)
    return Tagger.from_config(configured).tag_file(source, target, **options)


def _check_places(source: str | Path | RecordSource, target: str | Path, options: dict[str, Any]) -> None:
    """The input and the output place checked before the tagger is built, as ``generate`` checks them: a missing or
    empty input, a CSV without a title column and an output that is a directory were found only after the examples
    were embedded into an index (minutes for thousands)."""
    from tagllm.io import STDIO, RecordSource, detect_format
    from tagllm.io.places import check_output_place

    if isinstance(source, RecordSource):
        source.require_title()  # peeked, not consumed
    elif str(source) != STDIO:  # stdin is read once, by the run
        RecordSource(source, format=options.get("input_format"), columns=options.get("columns")).require_title()
    if str(target) != STDIO:
        check_output_place(
            Path(target), detect_format(target, options.get("output_format"), flag="output_format", output=True)
        )


def _configured(config: TaggerConfig | str | Path | None, settings: dict[str, Any]) -> TaggerConfig:
    """The configuration ``config`` (else ./tagllm.yaml and the environment) with ``settings`` over it: given with a
    config, settings were ignored without a word (``threshold=0.999`` kept tags of confidence 0.19, and a misspelt
    ``resum=True`` said nothing). A config file's path is read as ``load_config`` reads it: taken for a config, it
    failed with "expected str, bytes or os.PathLike object, not builtin_function_or_method"."""
    from tagllm.config import check_config, load_config, with_overrides

    if config is None or isinstance(config, str | Path):
        return load_config(config, **settings)
    check_config(config, "config")
    return with_overrides(config, **settings)
