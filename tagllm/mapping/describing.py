"""Which facets describe a product (colours, materials, genders …) rather than say what it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.base import Outcome

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

DESCRIBING_FACETS = ("color", "colour", "material", "fabric", "gender", "age", "size", "pattern", "season", "style")
"""Facets whose values describe a product: their names, written before a category, are modifiers ("leather sofa")."""


def describes(mapper: Mapper, outcome: Outcome) -> bool:
    """Whether a string found in other facets names a value of a describing facet (a colour, a material, a style).

    Every value found counts, not only a single one: "pink" names values of many colour facets, "vintage" of style
    facets, and a category read into either by WordNet (the flower, the wine) is a guess against that evidence.
    """
    ids = outcome.others or ((outcome.elsewhere.id,) if outcome.elsewhere is not None else ())
    facets = {mapper.values[vid].facet for vid in ids if vid in mapper.values}
    return any(is_describing(mapper, facet) for facet in facets)


def is_describing(mapper: Mapper, facet: str) -> bool:
    spec = mapper.taxonomy.facets[facet]
    return any(d in f"{spec.name} {spec.title}".casefold() for d in DESCRIBING_FACETS)
