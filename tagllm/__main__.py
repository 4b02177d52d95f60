"""`python -m tagllm` runs the CLI."""

from tagllm.cli import main

main()
