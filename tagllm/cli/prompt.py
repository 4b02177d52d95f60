"""`tagllm prompt render`: print exactly the messages a backend would receive for a product."""

from __future__ import annotations

import typer

app = typer.Typer(help="Render and inspect prompt templates.", no_args_is_help=True)
