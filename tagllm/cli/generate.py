"""`tagllm generate`: tag products from a file or stdin into a file or stdout."""

from __future__ import annotations
