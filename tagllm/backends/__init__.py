"""Backends: one protocol (batch in, batch out) and a registry of lazily imported engines."""

from __future__ import annotations

import importlib
import inspect
import typing
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
    backend: Backend = cls(**check_options(name, cls, options))
    backend.check()
    return backend


def check_options(name: str, cls: type[Backend], options: dict[str, Any]) -> dict[str, Any]:
    """The options, each read as the type the backend's constructor gives it (``"60"`` for a number is 60.0); an
    option it does not take, or a value that is not of its type (``timeout: 60s`` in a config file), is refused: a
    typo in backend_options ended in a TypeError from the constructor, and a value of another type in a traceback or
    in every product failing alike."""
    params = inspect.signature(cls).parameters
    unknown = [key for key in options if key not in params]
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        raise ConfigError(f"the {name} backend has no option {unknown[0]!r}; its options: {', '.join(params)}")
    return {key: _typed(name, cls, key, value) for key, value in options.items()}


def _typed(name: str, cls: type[Backend], key: str, value: Any) -> Any:
    """``value`` as the type of the constructor's parameter ``key``. Only what a config file holds (text, numbers,
    booleans, lists, maps) is read: objects a caller built (a taxonomy, an HTTP client) are passed as they are."""
    from pydantic import TypeAdapter, ValidationError

    if value is not None and not isinstance(value, str | int | float | bool | list | dict):
        return value
    try:
        hint = typing.get_type_hints(cls.__init__).get(key, Any)
        adapter = TypeAdapter(hint)
    except Exception:  # an annotation that does not resolve, or names a class of its own: the constructor checks
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        why = exc.errors()[0]["msg"]
        kind = hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")
        raise ConfigError(
            f"the {name} backend's option {key!r} is {value!r}: {why}; backend_options.{key} takes {kind}"
        ) from None


__all__ = ["BACKENDS", "Backend", "Generation", "GenerationRequest", "check_options", "get_backend"]
