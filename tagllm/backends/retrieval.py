"""The no-LLM default backend: picks from the scored candidates (neighbour votes, lexical and label evidence)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tagllm.backends.base import Backend, Generation, GenerationRequest
from tagllm.candidates.calibration import Keep
from tagllm.models import Candidate
from tagllm.taxonomy import Taxonomy

# A candidate's score is the stacker's probability that it is right; for facets where leaving a value out is
# allowed (optional or multi-valued), a value is kept when it is more likely right than wrong, or from the facet's
# own keep probabilities where the index measured them, one for values the text states and one for the others
# (``tagllm.candidates.calibration.Keep``).
KEEP_PROBABILITY = 0.5


class RetrievalBackend(Backend):
    """Answers with the best candidate per facet (all likely ones for multi-valued facets), as value ids."""

    name = "retrieval"
    needs_prompt = False
    supports_schema = True  # its answers are always valid value ids

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        *,
        keep_probability: float = KEEP_PROBABILITY,
        facet_keep: dict[str, Keep] | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.keep_probability = keep_probability
        self.facet_keep = dict(facet_keep or {})  # per facet, set by the tagger from the index's stackers

    def abstaining(self) -> list[str]:
        """The facets whose values are never kept: the index found no confidence from which its own examples'
        answers reach the target precision (``tagllm.candidates.calibration``)."""
        return [facet for facet, keep in self.facet_keep.items() if keep.is_abstaining]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        out = []
        for request in requests:
            answer: dict[str, str | list[str] | None] = {}
            confidences: dict[str, dict[str, float]] = {}
            ids: dict[str, list[str]] = {}
            for facet, candidates in request.candidates.items():
                spec = self.taxonomy.facets.get(facet) if self.taxonomy else None
                multi = bool(spec and spec.multi_valued)
                required = spec is None or spec.required or spec.hierarchical
                if multi:
                    chosen = self._likely(facet, candidates) or (candidates[:1] if required else [])
                    answer[facet] = [c.id for c in chosen]
                else:
                    chosen = candidates[:1] if required else self._likely(facet, candidates)[:1]
                    answer[facet] = chosen[0].id if chosen else None
                confidences[facet] = {c.id: c.score for c in chosen}
                ids[facet] = [c.id for c in chosen]
            text = json.dumps(answer, ensure_ascii=False)
            out.append(Generation(text=text, confidences=confidences, ids=ids))
        return out

    def _likely(self, facet: str, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates sure enough to keep: read only where the answer may leave values out (a required
        single-valued facet, a category, answers its best candidate whatever its score: the thresholds of its 20
        candidates were read for every product, for nothing)."""
        keep = self.facet_keep.get(facet)
        if keep is None:
            return [c for c in candidates if c.score >= self.keep_probability]
        kept = [c for c in candidates if c.score >= max(self.keep_probability, keep.threshold(c))]
        if keep.further is None or not kept or kept[0] is not candidates[0]:
            return kept
        # the best is kept: a multi-valued facet's further values from their own threshold (``Keep.further``)
        return candidates[:1] + [
            c for c in candidates[1:] if c.score >= max(self.keep_probability, keep.further_threshold(c))
        ]
