"""Routing: the no-LLM default tags every product, and only the products it is unsure of go to the LLM backend."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from tagllm.config import threshold_from_text
from tagllm.errors import ConfigError
from tagllm.models import RecordError, Routing, Tag, TagResult
from tagllm.taxonomy import CATEGORY

if TYPE_CHECKING:
    from tagllm.backends.base import Backend
    from tagllm.llm_steps import ScoredProduct
    from tagllm.taxonomy import Taxonomy

DEFAULT = "default"
LLM = "llm"
FLAG = "--route-threshold"
UNMAPPED = "the LLM's answer mapped to no value of the taxonomy"
STEP_FAILED = "the LLM's step asking for this facet failed (see facet_errors)"


def facet_confidence(result: TagResult, facet: str) -> float:
    """How sure the default is of its answer for ``facet``, in [0, 1], read from its result.

    The default's decision is the value ids it answered (``provenance.parsed_output``), made from the candidates
    the result's provenance holds: when it chose values, the lowest score among them (a candidate's score is the
    stacker's probability that it is right); when it chose none (an optional facet where no candidate is more
    likely right than wrong), one minus the best candidate's score, the chance that leaving it empty is right;
    with no candidate there is nothing an LLM could choose either, so 1. Thresholds (``threshold``, back-off)
    play no part: routing looks at the choice before them. A result without provenance (a file written with
    --no-provenance) is read from its tags: the lowest confidence among them, or 0 when it has none, since
    nothing says whether there was anything to choose."""
    prov = result.provenance
    if prov is not None and isinstance(prov.parsed_output, dict):
        answer = prov.parsed_output.get(facet)
        chosen = [str(v) for v in answer] if isinstance(answer, list) else [] if answer is None else [str(answer)]
        scores = {c.id: c.score for c in prov.candidates.get(facet, [])}
        if chosen:
            return _unit(min(scores.get(value, 0.0) for value in chosen))
        return _unit(1.0 - max(scores.values())) if scores else 1.0
    tags = [t.confidence for t in result.tags.get(facet, []) if t.source != "ancestor"]
    return min(tags) if tags else 0.0


def _unit(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 6)


def facet_thresholds(route_threshold: float | Mapping[str, float], facets: Sequence[str]) -> dict[str, float]:
    """Each tagged facet's threshold: one number for every facet, or a map (facets it leaves out are not routed
    on); a facet in the map that is not tagged, or an empty map, is a setup mistake."""
    if not isinstance(route_threshold, Mapping):
        return {facet: float(route_threshold) for facet in facets}
    if not route_threshold:
        raise ConfigError(
            "route_threshold is an empty map, which routes no product to the LLM backend: give one number for every "
            "facet (0.9) or a number per facet ({category: 0.9}), or remove it to send every product to the backend"
        )
    unknown = [facet for facet in route_threshold if facet not in facets]
    if unknown:
        raise ConfigError(
            f"route_threshold names facet {unknown[0]!r}, which is not tagged; the facets tagged: {', '.join(facets)}"
        )
    return {facet: float(route_threshold[facet]) for facet in facets if facet in route_threshold}


def check_facets(
    route_threshold: float | Mapping[str, float], taxonomy: Taxonomy, facets: Sequence[str] | None
) -> None:
    """Before the example index is built or loaded (minutes): a map that names a facet the taxonomy does not have, or
    one the facets given leave out (``facets``; None: the index decides which are tagged), or an empty map, stops the
    run now; ``Router`` checks the map again against the facets tagged."""
    if not isinstance(route_threshold, Mapping):
        return
    unknown = [facet for facet in route_threshold if facet not in taxonomy.facets]
    if unknown:
        raise ConfigError(
            f"route_threshold names facet {unknown[0]!r}, which the taxonomy does not have; its facets: "
            + ", ".join(taxonomy.facets)
        )
    facet_thresholds(route_threshold, facets or list(taxonomy.facets))


def parse_threshold(text: str) -> float | dict[str, float]:
    """The ``--route-threshold`` flag: one number (``0.7``) or facet=number pairs (``category=0.7,color=0.5``);
    the range is checked with the other settings, naming the flag."""
    try:
        return threshold_from_text(text)
    except ValueError as exc:
        raise ConfigError(f"{FLAG} {text!r}: {exc}") from None


def check_backend(backend: Backend) -> None:
    """Routing sends products to an LLM: with the no-LLM backend it would send them to itself."""
    if not backend.needs_prompt:
        raise ConfigError(
            f"route_threshold sends the products the no-LLM default is unsure of to an LLM backend, but the backend "
            f"is {backend.name!r}; choose one with --backend transformers, vllm or openai"
        )


class Router:
    """Tags a batch by the default, sends the products under a threshold to the LLM path, and merges the two.

    A routed product whose LLM answer failed, or mapped to no value of the taxonomy, keeps the default's tags
    (``source`` "default") with the failure in ``routing.error``: nothing is lost, and the failure stays visible.
    An answer that mapped in some facets but to nothing in others, or a partial one (two_step: the category answered,
    the attribute step failed, ``facet_errors``), keeps the default's tags of those others (why in
    ``routing.kept_default``), as far as they apply to the category the result ends with: the LLM's. A partial one
    keeps its ``facet_errors``, so that ``--resume`` asks the LLM again. Only a product that both paths failed on is
    an error record."""

    def __init__(self, taxonomy: Taxonomy, facets: Sequence[str], route_threshold: float | Mapping[str, float]):
        from tagllm.backends.retrieval import RetrievalBackend

        self.taxonomy = taxonomy
        self.scoped = CATEGORY in facets  # the category is tagged: the other facets' tags must apply to it
        self.thresholds = facet_thresholds(route_threshold, facets)
        self.default: Backend = RetrievalBackend(taxonomy)

    def decide(self, result: TagResult) -> Routing:
        """The default's confidence per thresholded facet and those under their threshold (all, if it failed)."""
        if result.status != "ok":
            return Routing(below=list(self.thresholds))
        confidence = {facet: facet_confidence(result, facet) for facet in self.thresholds}
        below = [facet for facet, threshold in self.thresholds.items() if confidence[facet] < threshold]
        return Routing(confidence=confidence, below=below)

    def route(
        self,
        scored: list[ScoredProduct],
        default: Callable[[list[ScoredProduct]], list[TagResult]],
        llm: Callable[[list[ScoredProduct]], list[TagResult]],
    ) -> list[TagResult]:
        """One batch: ``default`` tags every product, ``llm`` (one batch call) the routed ones, with the same
        scored candidates."""
        defaults = default(scored)
        routes = [self.decide(result) for result in defaults]
        routed = [i for i, route in enumerate(routes) if route.below]
        answered = dict(zip(routed, llm([scored[i] for i in routed]) if routed else [], strict=True))
        return [self.merge(result, routes[i], answered.get(i)) for i, result in enumerate(defaults)]

    def merge(self, default: TagResult, route: Routing, llm: TagResult | None) -> TagResult:
        if llm is None:
            return default.model_copy(update={"source": DEFAULT, "routing": route})
        error = llm.error
        if llm.status == "ok" and not llm.tags and llm.rejected and default.tags:
            # An answer none of whose values is in the taxonomy tags nothing: no better than a failed one.
            named = "; ".join(f"{r.facet}: {r.text!r} ({r.reason})" for r in llm.rejected[:3])
            error = RecordError(message=f"{UNMAPPED}: {named}")
        elif llm.status == "ok":
            return self._keep_unmapped_facets(default, route, llm)
        if default.status == "ok":
            failed = route.model_copy(update={"error": error})
            return default.model_copy(update={"source": DEFAULT, "routing": failed})
        return llm.model_copy(update={"routing": route})

    def _keep_unmapped_facets(self, default: TagResult, route: Routing, llm: TagResult) -> TagResult:
        """The LLM's answer, except in the facets where it mapped to nothing (only rejected values, not a null the
        schema allows) and the default had tags: there the default's tags stay, the reason in ``kept_default``, as
        far as they apply to the category the result ends with (the LLM's may be one the default's facet, or value,
        does not apply to: a material kept for a product the LLM placed among fragrances)."""
        failed = llm.facet_errors or {}
        unmapped = [
            facet
            for facet in default.tags
            if default.tags[facet]
            and not llm.tags.get(facet)
            and (facet in failed or any(r.facet == facet for r in llm.rejected))
        ]
        if not unmapped or default.status != "ok":
            return llm.model_copy(update={"source": LLM, "routing": route})
        kept_tags = {facet: default.tags[facet] for facet in unmapped}
        category = _category({**llm.tags, **kept_tags})
        kept_tags = {
            facet: fits for facet, tags in kept_tags.items() if (fits := self._applying(facet, tags, category))
        }
        if not kept_tags:
            return llm.model_copy(update={"source": LLM, "routing": route})
        kept = {}
        for facet in kept_tags:
            if facet in failed:  # the step asking for it failed: the why is the result's facet_errors
                kept[facet] = STEP_FAILED
                continue
            named = "; ".join(f"{r.text!r} ({r.reason})" for r in llm.rejected if r.facet == facet)
            kept[facet] = f"{UNMAPPED}: {named}"
        tags = {**llm.tags, **kept_tags}
        routing = route.model_copy(update={"kept_default": kept})
        return llm.model_copy(update={"source": LLM, "tags": tags, "routing": routing})

    def _applying(self, facet: str, tags: list[Tag], category: str | None) -> list[Tag]:
        """The tags of ``facet`` that apply to ``category`` (all of them when the category is not tagged)."""
        if not self.scoped or facet == CATEGORY:
            return tags
        if not self.taxonomy.applies(facet, category):
            return []
        values = self.taxonomy.values
        return [t for t in tags if t.id not in values or self.taxonomy.value_applies(t.id, category)]


def _category(tags: dict[str, list[Tag]]) -> str | None:
    """The category a result's tags place the product in (its ancestors added after it), or None."""
    return next((t.id for t in tags.get(CATEGORY, []) if t.source != "ancestor"), None)
