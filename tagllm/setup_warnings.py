"""What a tagger just set up will leave out or leave unused, said before its first product."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.backends.retrieval import RetrievalBackend

if TYPE_CHECKING:
    from tagllm.retrieval.index import ExampleIndex
    from tagllm.tagger import Tagger


def setup_warnings(tagger: Tagger) -> list[str]:
    """Examples and their photos the index was built without, facets the no-LLM default abstains on, an attribute
    template never rendered: in that order, as ``tagllm generate`` says them."""
    examples = tagger.config.examples
    said = [f"example skipped: {err.message}" for err in tagger.skipped_examples[:5]]
    if tagger.skipped_examples:
        said.append(f"{examples}: {len(tagger.skipped_examples)} record(s) skipped building the example index")
    if tagger.index is not None and tagger.index.image_problems:
        said += example_photo_warnings(tagger.index, examples)
    said += abstaining_warnings(tagger)
    said += attribute_prompt_warnings(tagger)
    return said


def example_photo_warnings(index: ExampleIndex, examples: str | None) -> list[str]:
    """The examples' photos the index just built from them could not use, as ``tagllm index build`` names them: the
    index holds those examples without them, and the runs after load it as it is."""
    problems = index.image_problems
    return [f"example photo not used: {message}" for message in problems[:5]] + [
        f"{examples}: {len(problems)} photo(s) of the examples could not be used building the example index, which "
        "holds those examples without them; fix them (relative paths start at --image-root, by default beside the "
        f"examples file) and build the index again: tagllm index build {examples} --index {index.path}"
    ]


def attribute_prompt_warnings(tagger: Tagger) -> list[str]:
    """An attribute template named for a run that asks in one request: it was loaded, never rendered, and the
    results named the main template alone, without a word."""
    steps, named = tagger.steps, tagger.config.attribute_prompt
    if steps is None or not named or steps.is_two_step:
        return []
    if not steps.has_attributes:
        why = f"the facets tagged ({', '.join(steps.facets)}) are asked in one request"
    else:
        why = f"this run asks the category and the attributes in one call (attribute_mode: {steps.mode})"
    return [
        f"attribute_prompt {named}: {why}, so the attribute template is unused; set attribute_mode: two_step to use it"
    ]


def abstaining_warnings(tagger: Tagger) -> list[str]:
    """The facets the no-LLM default will leave empty on every product, and why, before the first one."""
    if not isinstance(tagger.backend, RetrievalBackend):
        return []
    abstaining = set(tagger.backend.abstaining())
    silent = [facet for facet in tagger.facets if facet in abstaining]
    if not silent:
        return []
    return [
        f"{', '.join(silent)}: no confidence reached precision {tagger.config.keep_precision} on the index's own "
        "examples (out of fold), so no value will be kept; each product's candidates are in the JSONL provenance, "
        "and an LLM backend (--backend, or --route-threshold) still chooses among them. More labelled examples of "
        f"{'this facet' if len(silent) == 1 else 'these facets'}, or a lower --keep-precision, may change that."
    ]
