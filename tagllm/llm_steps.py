"""The LLM path's requests: the category, then the facets that apply to it (two steps), or both in one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tagllm.backends.base import Backend, GenerationRequest
from tagllm.models import Candidate, ImageUse, LabelledProduct, Neighbour, Product, Rejection, Tag
from tagllm.schema import answer_schema
from tagllm.taxonomy import CATEGORY, Taxonomy

if TYPE_CHECKING:
    from tagllm.config import TaggerConfig
    from tagllm.prompts import Prompt
    from tagllm.results import Part

AttributeMode = Literal["auto", "two_step", "one_call"]
AUTO: AttributeMode = "auto"
TWO_STEP: AttributeMode = "two_step"
ONE_CALL: AttributeMode = "one_call"
ATTRIBUTE_PROMPT_PREFIX = "attributes-"


@dataclass
class ScoredProduct:
    """One product with what retrieval and the candidate scorer found for it: every facet's candidates, the
    neighbours, and the labelled examples a prompt shows."""

    product: Product
    candidates: dict[str, list[Candidate]]
    neighbours: list[Neighbour] = field(default_factory=list)
    examples: list[tuple[LabelledProduct, float]] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)  # the loaded photos an LLM that reads images is shown
    image_uses: list[ImageUse] = field(default_factory=list)  # each photo's fate, for the provenance


class LLMSteps:
    """Builds what an LLM backend answers when the category and other facets are tagged.

    - ``two_step`` (Shopify's production shape): step 1 asks for the category alone; step 2, once the whole batch
      has its categories, asks for the facets that apply to the chosen category, each with its candidates (an
      optional facet may be null, or an empty list when multi-valued).
    - ``one_call``: one request whose schema holds the category and the facets that apply to any of the top
      ``top_categories`` category candidates; ``drop_inapplicable`` then removes the values of a facet that does
      not apply to the category the model chose.
    - ``auto`` (the default): two_step when a facet tagged applies to some categories only (Shopify's attributes, a
      taxonomy with ``applies_to``), else one_call. Measured by ``benchmarks/llm_bench.py --attributes`` (figures in
      docs/llm.md): with scoped facets two_step asks fewer facets than the union one_call needs (Flipkart 4.7
      against 5.7 per product, OpenBG 4.5 against 8.9), so its answers, the tokens decoded one by one, are 12-42%
      shorter; with none scoped both ask the same facets and one call spares repeating the product and the
      examples (29-33% fewer prompt tokens on the demo taxonomy).

    Attribute facets without candidates are left out of the requests: there is nothing to choose. Without the
    category among the facets, or without any other facet, there is one request over all facets, as before.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        facets: list[str],
        prompt: Prompt,
        attribute_prompt: Prompt | None = None,
        *,
        mode: AttributeMode = AUTO,
        top_categories: int = 3,
    ) -> None:
        self.taxonomy = taxonomy
        self.facets = list(facets)
        self.prompt = prompt
        self.attribute_prompt = attribute_prompt or prompt
        self.top_categories = top_categories
        self.attributes = [f for f in self.facets if f != CATEGORY]
        self.has_attributes = CATEGORY in self.facets and bool(self.attributes)  # the category and other facets
        if mode == AUTO:
            scoped = any(taxonomy.categories_of(f) is not None for f in self.attributes)
            mode = TWO_STEP if scoped else ONE_CALL
        self.mode: AttributeMode = mode
        self._rehearsed = False

    @classmethod
    def from_config(cls, taxonomy: Taxonomy, facets: list[str], config: TaggerConfig) -> LLMSteps:
        from tagllm.prompts import load_prompt

        prompt = load_prompt(config.prompt, taxonomy)
        return cls(
            taxonomy,
            facets,
            prompt,
            load_attribute_prompt(prompt, config.attribute_prompt, taxonomy),
            mode=config.attribute_mode,
            top_categories=config.attribute_categories,
        )

    @property
    def is_two_step(self) -> bool:
        return self.has_attributes and self.mode == TWO_STEP

    def rehearse(self, scored: Sequence[ScoredProduct]) -> None:
        """Render the templates for the first product a tagger is given, before any product is answered or written
        (once): a template that cannot render (a misspelt variable) is a setup mistake. Found where it was first
        rendered, it stopped a routing run at the first batch with a product under the threshold, after the batches
        before it were written, and a two-step run only after the whole first batch's categories were generated.
        The attribute step is rendered for the top category candidate; when it has no facet to ask that product, with
        the first values of each attribute facet (it was not rendered at all, and a misspelt variable stopped the run
        at the first product with an attribute to ask, after its batch's categories were generated)."""
        if self._rehearsed or not scored:
            return
        item = scored[0]
        self.first(item)
        if self.is_two_step:
            categories = item.candidates.get(CATEGORY, [])
            top = categories[0].id if categories else None
            if self.second(item, top) is None:
                values = {facet: self.taxonomy.facet_values(facet)[:3] for facet in self.attributes}
                offered = {f: [Candidate(id=v.id, name=v.name, score=0.0) for v in vs] for f, vs in values.items()}
                self._request(item, {f: c for f, c in offered.items() if c}, self.attribute_prompt, category=top)
        self._rehearsed = True

    def check_context(self, backend: Backend) -> None:
        """A template whose fixed part (rendered for a one-letter title, without candidates or examples) leaves the
        model no room for its answer is a setup mistake, said before the first product: every product failed alone,
        each told to shorten its text or the template. Checked where the backend knows its model's context."""
        from tagllm.errors import ConfigError

        templates = [self.prompt]
        if self.is_two_step and self.attribute_prompt is not self.prompt:
            templates.append(self.attribute_prompt)
        tiny = Product(id="tagllm-check", title="x")
        for prompt in templates:
            try:
                messages = prompt.render(tiny, {}, [])
            except ConfigError:  # one that needs a product's candidates: rehearse renders it for the first product
                continue
            size = backend.prompt_size(messages)
            if size is None:
                return
            if size.refused:
                raise ConfigError(
                    f"the template {prompt.name!r} ({prompt.path}) is longer than the model's context of "
                    f"{size.context} tokens before any product's text (the server: {size.refused}), so every product "
                    f"would fail; shorten the template, or {size.longer}"
                )
            if not size.fits:
                raise ConfigError(
                    f"the template {prompt.name!r} ({prompt.path}) is {size.tokens} tokens before any product's text: "
                    f"with max_new_tokens={size.max_new_tokens}, more than the model's context of {size.context} "
                    f"tokens, so every product would fail; shorten the template, lower backend_options.max_new_tokens, "
                    f"or {size.longer}"
                )

    def first(self, item: ScoredProduct) -> GenerationRequest:
        """The first (in one_call mode the only) request for a product."""
        if not self.has_attributes:
            return self._request(item, item.candidates, self.prompt)
        categories = item.candidates.get(CATEGORY, [])
        offered = {CATEGORY: categories}
        if self.mode == ONE_CALL:
            offered |= self.attribute_candidates(item, [c.id for c in categories[: self.top_categories]])
        return self._request(item, offered, self.prompt)

    def second(self, item: ScoredProduct, category: str | None) -> GenerationRequest | None:
        """The attribute step for a product whose category is ``category`` (None: unknown, so only the facets that
        apply everywhere); None when no facet that applies has candidates."""
        offered = self.attribute_candidates(item, [category])
        if not offered:
            return None
        return self._request(item, offered, self.attribute_prompt, category=category)

    def second_requests(
        self, scored: Sequence[ScoredProduct], firsts: Sequence[Part]
    ) -> list[GenerationRequest | None]:
        """two_step: each product's attribute request for the category its first answer chose (None: the first
        step failed, or no facet that applies has candidates)."""
        return [
            self.second(item, part.chosen(CATEGORY)) if part.answer is not None else None
            for item, part in zip(scored, firsts, strict=True)
        ]

    def attribute_candidates(self, item: ScoredProduct, categories: list[str | None]) -> dict[str, list[Candidate]]:
        """The candidates of the attribute facets that apply to any of ``categories`` (to none: those that apply
        everywhere), each facet's values that apply there (Cotton is a material of T-shirts, Leather is not: see
        ``Taxonomy.value_scope``), for the facets left with candidates, in the order of the facets tagged."""
        scope = categories or [None]
        out: dict[str, list[Candidate]] = {}
        for facet in self.attributes:
            if not item.candidates.get(facet) or not any(self.taxonomy.applies(facet, c) for c in scope):
                continue
            offered = [v for v in item.candidates[facet] if any(self.taxonomy.value_applies(v.id, c) for c in scope)]
            if offered:
                out[facet] = offered
        return out

    def drop_inapplicable(
        self, tags: dict[str, list[Tag]], category: str | None
    ) -> tuple[dict[str, list[Tag]], list[Rejection]]:
        """Tags of the facets that apply to ``category``, and a rejection for every value of one that does not."""
        if not self.has_attributes:
            return tags, []
        kept: dict[str, list[Tag]] = {}
        dropped: list[Rejection] = []
        where = (
            f"category {self.taxonomy.values[category].name!r} ({category})"
            if category in self.taxonomy.values
            else "an unknown category"
        )
        for facet, facet_tags in tags.items():
            if facet == CATEGORY:
                kept[facet] = facet_tags
                continue
            if not self.taxonomy.applies(facet, category):
                reason = f"facet {facet!r} does not apply to {where}"
                dropped.extend(
                    Rejection(facet=facet, text=t.mapping.raw if t.mapping else t.name, reason=reason)
                    for t in facet_tags
                )
                continue
            fits: list[Tag] = []
            for t in facet_tags:  # a value that only a kind of the facet brings here must be one of that kind's
                if t.id not in self.taxonomy.values or self.taxonomy.value_applies(t.id, category):
                    fits.append(t)
                    continue
                reason = f"value {t.name!r} of facet {facet!r} does not apply to {where}"
                dropped.append(Rejection(facet=facet, text=t.mapping.raw if t.mapping else t.name, reason=reason))
            if fits:
                kept[facet] = fits
        return kept, dropped

    def _request(
        self,
        item: ScoredProduct,
        offered: dict[str, list[Candidate]],
        prompt: Prompt,
        *,
        category: str | None = None,
    ) -> GenerationRequest:
        from tagllm.errors import ConfigError

        try:
            messages = prompt.render(
                item.product, offered, item.examples, category=category, images=[i.source for i in item.images]
            )
        except ConfigError as exc:
            # a template can fail on some products only (a key their attributes lack): the run stops there, and
            # the user has to find the product it stopped on
            raise ConfigError(f"{exc} (rendering product {item.product.id!r})") from None
        return GenerationRequest(
            product=item.product,
            candidates=offered,
            neighbours=item.neighbours,
            images=item.images,
            image_uses=item.image_uses,
            messages=messages,
            schema=answer_schema(self.taxonomy, offered),
        )


def first_requests(scored: Sequence[ScoredProduct], steps: LLMSteps | None) -> list[GenerationRequest]:
    """What a backend gets first for each scored product: with ``steps`` (an LLM), ``steps.first``'s messages and
    schema; without (the retrieval default), the candidates and neighbours alone."""
    if steps is None:
        return [
            GenerationRequest(
                product=i.product, candidates=i.candidates, neighbours=i.neighbours, image_uses=i.image_uses
            )
            for i in scored
        ]
    return [steps.first(s) for s in scored]


def load_attribute_prompt(prompt: Prompt, name_or_path: str | None, taxonomy: Taxonomy) -> Prompt:
    """The template of the attribute step (see ``attribute_prompt_path``); the main one when there is none."""
    from tagllm.prompts import load_prompt

    path = attribute_prompt_path(prompt.path, name_or_path)
    return load_prompt(path, taxonomy) if path is not None else prompt


def attribute_prompt_path(prompt_path: Path, name_or_path: str | None) -> Path | None:
    """Where the attribute step's template is: ``name_or_path`` when given; else ``attributes-<file>`` beside the
    main template, or ``attributes-<name>`` in the prompt directories; None when there is none (the main template
    then renders both steps: it renders whatever facets it is given)."""
    from tagllm.errors import ConfigError
    from tagllm.prompts import resolve_prompt_path

    if name_or_path:
        return resolve_prompt_path(name_or_path)
    sibling = prompt_path.with_name(ATTRIBUTE_PROMPT_PREFIX + prompt_path.name)
    if sibling.is_file():
        return sibling
    try:
        return resolve_prompt_path(ATTRIBUTE_PROMPT_PREFIX + prompt_path.stem)
    except ConfigError:
        return None
