"""The backend protocol: a batch of generation requests in, a batch of generations out, with capability flags."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagllm.errors import ConfigError, missing_dependency
from tagllm.models import Candidate, Neighbour, Product, RecordError


@dataclass
class GenerationRequest:
    """What a backend gets for one product.

    ``messages`` (chat messages) and ``schema`` (JSON schema whose enums hold this product's candidates) are
    filled for backends with ``needs_prompt``; the retrieval backend decides from ``candidates`` alone.
    """

    product: Product
    candidates: dict[str, list[Candidate]]
    neighbours: list[Neighbour] = field(default_factory=list)
    messages: list[dict[str, str]] | None = None
    schema: dict[str, Any] | None = None


@dataclass
class Generation:
    """One backend answer: the raw text, and what is known about how it was made.

    ``confidences`` (facet -> value id -> [0, 1]) is set by backends that can score their choices (retrieval
    scores, or token log-probabilities); the tagger falls back to candidate scores when it is None.
    ``error`` is set when this product failed after retries; the rest of the batch is unaffected.
    """

    text: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None
    confidences: dict[str, dict[str, float]] | None = None
    error: RecordError | None = None


class Backend(ABC):
    """Base class: engines implement ``generate``; flags say what they support."""

    name: str = "backend"
    model: str | None = None
    needs_prompt: bool = True
    supports_schema: bool = False
    supports_logprobs: bool = False
    supports_images: bool = False

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Answer every request, in order. A request that fails yields a Generation with ``error`` set."""

    def check(self) -> None:  # noqa: B027 - optional hook
        """Raise a ConfigError (or MissingDependencyError) for a setup mistake: a package that is not installed,
        a model directory that does not exist. Cheap: loads nothing. ``get_backend`` calls it, so a run stops
        with one message before its first product instead of failing every product."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (GPU memory, HTTP clients)."""


def check_installed(packages: Sequence[str], extra: str, purpose: str) -> None:
    """Raise the missing-dependency error for the first of ``packages`` that is not installed (nothing is imported)."""
    for package in packages:
        if importlib.util.find_spec(package) is None:
            raise missing_dependency(package, extra, purpose)


def check_model_path(model: str | None, backend: str, *, needs_config: bool = True) -> None:
    """A model must be on disk: tagllm never starts a multi-GB download from a tagging run."""
    path = Path(str(model))
    if not path.exists():
        raise ConfigError(
            f"the {backend} backend: model {model!r} is not a directory; download it first "
            "(e.g. `huggingface-cli download ORG/NAME --local-dir DIR`) and pass the directory with --model"
        )
    if needs_config and path.is_dir() and not (path / "config.json").is_file():
        raise ConfigError(
            f"the {backend} backend: {model} has no config.json, so it is not a Hugging Face model directory; "
            "pass the directory that holds the model's config.json and weights"
        )
