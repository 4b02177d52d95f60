"""The derived stage: a flat facet's one-word values by their root ("stripes", "stripy" -> Striped; "zip" -> Zipper)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, FlatStage
from tagllm.mapping.modifier_words import NEGATING
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

_SUFFIXES = ("ered", "ing", "ed", "er", "es", "s", "y")
"""Inflections and derivations that make an attribute word of a noun or verb ("checkered", "buttoned", "stripy")."""
_PARTICLES = frozenset({"up", "on", "off", "in"})
MIN_ROOT = 3
_ADJECTIVES = (("ular", "l"), ("ical", ""), ("al", ""), ("ic", ""))
"""Adjectives made of nouns, as a value's name is written ("Rectangular", "Hexagonal", "Conical", "Magnetic"), with
what the noun ends in instead ("rectangle" and "rectangular" both give "rectangl")."""
MIN_ADJECTIVE_ROOT = 5
"""A noun's root must be this long to meet an adjective value's: "hexagon" and "triangl" do; "anim" (anime, Animal)
and "cor" (core, Coral) do not."""


def root(word: str) -> str:
    """A comparison key that meets across derivations: one suffix off, a doubled last consonant and a final e dropped.

    "striped", "stripes", "stripy", "stripe" -> "strip"; "zipper", "zip" -> "zip"; "checkered", "checked" -> "check".
    Only ever compared with the roots of one flat facet's values, never shown.
    """
    for suffix in _SUFFIXES:
        if suffix == "s" and word.endswith("ss"):
            continue  # "gloss" is no plural: "glossy" and "gloss" both give "gloss"
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT:
            word = word[: -len(suffix)]
            break
    if len(word) > MIN_ROOT and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    if len(word) > MIN_ROOT and word.endswith("e"):
        word = word[:-1]
    return word


def noun_root(adjective: str) -> str | None:
    """The root of the noun an adjective is made of ("hexagonal" -> "hexagon", "triangular" -> "triangl"), or None."""
    for suffix, ending in _ADJECTIVES:
        if adjective.endswith(suffix):
            found = adjective[: -len(suffix)] + ending
            return found if len(found) >= MIN_ADJECTIVE_ROOT else None
    return None


class DerivedStage(FlatStage):
    """In a flat facet, a one-word string whose root is the root of exactly one value's word: a value named by one
    word ("Striped"), or by a word and a particle ("Lace-up", "Slip-on"), or by an adjective made of the string's noun
    ("hexagon" -> Hexagonal, "rectangle" -> Rectangular), or an imitation word made of a material's name, by the
    facet's "Faux …" value ("leatherette" -> Faux leather). A root that two values share decides
    nothing; hierarchical facets are left alone (their names are nouns, already folded to the singular)."""

    name = "derived"

    def __init__(self, mapper: Mapper) -> None:
        super().__init__(mapper)
        self._roots: dict[str, dict[str, list[str]]] = {}

    def run_flat(self, batch: Batch, facet: str) -> None:
        roots = self.roots(facet)
        for raw in batch.open():
            words = normalize(batch.text(raw)).split()
            if len(words) == 2 and words[1] in _PARTICLES:
                words = words[:1]  # "zip up", "lace up"
            if len(words) != 1 or not words[0].isalpha() or len(words[0]) < MIN_ROOT:
                continue
            faux = self._imitated(words[0], facet) if words[0] in NEGATING else None
            ids = [faux] if faux is not None else roots.get(root(words[0]), [])
            if len(ids) == 1:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[ids[0]], self.name)

    def _imitated(self, word: str, facet: str) -> str | None:
        """The facet's "Faux …" value whose material an imitation word is made of ("leatherette", "pleather": Faux
        leather), when exactly one; such a word is never the material itself."""
        found = []
        for value in self.m.taxonomy.facet_values(facet):
            name = normalize(value.name).split()
            if len(name) == 2 and name[0] == "faux" and name[1] in word:
                found.append(value.id)
        return found[0] if len(found) == 1 else None

    def roots(self, facet: str) -> dict[str, list[str]]:
        found = self._roots.get(facet)
        if found is None:
            found = {}
            for value in self.m.taxonomy.facet_values(facet):
                words = normalize(value.name).split()
                if len(words) == 2 and words[1] in _PARTICLES:
                    words = words[:1]
                if len(words) == 1 and words[0].isalpha() and len(words[0]) > MIN_ROOT:
                    noun = noun_root(words[0])
                    for key in dict.fromkeys([root(words[0]), *([noun] if noun else [])]):
                        ids = found.setdefault(key, [])
                        if value.id not in ids:
                            ids.append(value.id)
            self._roots[facet] = found
        return found
