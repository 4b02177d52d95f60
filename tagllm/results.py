"""A backend's answers into results: one batch call per step, each answer mapped onto the taxonomy, then one
``TagResult`` per product.

Confidences come from the backend's log-probs, else from the default's candidate scores; tags under the threshold
back off to the deepest ancestor that is sure enough. ``Tagger`` runs this after each backend call, and
``tagllm.stages`` after an engine answered rows on a cluster.
"""

from __future__ import annotations

import json
import math
import numbers
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tagllm.backends import Backend, Generation, GenerationRequest
from tagllm.config import TaggerConfig
from tagllm.errors import ConfigError, MissingDependencyError, TagllmError
from tagllm.llm_steps import ScoredProduct, first_requests
from tagllm.mapping.answers import answer_from_ids
from tagllm.models import (
    NO_PHOTO_NOTE,
    Candidate,
    ImageUse,
    MappingInfo,
    Provenance,
    RecordError,
    Rejection,
    Tag,
    TagResult,
)
from tagllm.taxonomy import CATEGORY, Taxonomy

if TYPE_CHECKING:
    from tagllm.llm_steps import LLMSteps
    from tagllm.retrieval.embedder import Embedder
    from tagllm.retrieval.index import ExampleIndex


@dataclass
class Part:
    """One answered request of a product: what was asked, the backend's answer, and that answer mapped (None when
    the backend failed)."""

    request: GenerationRequest
    generation: Generation
    answer: Any = None
    latency_ms: float = 0.0

    def chosen(self, facet: str) -> str | None:
        """The value the answer chose for ``facet`` (the first, as the model wrote it), before any threshold."""
        mapped = self.answer.tags.get(facet) if self.answer is not None else None
        return mapped[0][0].id if mapped else None


class ResultBuilder:
    """Maps a backend's answers onto one taxonomy (``parts``) and makes each product's ``TagResult`` (``result``).

    ``mapper``: the validator for free-text answers; built on first use when not given (see ``mapper``)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        facets: Sequence[str],
        config: TaggerConfig,
        *,
        index: ExampleIndex | None = None,
        embedder: Embedder | None = None,
        mapper: Any = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.facets = list(facets)
        self.config = config
        self.index = index
        self.embedder = embedder
        self._mapper = mapper

    @property
    def mapper(self) -> Any:
        """The validator that maps a backend's answers onto the taxonomy: built on first use, since the retrieval
        backend answers with taxonomy ids and never needs it (its tables for Shopify's 10,595 categories cost a
        first run seconds), and with tables for these facets only (the category too: it places the facets that
        apply)."""
        if self._mapper is None:
            from tagllm.mapping import Mapper

            facets = {*self.facets, *({CATEGORY} & self.taxonomy.facets.keys())}
            self._mapper = Mapper(self.taxonomy, embedder=self.embedder, facets=facets)
        return self._mapper

    def answer(self, scored: list[ScoredProduct], backend: Backend, steps: LLMSteps | None) -> list[TagResult]:
        """The scored products tagged by ``backend`` (``steps``: an LLM's, else None): one batch call per step."""
        firsts = self.generate(first_requests(scored, steps), backend)
        if steps is None or not steps.is_two_step:
            return [self.result([part], backend, steps) for part in firsts]
        # Step 2, batch-first: the attribute requests of the whole batch go to the backend together.
        seconds = steps.second_requests(scored, firsts)
        todo = [(i, request) for i, request in enumerate(seconds) if request is not None]
        answered = dict(zip([i for i, _ in todo], self.generate([r for _, r in todo], backend), strict=True))
        return [
            self.result([part, answered[i]] if i in answered else [part], backend, steps)
            for i, part in enumerate(firsts)
        ]

    def generate(self, requests: list[GenerationRequest], backend: Backend) -> list[Part]:
        """One backend call for a list of requests; each answer mapped onto the taxonomy (None where it failed)."""
        if not requests:
            return []
        started = time.perf_counter()
        generations = ask_backend(requests, backend)
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(len(requests), 1)
        return self.parts(requests, generations, elapsed_ms)

    def parts(
        self, requests: Sequence[GenerationRequest], generations: Sequence[Generation], elapsed_ms: float = 0.0
    ) -> list[Part]:
        """Each request with its generation, the answer mapped onto the taxonomy (None where the generation failed);
        ``elapsed_ms``: the latency of a generation that does not carry its own."""
        parts = []
        for request, generation in zip(requests, generations, strict=True):
            answer = None
            if generation.error is None:
                try:
                    answer = self._mapped(request, generation)
                except Exception as exc:  # an answer the mapper cannot take fails its product, not the run
                    why = f"the answer could not be mapped onto the taxonomy ({type(exc).__name__}: {exc})"
                    generation = replace(generation, error=RecordError(message=why))
            latency_ms = generation.latency_ms if generation.latency_ms is not None else elapsed_ms
            parts.append(Part(request, generation, answer, latency_ms))
        return parts

    def _mapped(self, request: GenerationRequest, generation: Generation) -> Any:
        allowed = {f: {c.id for c in cands} for f, cands in request.candidates.items()}
        facets = list(request.candidates) or self.facets
        if generation.ids is not None:  # value ids already: checked, not parsed and mapped
            parsed = json.loads(generation.text) if generation.text else None
            return answer_from_ids(self.taxonomy, generation.ids, facets, allowed=allowed, parsed=parsed)
        return self.mapper.map_answer(generation.text, facets, allowed=allowed)

    def result(self, parts: list[Part], backend: Backend, steps: LLMSteps | None) -> TagResult:
        """One product's result from its answered requests: one, or the category and the attribute step. A failed
        first request makes an error record; a failed attribute step a partial result: the category of the first
        step, and each facet the attribute step asked for in ``facet_errors`` with why (nothing is lost of what the
        backend did answer, and ``--resume`` asks again)."""
        first = parts[0]
        product_id = first.request.product.id
        provenance = self._provenance(parts, backend, steps)
        if first.generation.error is not None:
            return TagResult(product_id=product_id, status="error", error=first.generation.error, provenance=provenance)
        tags: dict[str, list[Tag]] = {}
        rejected: list[Rejection] = []
        facet_errors: dict[str, RecordError] = {}
        for part in parts:
            if part.generation.error is not None:
                facet_errors |= dict.fromkeys(part.request.candidates, self.step_error(part, first))
                continue
            assert part.answer is not None  # no error, so the answer was mapped
            rejected.extend(part.answer.rejected)
            tags |= self.answer_tags(part, "retrieval" if backend.name == "retrieval" else "llm")
        if steps is not None:
            tags, dropped = steps.drop_inapplicable(tags, first.chosen(CATEGORY))
            rejected.extend(dropped)
        uses = first.request.image_uses
        return TagResult(
            product_id=product_id, tags=tags, rejected=rejected, provenance=provenance,
            degraded=unread_photos(product_id, uses), unfetched_photos=unfetched_photos(uses),
            facet_errors=facet_errors or None,
        )  # fmt: skip

    @staticmethod
    def step_error(part: Part, first: Part) -> RecordError:
        """Why a later step (two_step's attribute step) failed, naming the step and the category it was asked for."""
        error = part.generation.error
        assert error is not None
        message = f"attribute step (category chosen: {first.chosen(CATEGORY)}): {error.message}"
        return error.model_copy(update={"message": message})

    def _provenance(self, parts: list[Part], backend: Backend, steps: LLMSteps | None) -> Provenance:
        first = parts[0]
        # a failed step parsed nothing: the answers that were parsed (a partial result's category alone)
        parsed = [p.answer.parsed for p in parts if p.answer is not None]
        # A two-step result names both templates (and both hashes), joined by "+".
        prompts = [steps.prompt, steps.attribute_prompt][: len(parts)] if steps is not None else []
        return Provenance(
            backend=backend.name,
            model=backend.model,
            taxonomy_version=self.taxonomy.version,
            index_version=self.index.version if self.index is not None else None,
            template="+".join(p.name for p in prompts) if prompts else None,
            template_hash="+".join(p.hash for p in prompts) if prompts else None,
            neighbours=first.request.neighbours,
            images=first.request.image_uses,
            candidates={f: c for p in parts for f, c in p.request.candidates.items()},
            # Two steps: one answer per line, step by step; their parsed objects merged (their facets differ).
            raw_output="\n".join(p.generation.text for p in parts),
            parsed_output=_merged(parsed) if parsed else None,
            prompt_tokens=_total(p.generation.prompt_tokens for p in parts),
            completion_tokens=_total(p.generation.completion_tokens for p in parts),
            latency_ms=round(sum(p.latency_ms for p in parts), 3),
        )

    def answer_tags(self, part: Part, source: str) -> dict[str, list[Tag]]:
        """Tags from one mapped answer: confidence from the backend's log-probs, else the candidate's score."""
        assert part.answer is not None
        request, generation = part.request, part.generation
        tags: dict[str, list[Tag]] = {}
        for facet, mapped in part.answer.tags.items():
            scores = {c.id: c.score for c in request.candidates.get(facet, [])}
            given = (generation.confidences or {}).get(facet, {})
            facet_tags = []
            for value, info in mapped:
                if value.id in given:
                    confidence = given[value.id]
                elif value.id in scores:
                    confidence = scores[value.id]
                else:
                    confidence = 0.5 * info.score
                facet_tags.append(self.tag(value.id, facet, confidence, source, info))
            tags[facet] = self.apply_threshold(facet, facet_tags, request.candidates.get(facet, []))
        return tags

    def tag(self, value_id: str, facet: str, confidence: float, source: str, info: MappingInfo | None) -> Tag:
        """The taxonomy value ``value_id`` as a tag of ``facet``, its confidence clamped to [0, 1]."""
        value = self.taxonomy.values[value_id]
        # unvalidated: the value is the taxonomy's and the confidence is clamped here (10,000 tags per 3,000 products)
        return Tag.model_construct(
            facet=facet,
            id=value.id,
            name=value.name,
            path=value.path,
            confidence=round(min(max(confidence, 0.0), 1.0), 6),
            source=source,
            mapping=info,
        )

    def apply_threshold(self, facet: str, tags: list[Tag], candidates: list[Candidate]) -> list[Tag]:
        """Drop tags under the threshold; in a hierarchy, back off to the deepest ancestor that is sure enough.

        An ancestor's confidence is the summed probability of the candidates inside its subtree (capped at 1):
        'some kind of shoe' can be certain when no single kind of shoe is.
        """
        hierarchical = self.taxonomy.facets[facet].hierarchical
        threshold = self.config.threshold
        # only the tags' ancestors are ever looked up: a backed-off tag's ancestors are among its own
        wanted = {a for tag in tags for a in self.taxonomy.lineage(tag.id)[:-1]} if hierarchical else set()
        masses = self.subtree_masses(candidates, wanted) if wanted else {}
        kept: list[Tag] = []
        for tag in tags:
            if tag.confidence >= threshold:
                kept.append(tag)
                continue
            if not hierarchical:
                continue
            for ancestor in reversed(self.taxonomy.ancestors(tag.id)):
                mass = masses.get(ancestor.id, 0.0)
                if mass >= threshold:
                    kept.append(self.tag(ancestor.id, facet, mass, "backoff", tag.mapping))
                    break
        if hierarchical and self.config.add_ancestors:
            seen = {t.id for t in kept}
            for tag in list(kept):
                for ancestor in self.taxonomy.ancestors(tag.id):
                    if ancestor.id not in seen:
                        seen.add(ancestor.id)
                        confidence = max(tag.confidence, masses.get(ancestor.id, 0.0))
                        kept.append(self.tag(ancestor.id, facet, confidence, "ancestor", None))
        return kept

    def subtree_masses(self, candidates: list[Candidate], wanted: set[str]) -> dict[str, float]:
        """Per ``wanted`` value: the summed probability of the candidates in its subtree, capped at 1."""
        masses = dict.fromkeys(wanted, 0.0)
        for c in candidates:
            for value in self.taxonomy.lineage(c.id):
                if value in masses:
                    masses[value] += c.score
        return {value: min(1.0, mass) for value, mass in masses.items()}


def unread_photos(product_id: str, uses: Sequence[ImageUse]) -> RecordError | None:
    """Why a product that lists photos was tagged from its text alone: none of the photos tried could be read (a
    missing file, a dead link, a broken image), so ``--resume`` tags it again; None when one was read, or when
    those not read were skipped by the settings' choice (remote URLs not allowed), which a retry would skip again."""
    failed = [use for use in uses if use.status == "error"]
    if not failed or any(use.status == "ok" for use in uses):
        return None
    why = "; ".join(use.error or use.source for use in failed)
    return RecordError(field="images", record_id=product_id, message=f"{NO_PHOTO_NOTE}{why}", is_retryable=True)


def unfetched_photos(uses: Sequence[ImageUse]) -> list[str] | None:
    """The photos not fetched by the settings' choice (remote URLs without ``allow_remote_images``) of a product none
    of whose photos was read, else None: ``--resume --allow-remote-images`` tags it again."""
    skipped = [use.source for use in uses if use.status == "skipped"]
    return skipped if skipped and not any(use.status == "ok" for use in uses) else None


def _merged(parsed: list[Any]) -> Any:
    if len(parsed) == 1:
        return parsed[0]
    if all(isinstance(p, dict) for p in parsed):
        return {k: v for p in parsed for k, v in p.items()}
    return parsed


def _total(counts: Iterable[int | None]) -> int | None:
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def ask_backend(requests: Sequence[GenerationRequest], backend: Backend) -> list[Generation]:
    """The backend's answers, one per request. A ``TagllmError`` fails every request (it says whether a retry can
    help). Any other failure of a batch (an exception tagllm did not foresee, or not one answer per request) is
    the backend's trouble with some product: each request is then asked alone, and only those it still fails
    on become error records, so that one product cannot stop a run, nor every run that resumes it."""
    try:
        generations = list(backend.generate(requests))
    except (ConfigError, MissingDependencyError):
        raise  # a setup mistake (an engine that cannot start): every product would fail alike, so the run stops
    except TagllmError as exc:
        error = RecordError(message=f"backend {backend.name}: {exc}", is_retryable=exc.is_retryable)
        return [Generation(error=error) for _ in requests]
    except Exception as exc:
        fault = f"backend {backend.name} raised {type(exc).__name__}: {exc}"
    else:
        malformed = next((why for g in generations if (why := _malformed(g)) is not None), None)
        if len(generations) == len(requests) and malformed is None:
            return generations
        answers = "answer" if len(generations) == 1 else "answers"
        asked = "request" if len(requests) == 1 else "requests"
        fault = f"backend {backend.name} returned {len(generations)} {answers} for {len(requests)} {asked}"
        if len(generations) == len(requests):
            fault = f"backend {backend.name} returned {malformed}"
    if len(requests) == 1:
        return [Generation(error=RecordError(message=fault))]
    return [answer for request in requests for answer in ask_backend([request], backend)]


# What each field of a Generation must hold: a backend of one's own that returns something else (None for a product
# it skipped, a dict, text None) crashed the whole batch, every product's result lost with it.
GENERATION_FIELDS: dict[str, Any] = {
    "text": str,
    "error": RecordError | None,
    "prompt_tokens": numbers.Integral | None,  # numpy's integers too
    "completion_tokens": numbers.Integral | None,
    "latency_ms": numbers.Real | None,
}


def _malformed(answer: Any) -> str | None:
    """What is wrong with a backend's answer, or None when it is a Generation of the right shape."""
    if not isinstance(answer, Generation):
        text = repr(answer)
        return f"{type(answer).__name__} {text if len(text) <= 60 else text[:59] + '…'}, not a Generation"
    for name, kind in GENERATION_FIELDS.items():
        value = getattr(answer, name)
        if not isinstance(value, kind):
            return f"a Generation whose {name} is {type(value).__name__} {value!r:.60}"
    confidences = answer.confidences
    if confidences is not None and not _is_confidences(confidences):
        shown = f"{type(confidences).__name__} {confidences!r:.60}"
        return f"a Generation whose confidences is {shown}, not facet -> value id -> a number from 0 to 1"
    return None


def _is_confidences(value: Any) -> bool:
    """Whether ``value`` is facet -> value id -> a finite number (clamped to [0, 1] later): one number per facet, or a
    confidence in words, failed the whole batch where its tags were built (TypeError)."""
    return isinstance(value, Mapping) and all(
        isinstance(per_value, Mapping)
        and all(
            isinstance(c, numbers.Real) and not isinstance(c, bool) and math.isfinite(c) for c in per_value.values()
        )
        for per_value in value.values()
    )
