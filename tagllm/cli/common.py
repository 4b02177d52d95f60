"""Pieces shared by the CLI sub-apps: config assembly from flags, progress on stderr, exit codes."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

# Help is click's plain text, not typer's rich panels: formatting with rich imports rich's markdown, syntax and
# traceback modules, which were most of `tagllm --help`'s time (573 ms median; 0.5 s is the budget).
PLAIN_HELP = None

EXIT_OK = 0
EXIT_FAILED_RECORDS = 1  # the run finished; some records are error records in the output
EXIT_SETUP = 2  # a setup or usage mistake, reported before the first product
EXIT_CRASH = 3  # tagllm itself failed: a bug to report, with the traceback printed
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended
EXIT_CODES_HELP = (
    "Exit codes: 0 every product tagged; 1 some records failed (they are error records in the output: --resume "
    "retries them) or repeat an earlier record's id (not tagged, and not retried: give each its own id); "
    "2 a setup or usage mistake (nothing tagged), or an output the disk stopped taking part way (its whole "
    "batches kept: --resume tags the rest); 3 tagllm crashed (a bug: the traceback is printed); "
    "130 interrupted, 143 stopped by SIGTERM (run again with --resume); 141 stdout closed by its reader (| head)."
)


def formula_warning(output: str, first: dict[str, str], instead: str = "JSONL") -> str:
    """The warning for a CSV whose columns hold cells a spreadsheet runs as formulas (``tagllm.io.rows.is_formula``):
    ``first`` maps each such column to where its first one is ("product 'p2'", "row 1"). OWASP's CSV injection: the
    cells are the input's (or a model's) text, written as they are, not altered."""
    named = ", ".join(f"{column!r} (first: {where})" for column, where in first.items())
    return (
        f"warning: {output}: cells that Excel and other spreadsheets run as formulas when they open a CSV (beginning "
        f"with =, +, -, @ or a tab) are in column(s) {named}; written as they are: import the file with those columns "
        f"as text, or write {instead}"
    )


def parse_fields(value: str | None) -> list[str] | None:
    """``--ignore-fields a,b`` as a list (None when not given)."""
    return [f.strip() for f in value.split(",") if f.strip()] if value is not None else None


def build_config(config: str | None, **flags: Any) -> Any:
    """Flags > TAGLLM_* environment > config file > defaults; a flag left unset does not override."""
    from tagllm.config import load_config

    return load_config(config, from_flags=True, **{k: v for k, v in flags.items() if v not in (None, [], ())})


STAGES = {
    "taxonomy": "loading the taxonomy",
    "embedder": "loading the embedder",
    "index": "loading the example index",
    "backend": "starting the LLM backend",
    "read": "reading the examples",
    "embed": "embedding examples",
    "photos": "reading and encoding the examples' photos",
    "fit": "fitting the candidate scorer",
    "mapping": "building the mapping tables",
    "tables": "building label tables",
    "labels": "embedding taxonomy labels",
    "tag": "tagged",
}


class StderrProgress:
    """One self-overwriting status line per stage on stderr, with counts and rate, only on a terminal: piped
    output, logs and ``-q`` get none. ``encode`` reports (a tagging window being embedded) ride on the tag line."""

    REDRAW_SECONDS = 0.2

    def __init__(self, quiet: bool = False, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = not quiet and self.stream.isatty()
        self._stage = ""
        self._started = 0.0
        self._drawn = 0.0  # when the line was last drawn (0: not yet in this stage)
        self._behind = False  # a report came in too soon after the last drawing and is not shown yet
        self._width = 0
        self._done = 0
        self._total: int | None = None
        self._encoding = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        encoding = ""
        if stage in ("encode", "answer"):  # the next window being embedded, or the LLM answering the batch's requests
            what = "embedding the next" if stage == "encode" else "the LLM answering"
            encoding = f"{what} {total:,}: {done:,}" if total and done < total else ""
            stage, done, total = "tag", (self._done if self._stage == "tag" else 0), None
        if stage != self._stage:
            self._finish_line()
            self._stage, self._started, self._drawn, self._width = stage, now, 0.0, 0
        self._done, self._total, self._encoding = done, total, encoding
        self._behind = bool(self._drawn) and now - self._drawn < self.REDRAW_SECONDS and done != total
        if not self._behind:
            self._draw(now)

    def _draw(self, now: float) -> None:
        text = STAGES.get(self._stage, self._stage)
        if self._done or self._total:
            text += f" {self._done:,}" + (f"/{self._total:,}" if self._total else "")
        elapsed = now - self._started
        if self._done and elapsed >= 1.0:
            text += f" ({self._done / elapsed:,.0f}/s)"
        if self._encoding:
            text += f", {self._encoding}"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)
        self._drawn = now

    def _finish_line(self) -> None:
        if not self._stage:
            return
        if self._behind:
            self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def done(self) -> None:
        """End the current line (showing its last count): what is printed next starts on a line of its own."""
        if self.enabled:
            self._finish_line()
        self._stage = ""


TYPE_NAMES = {"str": "TEXT", "int": "N", "float": "NUMBER", "Path": "PATH", "list[str]": "TEXT", "list[Path]": "PATH"}


class Interrupted(Exception):
    """Ctrl-C inside a command, carried past typer to ``main()``: typer turns a KeyboardInterrupt into a silent exit
    130, so a Ctrl-C while a model loaded ended the command without a word. ``message``: what to say on stderr."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def carry_interrupts(command: Any, name: str = "tagllm") -> None:
    """Make a Ctrl-C in any command's (or sub-command's) code an ``Interrupted`` naming the command and how to go on.
    A file run cut off while tagging says so itself (RunInterrupted), before this is reached."""
    import functools

    callback = command.callback
    if callback is not None:

        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except KeyboardInterrupt:
                hint = "run it again"
                if command.name == "generate":  # the output is as an earlier run left it, or holds what was tagged
                    to_file = kwargs.get("output") != "-"
                    hint = "to go on, run the same command with --resume" if to_file else hint
                raise Interrupted(f"interrupted: {name} did not finish; {hint}") from None

        command.callback = run
    for sub_name, sub in getattr(command, "commands", {}).items():
        carry_interrupts(sub, f"{name} {sub_name}")


def readable_types(command: Any) -> None:
    """Help shows TEXT, N, NUMBER or a metavar where typer shows <str>, <int>, <float>, and nothing for a flag or
    an argument (its name says it) where typer shows <bool> or <str>: on every command and sub-command."""
    import typer.core

    params = list(command.params)
    help_option = command.get_help_option(typer.core._click.Context(command))
    params += [help_option] if help_option is not None else []
    for param in params:
        if isinstance(param, typer.core.TyperArgument):
            param.display_type_rich = lambda ctx: ""  # type: ignore[method-assign]
            param.metavar = param.metavar or (param.name or "").upper()
        elif param.metavar is None and not param.type_descriptor.is_choice:
            param.metavar = "" if param.is_flag else TYPE_NAMES.get(param.bare_type())
    for sub in getattr(command, "commands", {}).values():
        readable_types(sub)
