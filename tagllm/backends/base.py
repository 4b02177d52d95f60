"""The backend protocol: a batch of generation requests in, a batch of generations out, with capability flags."""

from __future__ import annotations

import importlib.util
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tagllm.errors import ConfigError, TagllmError, missing_dependency
from tagllm.models import Candidate, ImageUse, Neighbour, Product, RecordError

T = TypeVar("T")

ANSWERED: ContextVar[Callable[[int, int], None] | None] = ContextVar("tagllm_answered", default=None)
"""Where an LLM backend reports how many of a ``generate`` call's requests it has answered (done, total): a batch of
a thousand products is minutes of an LLM's answers, and a file run's progress line showed no count until it ended."""


@contextmanager
def answers_reported(report: Callable[[int, int], None] | None) -> Iterator[None]:
    """Within the block, the backends' ``generate`` calls of this thread report their answers to ``report``."""
    token = ANSWERED.set(report)
    try:
        yield
    finally:
        ANSWERED.reset(token)


@dataclass
class GenerationRequest:
    """What a backend gets for one product.

    ``messages`` (chat messages) and ``schema`` (JSON schema whose enums hold this product's candidates) are
    filled for backends with ``needs_prompt``; the retrieval backend decides from ``candidates`` alone. For
    backends that ``supports_images``, ``images`` holds the product's loaded photos (``tagllm.images.LoadedImage``),
    and a message that shows one has a list of content parts: ``{"type": "text", "text": …}`` and
    ``{"type": "image", "index": i, "source": …}`` for ``images[i]``, where the template placed it.
    """

    product: Product
    candidates: dict[str, list[Candidate]]
    neighbours: list[Neighbour] = field(default_factory=list)
    messages: list[dict[str, Any]] | None = None
    schema: dict[str, Any] | None = None
    images: list[Any] = field(default_factory=list)
    image_uses: list[ImageUse] = field(default_factory=list)  # what became of each photo, for the provenance


@dataclass
class Generation:
    """One backend answer: the raw text, and what is known about how it was made.

    ``confidences`` (facet -> value id -> [0, 1]) is set by backends that can score their choices (retrieval
    scores, or token log-probabilities); the tagger falls back to candidate scores when it is None.
    ``error`` is set when this product failed after retries; the rest of the batch is unaffected.
    ``ids`` (facet -> value ids) is set by a backend that answers with the taxonomy's value ids (the retrieval
    backend): the tagger then checks those ids against the taxonomy and the candidates instead of parsing ``text``
    (which still holds the same answer, as JSON, for the provenance).
    """

    text: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None
    confidences: dict[str, dict[str, float]] | None = None
    error: RecordError | None = None
    ids: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class PromptSize:
    """A prompt's tokens as a backend's model reads them (its chat template applied), and what they must fit in."""

    tokens: int
    context: int
    max_new_tokens: int
    longer: str = "use a model with a longer context"  # how this backend's model gets a longer context
    refused: str = ""  # a server's words where it refused the prompt as longer than its context (``tokens`` unknown)

    @property
    def fits(self) -> bool:
        return not self.refused and self.tokens + self.max_new_tokens <= self.context


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

    def load(self) -> None:  # noqa: B027 - optional hook
        """Start the engine now (weights, tokenizer) rather than on the first ``generate``: a file run calls it
        before its first product, so that an engine that cannot start stops the run with a ConfigError naming the
        cause instead of failing every product."""

    def prompt_size(self, messages: list[dict[str, Any]]) -> PromptSize | None:
        """How many tokens ``messages`` take as the model reads them, against its context; None where the backend
        does not know its context. Called after ``load``."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (GPU memory, HTTP clients)."""


def close_after(backend: Backend, failure: BaseException) -> None:
    """Close a backend whose ``load`` failed with ``failure``, which stays the error to raise: a close that fails too
    (a half-started engine's) is noted on it (logged on Python 3.10, whose exceptions take no notes). Raised from
    the ``except`` block, the close's error hid why the engine did not start."""
    try:
        backend.close()
    except Exception as closing:
        note = f"closing the backend after this failed too: {type(closing).__name__}: {closing}"
        add_note = getattr(failure, "add_note", None)
        if callable(add_note):
            add_note(note)
        else:
            logging.getLogger(__name__).warning("%s", note)


def check_installed(packages: Sequence[str], extra: str, purpose: str) -> None:
    """Raise the missing-dependency error for the first of ``packages`` that is not installed (nothing is imported)."""
    for package in packages:
        if importlib.util.find_spec(package) is None:
            raise missing_dependency(package, extra, purpose)


def start_engine(backend: str, model: str | None, start: Callable[[], T]) -> T:
    """Run ``start`` (an engine's loading); an exception tagllm did not foresee (a broken install, a CUDA error,
    weights that do not load) is a setup mistake, a ConfigError naming the backend, the model and the cause."""
    try:
        return start()
    except TagllmError:
        raise
    except Exception as exc:
        # an import deep inside the engine failed: the engine is installed, a package it needs is not
        fix = f"; reinstall what it needs: pip install 'tagllm[{backend}]'" if isinstance(exc, ImportError) else ""
        message = f"the {backend} backend could not start {model}: {type(exc).__name__}: {exc}{fix}"
        raise ConfigError(message) from exc


def check_counts(backend: str, **counts: int) -> None:
    """Counts a backend takes (``max_new_tokens``, ``batch_size``…) must be 1 or more: at 0 every product failed alike
    (a server's HTTP 400 for ``max_tokens`` 0, ``range()``'s ValueError for a batch size of 0), each as an error record,
    the setting never named."""
    for name, value in counts.items():
        if value < 1:
            raise ConfigError(
                f"the {backend} backend: {name} must be 1 or more, not {value}; set backend_options.{name}"
            )


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
    if needs_config and path.is_dir() and not _names_a_model(path / "config.json"):
        # another tool's config.json: transformers then spoke of the tokenizer ("install sentencepiece or tiktoken")
        raise ConfigError(
            f"the {backend} backend: {path / 'config.json'} names no model_type, so it is not a Hugging Face model's "
            "config; pass the directory that holds the model's own config.json and weights"
        )


def _names_a_model(config: Path) -> bool:
    """Whether a config.json is a model's: a JSON object with a model_type. One that is not JSON is left to the
    engine, whose message says where it fails to parse."""
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return isinstance(data, dict) and bool(data.get("model_type"))


def content_parts(
    content: str | list[dict[str, Any]], image: Callable[[int], dict[str, Any]]
) -> str | list[dict[str, Any]]:
    """A message's content in the chat-completions shape: a string stays a string; in a list of parts, text parts
    stay and each image part becomes what ``image(index)`` makes of it (an engine's own image part)."""
    if isinstance(content, str):
        return content
    return [part if part["type"] == "text" else image(int(part["index"])) for part in content]


def message_text(content: str | list[dict[str, Any]]) -> str:
    """A message's text alone (its image parts left out)."""
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part["type"] == "text")
