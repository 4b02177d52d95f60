"""Which facets describe a product (colours, materials, genders …) rather than say what it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.base import Outcome

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

DESCRIBING_FACETS = ("color", "colour", "material", "fabric", "gender", "age", "size", "pattern", "season", "style")
"""Facets whose values describe a product: their names, written before a category, are modifiers ("leather sofa")."""


def describes(mapper: Mapper, outcome: Outcome) -> bool:
    """Whether a string found in another facet names a value of a describing facet (a colour, a material)."""
    value = outcome.elsewhere
    if value is None:
        return False
    spec = mapper.taxonomy.facets[value.facet]
    return any(d in f"{spec.name} {spec.title}".casefold() for d in DESCRIBING_FACETS)
