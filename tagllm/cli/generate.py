"""`tagllm generate`: tag products from a file or stdin into a file or stdout."""

from __future__ import annotations

import inspect
import os
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tagllm.cli.common import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    StderrProgress,
    build_config,
    parse_fields,
)
from tagllm.cli.options import (
    FORMAT,
    AllowRemoteOpt,
    AttributeFieldOpt,
    BaseUrlOpt,
    ColumnsOpt,
    ConfigOpt,
    DeviceOpt,
    EmbedderBackendOpt,
    ExamplesOpt,
    FacetsOpt,
    IgnoreFieldsOpt,
    ImageEmbedderOpt,
    ImageRootOpt,
    IndexOpt,
    InputFormatOpt,
    KeepPrecisionOpt,
    KOpt,
    LabelFieldOpt,
    MaxCandidatesOpt,
    ModelOpt,
    PromptOpt,
    TaxonomyOpt,
)

if TYPE_CHECKING:
    from tagllm.config import TaggerConfig
    from tagllm.io import RecordSource
    from tagllm.run import RunSummary
    from tagllm.tagger import Tagger

EXIT_PIPE = 141  # 128 + SIGPIPE, as a shell reports a process whose reader went away


# the options only `tagllm generate` has; those it shares with other commands are in tagllm.cli.options
InputArg = Annotated[
    str, typer.Argument(metavar="INPUT", help="products: a JSONL, CSV or Parquet file, or - for stdin (JSONL)")
]
OutputOpt = Annotated[
    str,
    typer.Option("--output", "-o", metavar="FILE", help="results file (.jsonl, .csv, .parquet) or - for stdout"),
]
OutputFormatOpt = Annotated[str | None, typer.Option(metavar=FORMAT, help="default: from the output's extension")]
KeepColumnsOpt = Annotated[
    str | None, typer.Option(metavar="COLUMN,…", help="input columns copied into each output row, e.g. title,sku")
]
NoProvenanceOpt = Annotated[
    bool,
    typer.Option("--no-provenance", help="leave neighbours, candidates and raw output out of JSONL/Parquet results"),
]
BackendOpt = Annotated[
    str | None, typer.Option("--backend", "-b", metavar="NAME", help="retrieval | transformers | vllm | openai")
]
ThresholdOpt = Annotated[float | None, typer.Option(metavar="0..1", help="drop tags below this confidence")]
RouteThresholdOpt = Annotated[
    str | None,
    typer.Option(
        metavar="0..1|FACET=0..1,…",
        help="routing: the no-LLM default tags every product; those it is less sure of than this in a facet go "
        "to --backend (an LLM) with the default's candidates",
    ),
]
BatchSizeOpt = Annotated[int | None, typer.Option(metavar="N", help="products per batch")]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="keep OUTPUT's results, tag what is missing or failed (error records, and products routed to the "
        "LLM that kept the default's tags because it failed); one row per product at the end",
    ),
]
DropAbsentOpt = Annotated[
    bool,
    typer.Option(
        "--drop-absent",
        help="with --resume: remove from OUTPUT the results of products INPUT no longer has (by default they are "
        "kept, and counted and named in the summary)",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress, warnings or summary on stderr")]


def generate(
    input: InputArg = "-",
    output: OutputOpt = "-",
    input_format: InputFormatOpt = None,
    output_format: OutputFormatOpt = None,
    columns: ColumnsOpt = None,
    keep_columns: KeepColumnsOpt = None,
    no_provenance: NoProvenanceOpt = False,
    config: ConfigOpt = None,
    taxonomy: TaxonomyOpt = None,
    examples: ExamplesOpt = None,
    index: IndexOpt = None,
    label_field: LabelFieldOpt = None,
    attribute_field: AttributeFieldOpt = None,
    backend: BackendOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    prompt: PromptOpt = None,
    facet: FacetsOpt = [],  # noqa: B006  (typer reads the default; the list is never mutated)
    k: KOpt = None,
    max_candidates: MaxCandidatesOpt = None,
    threshold: ThresholdOpt = None,
    keep_precision: KeepPrecisionOpt = None,
    route_threshold: RouteThresholdOpt = None,
    batch_size: BatchSizeOpt = None,
    device: DeviceOpt = None,
    embedder_backend: EmbedderBackendOpt = None,
    image_embedder: ImageEmbedderOpt = None,
    allow_remote_images: AllowRemoteOpt = False,
    image_root: ImageRootOpt = None,
    ignore_fields: IgnoreFieldsOpt = None,
    resume: ResumeOpt = False,
    drop_absent: DropAbsentOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Tag products into JSONL, CSV or Parquet, writing each result as it is ready.

    Products have the fields id, title (required), description, brand, attributes, images and queries; other
    columns are kept in `extra`.
    """
    from tagllm.io import RecordSource, parse_columns
    from tagllm.io.rows import parse_keep_columns
    from tagllm.routing import parse_threshold

    begun = time.perf_counter()  # the summary's start-up counts the tagger's setup too (an index built: half a minute)
    cfg = build_config(
        config, taxonomy=taxonomy, examples=examples, index=index, label_field=label_field,
        attribute_field=attribute_field, backend=backend, keep_precision=keep_precision,
        model=model, base_url=base_url, prompt=prompt, facets=facet or None, k=k, max_candidates=max_candidates,
        threshold=threshold, batch_size=batch_size, device=device, embedder_backend=embedder_backend,
        image_embedder=image_embedder, allow_remote_images=allow_remote_images or None, image_root=image_root,
        route_threshold=parse_threshold(route_threshold) if route_threshold is not None else None,
        ignore_fields=parse_fields(ignore_fields),
    )  # fmt: skip
    kept = parse_keep_columns(keep_columns)
    records = RecordSource(input, format=input_format, columns=parse_columns(columns))
    warn = (lambda text: None) if quiet else (lambda text: typer.echo(f"warning: {text}", err=True))
    _check_before_setup(records, output, output_format, resume, cfg, kept, prompt, quiet, warn)
    progress = StderrProgress(quiet)
    tagger = _set_up(cfg, progress, warn)
    setup = time.perf_counter() - begun
    summary = _tag(
        tagger, records, output, progress, output_format=output_format, resume=resume, keep_columns=kept,
        provenance=not no_provenance, drop_absent=drop_absent,
    )  # fmt: skip
    summary.startup_seconds += setup
    if not quiet:
        _print_summary(summary, records.name, output)
    raise typer.Exit(summary.exit_code)


generate.__doc__ = f"{inspect.cleandoc(generate.__doc__ or '')}\n\n{EXIT_CODES_HELP}"


def _print_summary(summary: RunSummary, source: str, output: str) -> None:
    """The run's closing lines on stderr (its errors, the summary line, what to do about products that failed), kept
    off stdout, which may carry the results."""
    from tagllm.cli.run_report import end_lines

    for line in end_lines(summary, source, output):
        typer.echo(line, err=True)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _check_input(records: RecordSource, kept: list[str], quiet: bool, warn: Callable[[str], None]) -> None:
    """Say on a terminal that products are awaited on stdin; from a file or a pipe, refuse input without a title
    column and warn of columns that are no product fields, before any model loads."""
    from tagllm.io.column_warnings import column_warnings
    from tagllm.io.headers import export_note

    if records.is_stdin and _stdin_is_terminal() and not quiet:
        typer.echo("reading products from stdin, one JSON object per line (end with Ctrl-D)…", err=True)
        return
    records.require_title()  # before any model loads, and before a warning would advise mapping the header
    for text in column_warnings(records, kept):
        warn(text)
    if records.shopify_export and not quiet:
        typer.echo(export_note(records.name, records.columns, "--columns"), err=True)


def _check_before_setup(
    records: RecordSource,
    output: str,
    output_format: str | None,
    resume: bool,
    cfg: TaggerConfig,
    kept: list[str],
    prompt: str | None,
    quiet: bool,
    warn: Callable[[str], None],
) -> None:
    """Refuse input and output the run could never use, and warn of what it will leave unused (``prompt``: the
    template --prompt named) and of an earlier run's results it will replace (while Ctrl-C still keeps them), before
    the tagger is built (an index: minutes)."""
    from tagllm.io import STDIO
    from tagllm.io.places import check_output
    from tagllm.io.readers import detect_format

    _check_input(records, kept, quiet, warn)
    # a facet or kept column a CSV or Parquet row has a column of its own for is refused by the facets named (with
    # none named, the index's labelled ones are known once it is open, and the writer refuses a clash of theirs)
    check_output(
        output, output_format, resume=resume, facets=cfg.facets or [], keep_columns=kept,
        routed=cfg.route_threshold is not None,
    )  # fmt: skip
    if (
        output != STDIO
        and not resume
        and _holds_results(Path(output), detect_format(output, output_format, output=True))
    ):
        warn(
            f"{output} holds an earlier run's results, which this run replaces once its models are loaded; "
            "to keep them and tag only what they lack, stop it (Ctrl-C) and run again with --resume"
        )
    if prompt and cfg.backend == "retrieval":
        warn(f"--prompt {prompt}: the retrieval backend writes no prompt, so it is unused")


def _set_up(cfg: TaggerConfig, progress: StderrProgress, warn: Callable[[str], None]) -> Tagger:
    """The tagger ``cfg`` names (its index opened, or built from the examples), with what its setup leaves out or
    leaves unused said."""
    from tagllm.setup_warnings import setup_warnings
    from tagllm.tagger import Tagger

    tagger = Tagger.from_config(cfg, progress=progress)
    if tagger.skipped_examples or (tagger.index is not None and tagger.index.image_problems):
        progress.done()  # the warnings about the examples start on a line of their own, not after the progress
    for text in setup_warnings(tagger):
        warn(text)
    return tagger


def _holds_results(output: Path, fmt: str) -> bool:
    """Whether an output file (or a Parquet output's parts, a run stopped before merging them) holds a result row: a
    run without --resume after a crash replaced hours of results without a word. A CSV output of its header alone or a
    JSONL one of blank lines holds none (warned of, the user was sent to --resume for nothing); only as much of the
    file is read as it takes to find its first row."""
    from tagllm.errors import InputError
    from tagllm.io.parquet import holds_parquet_rows
    from tagllm.io.resume import output_file
    from tagllm.io.written_rows import csv_rows, jsonl_rows

    target = output_file(output)
    if fmt == "parquet":
        return holds_parquet_rows(target)
    if not target.is_file():
        return False
    with closing(jsonl_rows(target) if fmt == "jsonl" else csv_rows(target)) as rows:
        try:
            return next(rows, None) is not None
        except InputError:  # not rows tagllm reads, kept as an output (its settings recorded beside it): replaced too
            return True


def _tag(
    tagger: Tagger,
    records: RecordSource,
    output: str,
    progress: StderrProgress,
    *,
    output_format: str | None,
    resume: bool,
    keep_columns: list[str],
    provenance: bool,
    drop_absent: bool,
) -> RunSummary:
    """Tag ``records`` into ``output`` as ``Tagger.tag_file`` does; a reader that closed stdout, Ctrl-C or SIGTERM
    ends the command with its exit code and a line saying what was done."""
    from tagllm.cli.run_report import stopped_line
    from tagllm.errors import InputWarning
    from tagllm.run import RunInterrupted

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=InputWarning)  # said above, as --columns / --keep-columns
            summary = tagger.tag_file(
                records, output, output_format=output_format, resume=resume, keep_columns=keep_columns,
                provenance=provenance, progress=progress if progress.enabled else None, drop_absent=drop_absent,
            )  # fmt: skip
    except BrokenPipeError:  # the reader of stdout stopped reading (`| head`): it has all it asked for
        progress.done()
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit must not fail
        typer.echo(
            "stdout was closed by its reader: the run stopped; to tag everything, write to a file (-o FILE)", err=True
        )
        raise typer.Exit(EXIT_PIPE) from None
    except RunInterrupted as stop:
        progress.done()
        typer.echo(stopped_line(stop.summary, output), err=True)
        raise typer.Exit(EXIT_TERMINATED if stop.summary.terminated else EXIT_INTERRUPTED) from None
    progress.done()
    return summary
