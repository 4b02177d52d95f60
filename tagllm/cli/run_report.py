"""What `tagllm generate` says on stderr once a run ends: its summary line, the records it could not tag and how to
retry them, and how to go on after an interruption (kept apart from ``tagllm.cli.generate``, which checks the flags
and runs the tagger, so that the wording of a run's end reads in one place)."""

from __future__ import annotations

from tagllm.cli.common import formula_warning
from tagllm.io.readers import STDIO
from tagllm.run_summary import RunSummary

STDOUT_AGAIN = (
    "tag those products again; results on stdout cannot be resumed (written to a file, -o FILE, --resume would retry "
    "only them)"
)


def stopped_line(done: RunSummary, output: str) -> str:
    """What a run interrupted (Ctrl-C) or terminated (SIGTERM) part way had done, and how to go on."""
    earlier = done.in_output - done.tagged - done.failed  # rows a resumed run kept: in the output too
    counts = f"{done.tagged} tagged, {done.failed} failed" + (f", {done.skipped} already done" if done.skipped else "")
    if output == "-":
        hint = " were written to stdout; to go on, write to a file (-o FILE) and use --resume"
    elif earlier > 0:
        hint = (
            f"; {done.output} holds {done.in_output} product(s), {earlier} of them from earlier runs; to go on, "
            "run the same command with --resume"
        )
    else:
        hint = f" are in {done.output}; to go on, run the same command with --resume"
    stopped = "terminated (SIGTERM)" if done.terminated else "interrupted"
    return f"{stopped}: {counts}{hint}"


def end_lines(summary: RunSummary, source: str, output: str) -> list[str]:
    """The lines a finished run says, in order: the errors listed, the summary line, then what to do about the
    products that failed, kept the default's tags, have their category alone, or went without their photos
    (``source`` names the input)."""
    lines = [f"error: {message}" for message in summary.errors]
    others = summary.unlisted - summary.unlisted_repeats
    if others:
        lines.append(f"error: … and {others} more, not listed: each one's row in {summary.output} says why")
    if summary.unlisted_repeats:
        lines.append(
            f"error: … and {summary.unlisted_repeats} more record(s) repeating an earlier record's product id, not "
            "listed: give the ones listed ids of their own and run again with --resume to list the next"
        )
    lines.append(summary_line(summary))
    # results on stdout cannot be resumed ("--resume needs an output file"): what to retry is tagged again
    on_stdout = output == STDIO
    where = "stdout" if on_stdout else summary.output
    if summary.still_failed:
        again = STDOUT_AGAIN if on_stdout else "run again with --resume to retry them"
        lines.append(f"{where}: {summary.still_failed} product(s) failed (error records); fix the cause and {again}")
    if summary.blank_ids:
        lines.append(f"warning: {summary.blank_ids_note(source)}")
    if summary.absent and not summary.dropped_absent:
        lines.append(
            f"{summary.output}: {summary.absent} result(s) kept of products {source} no longer has "
            f"({_named(summary)}); run again with --resume --drop-absent to remove them"
        )
    if summary.still_fell_back:
        again = STDOUT_AGAIN if on_stdout else "run again with --resume to send them to the LLM again"
        lines.append(
            f"{where}: {summary.still_fell_back} product(s) kept the default's tags because the LLM failed; {again}"
        )
    if summary.still_partial:
        again = STDOUT_AGAIN if on_stdout else "run again with --resume to ask for their other facets again"
        lines.append(
            f"{where}: {summary.still_partial} product(s) have their category but not their other facets: the "
            f"attribute step failed (each row's facet_errors says why); {again}"
        )
    if summary.still_degraded:
        again = STDOUT_AGAIN if on_stdout else "run again with --resume to tag them again"
        lines.append(
            f"{where}: {summary.still_degraded} product(s) were tagged from their text alone because none of their "
            f"photos could be read (each row's degraded says why); fix the photos and {again}"
        )
    if summary.formula_columns:
        first = {column: f"product {pid!r}" for column, pid in summary.formula_columns.items()}
        lines.append(formula_warning(summary.output, first, "JSONL or Parquet"))
    if summary.still_unfetched:
        lines.append(
            f"{where}: {summary.still_unfetched} product(s) were tagged from their text alone because their "
            "photos are remote URLs, not fetched without --allow-remote-images; run again with "
            f"{'' if on_stdout else '--resume '}--allow-remote-images to read them"
        )
    return lines


def summary_line(summary: RunSummary) -> str:
    parts = [f"{summary.tagged} tagged", f"{summary.failed} failed"]
    if summary.routing or summary.routed or summary.fell_back:
        parts[0] += f" ({summary.routed} by the LLM, {summary.fell_back} kept the default's tags when the LLM failed)"
    if summary.partial:
        parts[0] += f" ({summary.partial} with the category alone: the attribute step failed)"
    if summary.degraded:
        parts[0] += f" ({summary.degraded} from the text alone: no photo could be read)"
    if summary.unfetched:
        parts[0] += f" ({summary.unfetched} from the text alone: remote photos not fetched)"
    if summary.skipped:
        parts.append(f"{summary.skipped} already done")
    if summary.edited:
        parts.append(f"{summary.edited} edited since tagged, tagged again")
    if summary.retried:
        parts.append(f"{summary.retried} earlier failure(s) retried")
    if summary.retried_llm:
        parts.append(f"{summary.retried_llm} earlier LLM failure(s) sent to the LLM again")
    if summary.retried_degraded:
        parts.append(f"{summary.retried_degraded} tagged earlier without their photos tried again")
    if summary.kept_text_only:
        parts.append(f"{summary.kept_text_only} of them failed again, their earlier tags kept")
    if summary.retried_partial:
        parts.append(f"{summary.retried_partial} tagged earlier with the category alone tried again")
    if summary.kept_partial:
        parts.append(f"{summary.kept_partial} of them failed again, their earlier category kept")
    if summary.variants:
        parts.append(f"{summary.variants} variant row(s) joined to their product")
    if summary.joined:
        parts.append(f"{summary.joined} row(s) of further photos joined to their product")
    if summary.empty_rows:
        parts.append(f"{summary.empty_rows} row(s) of empty cells skipped")
    if summary.duplicates:
        parts.append(f"{summary.duplicates} repeated id(s) not tagged")
    if summary.stale:
        more = summary.stale - len(summary.stale_ids)
        named = ", ".join(summary.stale_ids) + (f" and {more} more" if more else "")
        parts.append(
            f"{summary.stale} earlier error record(s) removed ({named}): the input no longer has a record of that "
            "name (its line was mended and is read under its own id, or was removed)"
        )
    if summary.absent:
        done = "removed" if summary.dropped_absent else "kept"
        parts.append(f"{summary.absent} result(s) of products no longer in the input {done} ({_named(summary)})")
    return (
        f"{', '.join(parts)} in {summary.seconds:.1f}s ({summary.products_per_second:.1f} products/s, "
        f"after {summary.startup_seconds:.1f}s start-up) -> {summary.output}"
    )


def _named(summary: RunSummary) -> str:
    more = summary.absent - len(summary.absent_ids)
    return ", ".join(summary.absent_ids) + (f" and {more} more" if more else "")
