"""`tagllm eval run|compare`: score configurations against gold labels and compare runs."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tagllm.cli.common import EXIT_INTERRUPTED, EXIT_TERMINATED, PLAIN_HELP, StderrProgress
from tagllm.cli.options import ModelOpt
from tagllm.errors import ConfigError

if TYPE_CHECKING:
    from tagllm.evaluation.config import EvalConfig
    from tagllm.evaluation.harness import EvalOutcome, SweepInterrupted

app = typer.Typer(
    help="Evaluate configurations against gold labels and compare runs.",
    no_args_is_help=True,
    rich_markup_mode=PLAIN_HELP,
)


def _show(path: Path) -> Path:
    """A path as the user would type it: relative to the working directory when it lies below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _input_problems(bad: dict[str, Any]) -> str:
    """What was wrong with the gold file and the predictions, in one line; empty when nothing was."""
    counts = [bad["unknown_gold_count"], bad["missing_predictions_count"], bad["failed_count"]]
    line = f"{counts[0]} unknown gold value(s), {counts[1]} missing prediction(s), {counts[2]} failed product(s)"
    unreadable, repeated = bad.get("unreadable_gold_count", 0), bad.get("repeated_ids_count", 0)
    if unreadable:
        line += f", {unreadable} unreadable gold line(s)"
    if repeated:
        line += f", {repeated} repeated id(s) (the later records not scored)"
    unknown_predictions = bad.get("unknown_predictions_count", 0)
    if unknown_predictions:
        line += f", {unknown_predictions} predicted tag(s) not in the taxonomy (scored as misses)"
    repeated_predictions = bad.get("repeated_predictions_count", 0)
    if repeated_predictions:
        line += f", {repeated_predictions} prediction(s) of a product given earlier (the last of each scored)"
    torn, foreign = bad.get("torn_predictions_count", 0), bad.get("foreign_predictions_count", 0)
    if torn:
        line += f", {torn} torn last line(s) of the predictions (a killed run; {_torn(bad['torn_predictions'])})"
    if foreign:
        named = ", ".join(bad["foreign_predictions"][:5]) + (f" and {foreign - 5} more" if foreign > 5 else "")
        line += f", {foreign} prediction(s) of a product the gold file has not (not scored: {named})"
    no_gold = bad.get("no_gold_count", 0)
    if no_gold:
        named = ", ".join(f"{x['product_id']} (line {x['line']})" for x in bad["no_gold"][:5])
        more = f" and {no_gold - 5} more" if no_gold > 5 else ""
        line += f", {no_gold} record(s) with no gold value (not tagged, not scored: {named}{more})"
    problems = (unreadable, repeated, unknown_predictions, repeated_predictions, torn, foreign, no_gold)
    return line if any(counts) or any(problems) else ""


def _torn(torn: list[dict[str, Any]]) -> str:
    """Where a predictions file was torn: its line, and the product whose result it held where the line names it,
    which is scored as missing."""
    return "; ".join(
        f"line {x['line']}" + (f", product {x['product_id']} counted missing" if x.get("product_id") else "")
        for x in torn
    )


def _parse_sweep(items: list[str]) -> dict[str, list[Any]]:
    import yaml

    from tagllm.config import TaggerConfig

    sweep: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise ConfigError(f"--sweep {item!r}: write it as setting=value1,value2 (e.g. k=5,10)")
        key = key.strip()
        if key not in TaggerConfig.model_fields:  # it crashed with pydantic's traceback when the sweep was checked
            raise ConfigError(f"--sweep {item!r}: {key!r} is not a tagger setting{_did_you_mean(key)}")
        sweep.setdefault(key, []).extend(yaml.safe_load(v) for v in values.split(","))
    return sweep


def _did_you_mean(key: str) -> str:
    import difflib

    from tagllm.config import TaggerConfig

    settings = list(TaggerConfig.model_fields)
    close = difflib.get_close_matches(key, settings, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f"; the settings: {', '.join(settings)}"


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="eval config (YAML), e.g. eval/flipkart.yaml")],
    prompt: Annotated[
        list[str] | None, typer.Option("--prompt", help="prompt template to compare; repeat for variants")
    ] = None,
    sweep: Annotated[
        list[str] | None, typer.Option("--sweep", help="setting=v1,v2 to compare, e.g. k=5,10; repeatable")
    ] = None,
    sample: Annotated[int | None, typer.Option(help="score the first N gold products (overrides the config)")] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="with --sample: draw N at random with this seed; alone: the config's random sample, redrawn"),
    ] = None,
    split: Annotated[str | None, typer.Option(help="score only this split of the gold file")] = None,
    output: Annotated[Path | None, typer.Option(help="directory run directories are written under")] = None,
    predictions: Annotated[Path | None, typer.Option(help="score these results (JSONL, Parquet) instead")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="tag everything again, ignoring the cache")] = False,
    bootstrap: Annotated[int | None, typer.Option(help="bootstrap resamples for intervals (0: none)")] = None,
    model: ModelOpt = None,
    routing: Annotated[
        bool,
        typer.Option(
            "--routing",
            help="print, for a run of the no-LLM default, the share routed to an LLM and the accuracy of the products "
            "it keeps per threshold (the report always has them)",
        ),
    ] = False,
    route_target: Annotated[
        float | None, typer.Option(help="kept-product accuracy the routing suggestion aims at (default 0.98)")
    ] = None,
) -> None:
    """Tag the gold products with their answers removed, score them, write a run directory with reports."""
    from tagllm.evaluation.harness import SweepFailedError, SweepInterrupted, run_eval

    overrides: dict[str, Any] = {"split": split, "bootstrap": bootstrap, "route_target": route_target}
    if output is not None:
        overrides["output"] = str(output)
    cfg = _eval_config(config, overrides, sample=sample, seed=seed, model=model, prompt=prompt, sweep=sweep)
    steps = StderrProgress()  # on a terminal: the tagger's setup and each batch (an LLM's run: hours)

    def say(line: str) -> None:
        steps.done()
        typer.echo(line, err=True)

    try:
        try:
            outcome = run_eval(cfg, use_cache=not no_cache, predictions=predictions, progress=say, steps=steps)
        finally:
            steps.done()
    except SweepFailedError as failed:
        _show_outcome(failed.outcome, routing)  # the variants that worked, before the error names the others
        raise
    except SweepInterrupted as stop:
        _show_outcome(stop.outcome, routing)
        typer.echo(_interrupted(stop, cached=not no_cache), err=True)
        raise typer.Exit(EXIT_TERMINATED if stop.terminated else EXIT_INTERRUPTED) from None
    _show_outcome(outcome, routing)


def _eval_config(
    config: Path,
    overrides: dict[str, Any],
    *,
    sample: int | None,
    seed: int | None,
    model: str | None,
    prompt: list[str] | None,
    sweep: list[str] | None,
) -> EvalConfig:
    """The eval config file with the flags over it: a --seed without --sample redraws the config's random sample
    (refused for a sample that is not random: the config's sample was scored again, as if it were another draw), and
    --prompt and --sweep add to the config's sweep."""
    from tagllm.evaluation.harness import load_eval_config

    if sample is not None:
        overrides["sample"] = {"mode": "random", "n": sample, "seed": seed} if seed is not None else sample
    cfg = load_eval_config(config, **overrides)
    if seed is not None and sample is None:
        if cfg.sample.mode != "random":
            raise ConfigError(
                f"--seed {seed} draws a random sample, and {config} takes {cfg.sample.describe()}: give --sample N too"
            )
        cfg = cfg.model_copy(update={"sample": cfg.sample.model_copy(update={"seed": seed})})
    if model is not None:
        cfg = cfg.model_copy(update={"tagger": cfg.tagger.with_overrides(model=model)})
    swept = dict(cfg.sweep)
    if prompt:
        swept["prompt"] = list(prompt)
    swept.update(_parse_sweep(sweep or []))
    if swept != cfg.sweep:
        cfg = cfg.model_validate({**cfg.model_dump(), "sweep": swept})
    return cfg


def _interrupted(stop: SweepInterrupted, cached: bool) -> str:
    """What a Ctrl-C (or SIGTERM) left: the variants scored and written, and the products of the one interrupted that
    were tagged and cached (they are not tagged again by a run again, as failed ones are)."""
    parts = [f"{'terminated (SIGTERM)' if stop.terminated else 'interrupted'}: tagllm eval run did not finish"]
    runs = stop.outcome.runs
    if runs:
        written = ", ".join(str(_show(directory)) for directory in runs)
        parts.append(f"{len(runs)} of {stop.variants_run} variant(s) were scored and written: {written}")
    of = f" of {stop.variant}" if stop.variants_run > 1 else ""
    if stop.cached:
        parts.append(f"{stop.cached} product(s){of} tagged before it are cached")
    again = "run the sweep again" if stop.variants_run > 1 else "run it again"
    if not cached:
        parts.append(again)
    elif stop.cached and runs:
        parts.append(f"{again}: the variants written and the products cached come from the cache")
    elif stop.cached:
        parts.append(f"{again}: the products cached are not tagged again")
    elif runs:
        parts.append(f"{again}: the variants written come from the cache")
    else:
        parts.append(again)
    return "; ".join(parts)


def _show_outcome(outcome: EvalOutcome, routing: bool) -> None:
    from tagllm.evaluation.headline import headline

    for directory, metrics in zip(outcome.runs, outcome.metrics, strict=True):
        typer.echo(f"run: {_show(directory)}" + (f"  [{metrics['variant']}]" if metrics["variant"] != "base" else ""))
        for line in headline(metrics):
            typer.echo(f"  {line}")
        # A routed run always says how its paths did; the sweep of a default run is asked for.
        if metrics.get("routing") and (routing or "paths" in metrics["routing"]):
            from tagllm.evaluation.routing import routing_lines

            for line in routing_lines(metrics["routing"]):
                typer.echo(f"  {line}")
        elif routing:  # asked for, and not to be had: say why rather than nothing
            typer.echo(
                "  routing: no table: this run's tags are not the no-LLM default's, and the table is read from a run "
                "of the default (tagger backend: retrieval, or --predictions of its output)"
            )
        line = _input_problems(metrics["bad_input"])
        if line:
            typer.echo(f"  input: {line}")
        typer.echo(f"  report: {_show(directory / 'report.html')}")
    if outcome.comparison is not None:
        import json

        from tagllm.evaluation.compare import comparison_lines

        comparison = json.loads((outcome.comparison.parent / "comparison.json").read_text(encoding="utf-8"))
        for line in comparison_lines(comparison):
            typer.echo(line)
        typer.echo(f"comparison: {_show(outcome.comparison)}")


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="run directories; the first is the baseline (A)")],
    output: Annotated[Path | None, typer.Option(help="where comparison.{json,md,html} go")] = None,
    bootstrap: Annotated[int, typer.Option(help="paired bootstrap resamples")] = 1000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
) -> None:
    """Put runs side by side: headline deltas and their significance, per-tag deltas, changed products."""
    from tagllm.evaluation.compare import compare_runs, comparison_lines, write_comparison
    from tagllm.io.places import check_writable

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    target = output or runs[0].parent / f"compare-{stamp}"
    check_writable(target, directory=True)
    comparison = compare_runs(list(runs), seed=seed, n_boot=bootstrap)
    html = write_comparison(comparison, target)
    for line in comparison_lines(comparison):
        typer.echo(line)
    typer.echo(f"comparison: {_show(html)}")
