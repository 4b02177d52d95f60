"""The on-disk cache for derived data (label embeddings, mapping tables): safe to delete at any time."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """``$TAGLLM_CACHE_DIR``, else ``~/.cache/tagllm``; created on first use."""
    path = Path(os.environ.get("TAGLLM_CACHE_DIR") or Path.home() / ".cache" / "tagllm")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(*parts: str) -> str:
    """A short file-name-safe key for a tuple of strings (taxonomy version, facet, embedder…)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
