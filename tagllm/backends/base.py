"""The backend protocol: a batch of generation requests in, a batch of generations out, with capability flags."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (GPU memory, HTTP clients)."""
