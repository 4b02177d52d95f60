"""The LLM stage: strings no other stage could place, settled by one batched, constrained choice among their nearest
values (the model knows that an "aubergine" is an eggplant)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage

if TYPE_CHECKING:
    from tagllm.backends.base import Backend
    from tagllm.mapping.mapper import Mapper

NONE = "none of these"
NOT_ANSWERED = "the LLM stage did not answer"
"""In the reason of a string whose LLM request failed: not the model's verdict, and mapping it again may place it."""
SYSTEM = (
    "You map a tag written by a shop or a model onto a controlled taxonomy. Choose the one value that means the "
    f'same thing as the tag, or "{NONE}" when no value does. Answer with JSON: {{"value": "..."}}.'
)


class LLMStage(Stage):
    """One request per open string, all in one ``backend.generate`` call; the answer must be one of the string's
    candidates (the embedding stage's nearest values, or the values a rule was torn between), by the JSON schema's
    enum when the backend supports schemas and by an exact check of the answer always. "none of these" or text off
    the list leaves the string rejected as before; a request that failed rejects it saying so (``NOT_ANSWERED``),
    not as a string the model found no value for."""

    name = "llm"

    def __init__(self, mapper: Mapper, backend: Backend) -> None:
        self.m = mapper
        self.backend = backend

    def run(self, batch: Batch) -> None:
        from tagllm.backends.base import GenerationRequest
        from tagllm.models import Product
        from tagllm.results import ask_backend

        asked: list[tuple[str, dict[str, str]]] = []
        requests: list[GenerationRequest] = []
        for raw in batch.fresh():
            ids = batch.candidates.get(raw)
            if not ids:
                continue
            choices = self._choices(ids)
            text = batch.text(raw)
            schema = {
                "type": "object",
                "properties": {"value": {"type": "string", "enum": [*choices, NONE]}},
                "required": ["value"],
                "additionalProperties": False,
            }
            facet = self.m.taxonomy.facets[batch.facet] if batch.facet else None
            lines = "\n".join(f"- {choice}" for choice in choices)
            user = f"Facet: {facet.title or facet.name if facet else 'any'}\nTag: {text}\nValues:\n{lines}"
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
            product = Product(id=f"tag-{len(requests)}", title=text[:200])
            requests.append(GenerationRequest(product, {}, messages=messages, schema=schema))
            asked.append((raw, choices))
        if not requests:
            return
        # A backend that raises, or answers in another shape, fails the requests it concerns, never the map.
        for (raw, choices), generation in zip(asked, ask_backend(requests, self.backend), strict=True):
            if generation.error is not None:
                why = f"{self.m.no_match(batch.facet)}, and {NOT_ANSWERED} ({generation.error.message}); map it again"
                batch.done[raw] = self.m.reject(raw, batch.facet, why, batch.best.get(raw, 0.0))
                continue
            chosen = _choice(generation.text)
            if chosen in choices:
                batch.done[raw] = self.m.accept(raw, batch.facet, self.m.values[choices[chosen]], self.name)

    def _choices(self, ids: tuple[str, ...]) -> dict[str, str]:
        """Label shown to the model -> value id; the path where two candidates share a name."""
        names = [self.m.values[v].name for v in ids]
        out: dict[str, str] = {}
        for vid, name in zip(ids, names, strict=True):
            label = name if names.count(name) == 1 else self.m.taxonomy.path_of(vid)
            out.setdefault(label, vid)
        return out


def _choice(text: str) -> str | None:
    """The value a model's answer names: {"value": "..."} (or a bare string)."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text.strip().strip('"') or None
    if isinstance(parsed, dict):
        value = parsed.get("value")
        return value if isinstance(value, str) else None
    return parsed if isinstance(parsed, str) else None
