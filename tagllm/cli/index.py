"""`tagllm index build|add|info`: the example index of labelled products."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build and grow the example index of labelled products.", no_args_is_help=True)
