"""The `tagllm` command: a root typer app assembled from one sub-app per file; errors are handled here only."""

from __future__ import annotations

import sys
import traceback

import typer

from tagllm.cli import eval as eval_cli
from tagllm.cli import generate as generate_cli
from tagllm.cli import index as index_cli
from tagllm.cli import prompt as prompt_cli
from tagllm.cli import taxonomy as taxonomy_cli
from tagllm.cli.common import (
    EXIT_CRASH,
    EXIT_INTERRUPTED,
    EXIT_SETUP,
    PLAIN_HELP,
    Interrupted,
    carry_interrupts,
    readable_types,
)
from tagllm.errors import TagllmError

app = typer.Typer(
    name="tagllm",
    help="Tag products against your taxonomy with retrieval-guided LLMs; every tag is a real taxonomy node.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=PLAIN_HELP,
)
app.command("generate")(generate_cli.generate)
app.add_typer(index_cli.app, name="index")
app.add_typer(taxonomy_cli.app, name="taxonomy")
app.add_typer(prompt_cli.app, name="prompt")
app.add_typer(eval_cli.app, name="eval")


def main() -> None:
    """Exit codes: 0 done; 1 some records failed; 2 setup or usage mistake; 3 crash (a bug); 130 Ctrl-C."""
    try:
        command = typer.main.get_command(app)
        readable_types(command)
        carry_interrupts(command)
        command()
    except TagllmError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_SETUP)
    except Interrupted as stop:
        typer.echo(stop.message, err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception:
        traceback.print_exc()
        typer.echo(
            "error: tagllm crashed (a bug, not a problem with your input): please report it with the traceback above",
            err=True,
        )
        sys.exit(EXIT_CRASH)
