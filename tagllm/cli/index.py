"""`tagllm index build|add|info`: the example index of labelled products."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from tagllm.cli.common import PLAIN_HELP, StderrProgress, build_config, parse_fields
from tagllm.cli.options import (
    ATTRIBUTE_FIELD_HELP,
    EMBEDDER_HELP,
    LABEL_FIELD_HELP,
    AllowRemoteOpt,
    AttributeFieldOpt,
    BuildQuietOpt,
    ConfigOpt,
    ConfigTaxonomyOpt,
    DeviceOpt,
    EmbedderBackendOpt,
    ExampleColumnsOpt,
    ExamplesArg,
    IgnoreFieldsOpt,
    ImageEmbedderOpt,
    ImageRootOpt,
    InputFormatOpt,
    KeepPrecisionOpt,
    LabelFieldOpt,
)

if TYPE_CHECKING:
    from tagllm.models import RecordError
    from tagllm.retrieval.index import ExampleIndex

SHOWN = 20  # skipped records and unused photos listed on stderr; the rest are counted

app = typer.Typer(
    help="Build and grow the example index of labelled products.", no_args_is_help=True, rich_markup_mode=PLAIN_HELP
)


@app.command()
def build(
    examples: ExamplesArg,
    index: Annotated[str, typer.Option("--index", "-i", metavar="DIR", help="directory to write the index to")],
    config: ConfigOpt = None,
    taxonomy: ConfigTaxonomyOpt = None,
    label_field: LabelFieldOpt = None,
    attribute_field: AttributeFieldOpt = None,
    embedder: Annotated[
        str | None, typer.Option(metavar="DIR", help=f"{EMBEDDER_HELP} (default all-MiniLM-L6-v2)")
    ] = None,
    device: DeviceOpt = None,
    columns: ExampleColumnsOpt = None,
    input_format: InputFormatOpt = None,
    embedder_backend: EmbedderBackendOpt = None,
    image_embedder: ImageEmbedderOpt = None,
    allow_remote_images: AllowRemoteOpt = False,
    image_root: ImageRootOpt = None,
    ignore_fields: IgnoreFieldsOpt = None,
    keep_precision: KeepPrecisionOpt = None,
    quiet: BuildQuietOpt = False,
) -> None:
    """Embed labelled examples (and their photos) into FAISS indexes plus plain metadata; fit the candidate scorer."""
    from tagllm.assembly import examples_image_loader
    from tagllm.index_build import build_index
    from tagllm.io import parse_columns
    from tagllm.retrieval.embedder import Embedder
    from tagllm.taxonomy import load_taxonomy

    cfg = build_config(
        config, taxonomy=taxonomy, label_field=label_field, attribute_field=attribute_field, embedder=embedder,
        device=device, embedder_backend=embedder_backend,
        image_embedder=image_embedder, allow_remote_images=allow_remote_images or None, image_root=image_root,
        ignore_fields=parse_fields(ignore_fields), keep_precision=keep_precision,
    )  # fmt: skip
    progress = StderrProgress(quiet)  # on a terminal: the shopify taxonomy alone takes seconds to load
    progress("taxonomy", 0, None)
    tax = load_taxonomy(cfg.taxonomy)
    errors: list[RecordError] = []
    built = build_index(
        examples, tax, Embedder.from_config(cfg), index, label_field=cfg.label_field,
        attribute_field=cfg.attribute_field, k=cfg.k, progress=progress, errors=errors,
        columns=parse_columns(columns, fields=_fields(cfg.label_field)),
        image_embedder=cfg.image_embedder, image_loader=examples_image_loader(cfg, examples),
        ignore_fields=cfg.ignore_fields, keep_precision=cfg.keep_precision, input_format=input_format,
    )  # fmt: skip
    progress.done()
    _skipped(errors)
    _photo_problems(built.image_problems)
    typer.echo(
        f"{index}: {len(built)} examples ({built.manifest['faiss']} search), {_photos_held(built)}"
        f"facets {', '.join(built.manifest['label_facets'])}, "
        f"taxonomy {tax.name} {tax.version}, {len(errors)} record(s) skipped"
    )
    raise typer.Exit(1 if errors else 0)


BUILT_WITH = "; default: the one the index was built with"  # index add keeps the index's settings


@app.command()
def add(
    examples: Annotated[str, typer.Argument(help="newly reviewed labelled products: JSONL, CSV or Parquet")],
    index: Annotated[str, typer.Option("--index", "-i", metavar="DIR", help="existing index directory")],
    config: ConfigOpt = None,
    taxonomy: Annotated[  # the index's taxonomy by default: built with another, the index would not be one index
        str | None,
        typer.Option("--taxonomy", "-t", metavar="NAME|PATH", help="default: the taxonomy the index was built for"),
    ] = None,
    label_field: Annotated[str | None, typer.Option(metavar="FIELD", help=LABEL_FIELD_HELP + BUILT_WITH)] = None,
    attribute_field: Annotated[
        str | None, typer.Option(metavar="FIELD", help=ATTRIBUTE_FIELD_HELP + BUILT_WITH)
    ] = None,
    embedder: Annotated[str | None, typer.Option(metavar="DIR", help=EMBEDDER_HELP + BUILT_WITH)] = None,
    embedder_backend: EmbedderBackendOpt = None,
    columns: ExampleColumnsOpt = None,
    input_format: InputFormatOpt = None,
    allow_remote_images: AllowRemoteOpt = False,
    image_root: ImageRootOpt = None,
) -> None:
    """Add reviewed products to an index without re-embedding the rest. A product whose id is in the index
    replaces it (a corrected label replaces the old one; one reviewed without attribute tags keeps its attribute
    labels, one without a category its category, one without images its photo); adding the same file twice changes
    nothing."""
    from tagllm.assembly import examples_image_loader, with_index_settings
    from tagllm.index_add import add_to_index
    from tagllm.io import parse_columns
    from tagllm.retrieval.embedder import Embedder
    from tagllm.taxonomy import load_taxonomy

    cfg = build_config(
        config, taxonomy=taxonomy, label_field=label_field, attribute_field=attribute_field, embedder=embedder,
        embedder_backend=embedder_backend, index=index, allow_remote_images=allow_remote_images or None,
        image_root=image_root,
    )  # fmt: skip
    cfg = with_index_settings(cfg)
    progress = StderrProgress()  # on a terminal: reading, embedding thousands of examples and fitting take minutes
    progress("taxonomy", 0, None)
    tax = load_taxonomy(cfg.taxonomy)
    added = add_to_index(
        examples, index, tax, Embedder.from_config(cfg), label_field=cfg.label_field,
        attribute_field=cfg.attribute_field, columns=parse_columns(columns, fields=_fields(cfg.label_field)),
        ignore_fields=cfg.ignore_fields, input_format=input_format,
        image_loader=examples_image_loader(cfg, examples), k=cfg.k, keep_precision=cfg.keep_precision,
        progress=progress, waiting=lambda message: typer.echo(message, err=True),
    )  # fmt: skip
    progress.done()
    counts = added.counts
    _skipped(added.errors)
    _photo_problems(added.image_problems)
    _kept_labels("attribute labels", counts.kept_attributes, "attribute tags")
    _kept_labels("category labels", counts.kept_categories, "category")
    _kept_labels("photos", counts.kept_photos, "images")
    typer.echo(
        f"{index}: added {counts.added}, replaced {counts.replaced}, {counts.unchanged} unchanged, "
        f"now {added.size} examples, {len(added.errors)} record(s) skipped"
    )
    raise typer.Exit(1 if added.errors else 0)


def _photos_held(built: ExampleIndex) -> str:
    """The summary's word on photos: how many examples have one in the index, or that none of those listed could be
    read (photos at another place than relative paths start): said only on stderr, among the photos not used, the
    index of texts alone went unsaid in the summary."""
    photos = built.manifest.get("images")
    if photos:
        return f"{photos['count']} with a photo ({photos['encoder']['name']}), "
    listed = sum(1 for example in built.examples if example.images)
    if listed and built.image_problems:
        return (
            f"no photo (none of the {listed} examples that list one could be read: photo not used, above; "
            "relative paths start beside the examples file, or at --image-root), "
        )
    return ""


def _fields(label_field: str) -> list[str]:
    from tagllm.models import PRODUCT_FIELDS

    return [*PRODUCT_FIELDS, label_field]


def _skipped(errors: list[RecordError]) -> None:
    """Records left out of the index, the first 20 by name: the list is written nowhere else."""
    for err in errors[:SHOWN]:
        typer.echo(f"skipped: {err.message}", err=True)
    if len(errors) > SHOWN:
        typer.echo(f"skipped: … and {len(errors) - SHOWN} more (not listed: fix these and run again)", err=True)


def _kept_labels(labels: str, ids: list[str], given: str) -> None:
    """Replaced examples whose review labels no attribute (no category): they keep the ones they had."""
    if ids:
        shown = ", ".join(map(repr, ids[:5])) + (f", … ({len(ids) - 5} more)" if len(ids) > 5 else "")
        typer.echo(
            f"kept the {labels} of {len(ids)} replaced example(s) whose review gives none: {shown}; "
            f"to change them, give their {given} in the review"
        )


def _photo_problems(problems: list[str]) -> None:
    """Photos that could not be used: their examples are in the index, without them."""
    for message in problems[:SHOWN]:
        typer.echo(f"photo not used: {message}", err=True)
    if len(problems) > SHOWN:
        typer.echo(f"photo not used: … and {len(problems) - SHOWN} more", err=True)


@app.command()
def info(index: str = typer.Argument(..., metavar="DIR", help="index directory")) -> None:
    """Print an index's manifest (embedder, dimension, taxonomy version, size, search type)."""
    from pathlib import Path

    from tagllm.errors import InputError

    path = Path(index) / "manifest.json"
    if not path.exists():
        raise InputError(f"{index}: not an example index (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # a build cut off while writing it, not UTF-8, a directory
        raise InputError(
            f"{index}: its manifest.json cannot be read ({exc}); "
            f"rebuild it: tagllm index build EXAMPLES --index {index}"
        ) from None
    typer.echo(json.dumps(manifest, indent=2, ensure_ascii=False))
