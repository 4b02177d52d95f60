"""Materials a text states beyond the value names: the adjective English makes of a material ("Wooden"), the
facet's imitation of a material ("vegan leather": Faux leather), and a material written as a segment of its own."""

from __future__ import annotations

import re

from tagllm.candidates.stated.segments import APART_SEGMENT, IMITATION_BEFORE
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.phrases import PhraseTable, Spans
from tagllm.text import normalize

# Words naming a facet of materials ("material", "fabric", "cookware-material"), where a material's adjective in -en
# ("wooden", "woollen") names it.
MATERIAL_WORDS = frozenset({"material", "materials", "fabric", "fabrics"})


def is_material_facet(facet: str) -> bool:
    """Whether the facet's name says it holds materials ("material", "fabric", also "cookware-material")."""
    return bool(MATERIAL_WORDS & set(re.split(r"[-_ ]", facet.lower())))


def imitations(values: list, position: dict[str, int]) -> dict[int, int]:
    """A value's position -> the position of the facet's value naming an imitation of it ("Leather" -> "Faux
    leather", "Fur" -> "Faux fur"), where the facet has one."""
    names = {normalize(v.name): position[v.id] for v in values}
    out = {}
    for name, pos in names.items():
        first, _, rest = name.partition(" ")
        if first in IMITATION_BEFORE and rest in names:
            out[names[rest]] = pos
    return out


def material_adjectives(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """The adjectives English makes of a one-word material's name with -en ("Wooden" for Wood, "Woollen" and
    "Woolen" for Wool, "Silken" for Silk), for the values the facet has no value of that name for."""
    names = {normalize(v.name) for v in values}
    out = []
    for v in values:
        name = normalize(v.name)
        if " " in name or not name.isalpha() or name[-1] in "aeiouy":
            continue
        for form in (name + "en", name + name[-1] + "en"):
            if form not in names:
                out.append((form, position[v.id]))
    return out


def written_apart(phrases: PhraseTable[int], text: str, shade_named: frozenset[int]) -> set[int]:
    """In a facet of materials, the values the text writes as a segment of their own, but for numbers and words
    that qualify a material ("Camping Tent, Waterproof, Polyester, Green", "Tee - 100% Cotton"): an attribute
    listed after the product, not a word of its name ("Glass Cleaner", "Wood Glue"). A material named by a colour
    (``shade_named``: "Stone", "Clay") written apart is as often the product's colour, so it is left out."""
    out: set[int] = set()
    for segment in APART_SEGMENT.split(text):
        words = [w for w in normalize(segment).split() if w not in MODIFIER_WORDS and not w.isdigit()]
        if not words:
            continue
        spans = Spans(phrases.spans(" ".join(words)))
        out |= {pos for start, end, pos in spans.all if start == 0 and end == len(words)}
    return out - shade_named
