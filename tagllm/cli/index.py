"""`tagllm index build|add|info`: the example index of labelled products."""

from __future__ import annotations

import json

import typer

from tagllm.cli.common import ConfigOpt, StderrProgress, build_config

app = typer.Typer(help="Build and grow the example index of labelled products.", no_args_is_help=True)


@app.command()
def build(
    examples: str = typer.Argument(..., help="labelled products: JSONL, CSV or Parquet"),
    index: str = typer.Option(..., "--index", "-i", help="directory to write the index to"),
    config: str | None = ConfigOpt,
    taxonomy: str | None = typer.Option(None, "--taxonomy", "-t", help="taxonomy file, directory or name"),
    label_field: str | None = typer.Option(None, help="field holding the tags: labels {facet: [..]} or gold_category"),
    embedder: str | None = typer.Option(None, help="sentence-transformers model directory (default all-MiniLM-L6-v2)"),
    device: str | None = typer.Option(None, help="cpu, cuda …"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Embed labelled examples into a FAISS index plus plain metadata, and fit the candidate scorer."""
    from tagllm.models import RecordError
    from tagllm.retrieval.embedder import Embedder
    from tagllm.tagger import build_index
    from tagllm.taxonomy import load_taxonomy

    cfg = build_config(config, taxonomy=taxonomy, label_field=label_field, embedder=embedder, device=device)
    tax = load_taxonomy(cfg.taxonomy)
    errors: list[RecordError] = []
    progress = StderrProgress(quiet)
    built = build_index(
        examples, tax, Embedder(cfg.embedder, device=cfg.device), index,
        label_field=cfg.label_field, k=cfg.k, progress=progress, errors=errors,
    )  # fmt: skip
    progress.done()
    for err in errors[:20]:
        typer.echo(f"skipped: {err.message}", err=True)
    typer.echo(
        f"{index}: {len(built)} examples ({built.manifest['faiss']} search), "
        f"facets {', '.join(built.manifest['label_facets'])}, "
        f"taxonomy {tax.name} {tax.version}, {len(errors)} record(s) skipped"
    )
    raise typer.Exit(1 if errors else 0)


@app.command()
def add(
    examples: str = typer.Argument(..., help="newly reviewed labelled products"),
    index: str = typer.Option(..., "--index", "-i", help="existing index directory"),
    config: str | None = ConfigOpt,
    taxonomy: str | None = typer.Option(None, "--taxonomy", "-t"),
    label_field: str | None = typer.Option(None),
    embedder: str | None = typer.Option(None),
) -> None:
    """Add labelled products to an existing index without re-embedding what is there."""
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.index import ExampleIndex, read_examples
    from tagllm.taxonomy import load_taxonomy

    cfg = build_config(config, taxonomy=taxonomy, label_field=label_field, embedder=embedder)
    tax = load_taxonomy(cfg.taxonomy)
    emb = Embedder(cfg.embedder, device=cfg.device)
    idx = ExampleIndex.load(index, taxonomy=tax, embedder=emb.name)
    new, errors = read_examples(examples, tax, label_field=cfg.label_field)
    added = idx.add(new, emb)
    idx.save(index)
    for err in errors[:20]:
        typer.echo(f"skipped: {err.message}", err=True)
    typer.echo(f"{index}: added {added}, now {len(idx)} examples, {len(errors)} record(s) skipped")
    raise typer.Exit(1 if errors else 0)


@app.command()
def info(index: str = typer.Argument(..., help="index directory")) -> None:
    """Print an index's manifest (embedder, dimension, taxonomy version, size, search type)."""
    from pathlib import Path

    path = Path(index) / "manifest.json"
    if not path.exists():
        from tagllm.errors import InputError

        raise InputError(f"{index}: not an example index (no manifest.json)")
    typer.echo(json.dumps(json.loads(path.read_text()), indent=2, ensure_ascii=False))
