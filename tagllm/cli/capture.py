"""The backend `tagllm prompt render` puts where the configured one would: it keeps no model and answers nothing.

Its own module so that `tagllm --help` does not import the backends and the pydantic models behind them."""

from __future__ import annotations

from collections.abc import Sequence

from tagllm.backends.base import Backend, Generation, GenerationRequest


class CaptureBackend(Backend):
    """Stands where the configured backend would: keeps the requests the tagger built and answers nothing.

    Rendering through the tagger itself (rather than re-deriving candidates and examples here) is what makes
    the output exactly what a run would send.
    """

    needs_prompt = True
    supports_schema = True

    def __init__(self, name: str, model: str | None, *, supports_images: bool = False) -> None:
        self.name = name
        self.model = model
        self.supports_images = supports_images

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        raise NotImplementedError("prompt render builds requests with Tagger.requests and never generates")
