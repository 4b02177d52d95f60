"""A bra size written whole, band and cup ("34DD", "32 E (UK)"), in a facet of cup letters: the cup is the letters."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.modifier_words import SIZE_SYSTEMS
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

BAND_CUP = re.compile(r"^(?P<band>\d{2})\s?(?P<cup>(?P<letter>[a-k])(?P=letter){0,2})$")
"""A band (an even number of inches, 28 to 56) and a cup (one letter, or the same letter twice or three times)."""
BANDS = range(28, 57, 2)
MIN_CUP_VALUES = 3
"""A facet is one of cup letters when at least this many of its values are a letter written twice or three times
(AA, DD, DDD): a size facet's letters are words' initials (XXL), never one letter repeated alone."""
_REPEATED = re.compile(r"^(?P<letter>[A-Z])(?P=letter){1,2}$")


class CupStage(Stage):
    """In a facet of cup letters, a band-and-cup size (its size system after it: "32DD UK") is its cup, looked up by
    the table stages."""

    name = "cup"

    def __init__(self, mapper: Mapper) -> None:
        self.m = mapper
        self._cups: dict[str, bool] = {}

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        if facet is None or not self.of_cups(facet):
            return
        cups: dict[str, str] = {}
        for raw in batch.open():
            cup = band_cup(batch.text(raw))
            if cup is not None:
                cups[raw] = cup
        self.m.take_rewritten(batch, cups, self.name)

    def of_cups(self, facet: str) -> bool:
        known = self._cups.get(facet)
        if known is None:
            flat = not self.m.taxonomy.facets[facet].hierarchical
            values = self.m.taxonomy.facet_values(facet)
            known = self._cups[facet] = flat and sum(bool(_REPEATED.match(v.name)) for v in values) >= MIN_CUP_VALUES
        return known


def band_cup(text: str) -> str | None:
    """The cup of a band-and-cup size ("34DD", "34 DD", "32E (UK)" -> "dd", "dd", "e"); None for anything else."""
    words = normalize(text).split()
    while words and words[-1] in SIZE_SYSTEMS:
        words.pop()
    found = BAND_CUP.match(" ".join(words))
    if found is None or int(found["band"]) not in BANDS:
        return None
    return found["cup"]
