"""`tagllm generate`: tag products from a file or stdin into a file or stdout."""

from __future__ import annotations

import typer

from tagllm.cli.common import ConfigOpt, StderrProgress, build_config


def generate(
    input: str = typer.Argument("-", help="products: JSONL, CSV or Parquet file, or - for stdin (JSONL)"),
    output: str = typer.Option("-", "--output", "-o", help="results file (.jsonl, .csv, .parquet) or - for stdout"),
    input_format: str | None = typer.Option(None, help="jsonl | csv | parquet (default: from the extension)"),
    output_format: str | None = typer.Option(None, help="jsonl | csv | parquet (default: from the extension)"),
    config: str | None = ConfigOpt,
    taxonomy: str | None = typer.Option(None, "--taxonomy", "-t", help="taxonomy file, directory or name"),
    examples: str | None = typer.Option(None, help="labelled products the example index is built from"),
    index: str | None = typer.Option(None, help="example index directory (tagllm index build)"),
    label_field: str | None = typer.Option(None, help="field of the examples holding their tags"),
    backend: str | None = typer.Option(None, "--backend", "-b", help="retrieval | transformers | vllm | openai"),
    model: str | None = typer.Option(None, "--model", "-m", help="model path, or served model name (openai)"),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible server URL (openai backend)"),
    prompt: str | None = typer.Option(None, "--prompt", "-p", help="prompt template name or path"),
    facet: list[str] = typer.Option([], "--facet", "-f", help="facet to tag (repeatable; default: labelled ones)"),
    k: int | None = typer.Option(None, help="neighbours retrieved per product"),
    max_candidates: int | None = typer.Option(None, help="candidates per facet offered to the backend"),
    threshold: float | None = typer.Option(None, help="drop tags below this confidence (0-1)"),
    batch_size: int | None = typer.Option(None, help="products per batch"),
    device: str | None = typer.Option(None, help="cpu, cuda, cuda:1 …"),
    resume: bool = typer.Option(False, "--resume", help="skip products already in OUTPUT and append the rest"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress or summary on stderr"),
) -> None:
    """Tag products. Exit code 0: all tagged; 1: some records failed (they are error records in the output)."""
    from tagllm.io import read_records, unknown_columns
    from tagllm.tagger import Tagger

    cfg = build_config(
        config, taxonomy=taxonomy, examples=examples, index=index, label_field=label_field, backend=backend,
        model=model, base_url=base_url, prompt=prompt, facets=facet or None, k=k, max_candidates=max_candidates,
        threshold=threshold, batch_size=batch_size, device=device,
    )  # fmt: skip
    progress = StderrProgress(quiet)
    if input != "-" and not quiet:
        for column, guess in unknown_columns(read_records(input, format=input_format)).items():
            hint = f" (did you mean {guess!r}?)" if guess else ""
            typer.echo(f"warning: {input}: column {column!r} is not a product field{hint}; kept in extra", err=True)
    tagger = Tagger.from_config(cfg, progress=progress)
    progress.done()
    summary = tagger.tag_file(
        input, output, input_format=input_format, output_format=output_format, resume=resume, progress=progress
    )
    progress.done()
    if not quiet:
        for message in summary.errors:
            typer.echo(f"error: {message}", err=True)
        skipped = f", {summary.skipped} already done" if summary.skipped else ""
        typer.echo(
            f"{summary.tagged} tagged, {summary.failed} failed{skipped} "
            f"in {summary.seconds:.1f}s ({summary.products_per_second:.1f} products/s) -> {summary.output}",
            err=True,
        )
    raise typer.Exit(1 if summary.failed else 0)
