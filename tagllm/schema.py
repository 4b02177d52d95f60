"""The answer JSON schema: one property per facet whose enum holds exactly this product's candidates."""

from __future__ import annotations

import json
from typing import Any

from tagllm.models import Candidate
from tagllm.taxonomy import Taxonomy

# Multi-valued facets rarely need more than a handful of values; a bound keeps the grammar finite, so even a
# random-weight model stops.
DEFAULT_MAX_ITEMS = 5


def candidate_label(taxonomy: Taxonomy, facet: str, candidate: Candidate) -> str:
    """The string a model picks for a candidate: the full path on a hierarchical facet, else the name.

    The mapper maps exact ids, names and paths, so either form comes back to the same id.
    """
    if taxonomy.facets[facet].hierarchical and candidate.id in taxonomy.values:
        return taxonomy.path_of(candidate.id)
    return candidate.name


def candidate_options(taxonomy: Taxonomy, facet: str, candidates: list[Candidate]) -> list[tuple[str, Candidate]]:
    """(enum string, candidate) pairs for one facet, in candidate order, one per value id.

    Two values with one label (e.g. "Other" under two parents of a flat facet) would make the answer
    ambiguous,
    so such candidates are offered by id, which the mapper also maps exactly.
    """
    first: dict[str, Candidate] = {}
    for c in candidates:
        first.setdefault(c.id, c)
    unique = list(first.values())
    labels = [candidate_label(taxonomy, facet, c) for c in unique]
    return [(c.id if labels.count(label) > 1 else label, c) for label, c in zip(labels, unique, strict=True)]


def candidate_labels(taxonomy: Taxonomy, facet: str, candidates: list[Candidate]) -> dict[str, str]:
    """Enum string -> value id for one facet, in candidate order (see ``candidate_options``)."""
    return {label: c.id for label, c in candidate_options(taxonomy, facet, candidates)}


def answer_schema(
    taxonomy: Taxonomy,
    candidates: dict[str, list[Candidate]],
    *,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> dict[str, Any]:
    """The JSON schema a backend constrains decoding with, one property per facet in ``candidates`` order.

    - single-valued facet: ``{"enum": [...]}``; an optional facet (``Facet.required`` false) also allows
      ``null``, the explicit "none of these";
    - multi-valued facet: an array of enum strings, at most ``max_items``, at least one when required (no
      ``uniqueItems``: xgrammar, vLLM's default engine, does not enforce it, and the mapper drops repeats);
    - a facet with no candidates allows only ``null`` (or ``[]``): there is nothing to choose from.

    Every facet is required and no other key is allowed, which is what OpenAI's strict mode and xgrammar both
    accept, and which keeps the answer's key order (and so the token stream) the same for every product.
    """
    properties: dict[str, Any] = {}
    for facet_name, facet_candidates in candidates.items():
        facet = taxonomy.facets.get(facet_name)
        if facet is None:
            from tagllm.errors import TaxonomyError

            raise TaxonomyError(
                f"candidates name facet {facet_name!r}, which taxonomy {taxonomy.name!r} does not have "
                f"(facets: {', '.join(taxonomy.facets)})"
            )
        enum: list[Any] = list(candidate_labels(taxonomy, facet_name, facet_candidates))
        if facet.multi_valued:
            prop: dict[str, Any] = {
                "type": "array",
                "items": {"type": "string", "enum": enum} if enum else {"type": "string"},
                "maxItems": min(max_items, len(enum)),
            }
            if facet.required and enum:
                prop["minItems"] = 1
        elif not enum:
            prop = {"type": "null"}
        elif facet.required:
            prop = {"type": "string", "enum": enum}
        else:
            prop = {"type": ["string", "null"], "enum": [*enum, None]}
        properties[facet_name] = prop
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def schema_key(schema: dict[str, Any]) -> str:
    """A canonical string for a schema: the cache key for compiled grammars."""
    return json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def validate_answer(schema: dict[str, Any], answer: Any) -> list[str]:
    """Problems with ``answer`` against a schema built by ``answer_schema`` (empty when it conforms).

    A small checker for exactly the shapes ``answer_schema`` emits, so the openai backend can tell a broken
    answer (worth a retry) from a good one without a jsonschema dependency.
    """
    if not isinstance(answer, dict):
        return [f"the answer is a {type(answer).__name__}, not a JSON object"]
    problems: list[str] = []
    properties: dict[str, Any] = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in answer:
            problems.append(f"facet {key!r} is missing")
    if schema.get("additionalProperties") is False:
        problems.extend(f"unexpected key {key!r}" for key in answer if key not in properties)
    for key, prop in properties.items():
        if key in answer:
            problems.extend(_check(prop, answer[key], key))
    return problems


def _check(prop: dict[str, Any], value: Any, where: str) -> list[str]:
    kind = prop.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {json.dumps(value, ensure_ascii=False)}"]
        problems = []
        if len(value) < prop.get("minItems", 0):
            problems.append(f"{where}: needs at least {prop['minItems']} value(s)")
        if "maxItems" in prop and len(value) > prop["maxItems"]:
            problems.append(f"{where}: at most {prop['maxItems']} value(s)")
        for i, item in enumerate(value):
            problems.extend(_check(prop.get("items", {}), item, f"{where}[{i}]"))
        return problems
    if kind == "null":
        return [] if value is None else [f"{where}: expected null, got {json.dumps(value, ensure_ascii=False)}"]
    if "enum" in prop and value not in prop["enum"]:
        return [f"{where}: {json.dumps(value, ensure_ascii=False)} is not one of the candidates"]
    return []
