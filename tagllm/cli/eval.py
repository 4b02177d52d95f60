"""`tagllm eval run|compare`: score configurations against gold labels and compare runs."""

from __future__ import annotations

import typer

app = typer.Typer(help="Evaluate configurations against gold labels and compare runs.", no_args_is_help=True)
