"""Pieces shared by the CLI sub-apps: config assembly from flags, and progress on stderr."""

from __future__ import annotations

import sys
from typing import Any

import typer

ConfigOpt = typer.Option(None, "--config", "-c", help="config file (default: ./tagllm.yaml when present)")


def build_config(config: str | None, **flags: Any) -> Any:
    """Flags > TAGLLM_* environment > config file > defaults; a flag left unset does not override."""
    from tagllm.config import load_config

    return load_config(config, **{k: v for k, v in flags.items() if v not in (None, [], ())})


class StderrProgress:
    """One self-overwriting status line on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.quiet:
            return
        label = {"embed": "embedding examples", "fit": "fitting the candidate scorer", "tag": "tagged"}.get(
            stage, stage
        )
        text = f"{label} {done}/{total}" if total else (f"{label} {done}" if done else label)
        if self.tty:
            sys.stderr.write("\r" + text.ljust(len(self._last)))
            sys.stderr.flush()
        elif stage != "tag" or total:
            sys.stderr.write(text + "\n")
        self._last = text

    def done(self) -> None:
        if self.tty and self._last and not self.quiet:
            sys.stderr.write("\n")
        self._last = ""
