"""Backends: one protocol (batch in, batch out) and a registry of lazily imported engines."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.errors import ConfigError

# Dotted paths, imported only when a backend is asked for: `import tagllm` never imports vllm or torch.
BACKENDS: dict[str, str] = {
    "retrieval": "tagllm.backends.retrieval:RetrievalBackend",
    "transformers": "tagllm.backends.transformers:TransformersBackend",
    "vllm": "tagllm.backends.vllm:VLLMBackend",
    "openai": "tagllm.backends.openai:OpenAIBackend",
}


def get_backend(name: str, **options: Any) -> Backend:
    """Build a backend by registry name with its options (model, base_url, engine arguments…), and check its setup
    (packages installed, model directory present) so that a mistake stops the run before its first product."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    module_name, _, attr = BACKENDS[name].partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    check_options(name, cls, options)
    backend: Backend = cls(**options)
    backend.check()
    return backend


def check_options(name: str, cls: type[Backend], options: dict[str, Any]) -> None:
    """Refuse an option the backend's constructor does not take: a typo in backend_options would otherwise end in a
    TypeError from the constructor."""
    params = inspect.signature(cls).parameters
    unknown = [key for key in options if key not in params]
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        raise ConfigError(f"the {name} backend has no option {unknown[0]!r}; its options: {', '.join(params)}")


__all__ = ["BACKENDS", "Backend", "Generation", "GenerationRequest", "check_options", "get_backend"]
