"""The clip stage: a flat facet's value written by the start of its name ("mono" for Monocrystalline silicon, "alu" for
Aluminum, "dye-sub" for Dye sublimation, "skinny" for Skinny leg), read from the facet's value names.

Sellers clip long words from the end and leave a name's last words off; what they write keeps the name's start. So a
string whose words begin, in order, the first words of exactly one value's name is read as that value, when it clips
a word or leaves words off. The rule is a guess, kept narrow: a flat facet only (a category's names are read by their
words), each clipped word at least ``MIN_CLIP`` letters and at least ``MIN_LEFT`` letters short of its word (so one
letter dropped is a typo, the fuzzy stage's), letters only, and one value of the facet so begun; several leave the
string open ("poly" in a material facet begins Polyester and Polyurethane).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, FlatStage
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MIN_CLIP = 3
"""A clip of fewer letters is an initial or a code ("po" is no Polycrystalline), not a shortened word."""
MIN_LEFT = 2
"""How many letters a clip must leave off its word: one left off reads as a typo or another word ("Pin" / "Pink")."""
_WORDS = re.compile(r"[ \-/]+")


class ClipStage(FlatStage):
    """In a flat facet, a string whose words begin the first words of one value's name, clipping a word or leaving
    words off, is read as that value."""

    name = "clip"

    def __init__(self, mapper: Mapper) -> None:
        super().__init__(mapper)
        self._names: dict[str, list[tuple[str, list[str]]]] = {}

    def run_flat(self, batch: Batch, facet: str) -> None:
        names = self.names(facet)
        for raw in batch.open():
            text = batch.text(raw)
            if has_cjk(text):
                continue
            words = split(text)
            if not words or not all(w.isalpha() for w in words):
                continue
            ids = [vid for vid, name in names if begins(words, name)]
            if len(ids) == 1:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[ids[0]], self.name)

    def names(self, facet: str) -> list[tuple[str, list[str]]]:
        """The facet's values with their names' words (built on first use per facet)."""
        found = self._names.get(facet)
        if found is None:
            found = self._names[facet] = [(v.id, split(v.name)) for v in self.m.taxonomy.facet_values(facet)]
        return found


def split(text: str) -> list[str]:
    return [w for w in _WORDS.split(normalize(text)) if w]


def begins(words: list[str], name: list[str]) -> bool:
    """Whether ``words`` begin the first words of ``name`` in order, each a whole word or a clip of it, and clip one
    or leave words off ("dye sub" / "dye sublimation"; "mono" / "monocrystalline silicon"; "skinny" / "skinny leg");
    the whole name is the table stages'."""
    if len(words) > len(name):
        return False
    clipped = False
    for word, full in zip(words, name, strict=False):
        if word == full:
            continue
        if len(word) < MIN_CLIP or len(full) - len(word) < MIN_LEFT or not full.startswith(word):
            return False
        clipped = True
    return clipped or len(words) < len(name)
