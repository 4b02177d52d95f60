"""tagllm: tag products against your own taxonomy with retrieval-guided LLMs; every tag is a taxonomy value.

The public API is imported lazily, so ``import tagllm`` (and ``tagllm --help``) loads no torch, FAISS or engine.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Tagger": "tagllm.tagger",
    "RunSummary": "tagllm.run",
    "TaggerConfig": "tagllm.config",
    "load_config": "tagllm.config",
    "Taxonomy": "tagllm.taxonomy",
    "load_taxonomy": "tagllm.taxonomy",
    "ExampleIndex": "tagllm.retrieval.index",
    "Embedder": "tagllm.retrieval.embedder",
    "Mapper": "tagllm.mapping",
    "Product": "tagllm.models",
    "LabelledProduct": "tagllm.models",
    "TagResult": "tagllm.models",
    "Tag": "tagllm.models",
    "get_backend": "tagllm.backends",
    "TagllmError": "tagllm.errors",
    "tag_products": "tagllm.jobs",
    "tag_file": "tagllm.jobs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tagllm' has no attribute {name!r}")
