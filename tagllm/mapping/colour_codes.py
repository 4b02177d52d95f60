"""A colour written with its code in a colour system ("RAL 9005 jet black", "Pantone 186 C red", "signal yellow RAL
1003"): the code names a colour of that system, not a value of the facet; the words beside it name the colour."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.mapping.base import Batch, Stage
from tagllm.text import normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

CODE = re.compile(r"\b(?:ral|pantone|pms)\s+(?:\d{2}-)?\d{3,4}(?:\s+(?:c|u|tcx|tpx|tpg)\b)?", re.IGNORECASE)
"""A colour system's code: RAL's four digits (RAL 9005), Pantone's number with its paper or textile suffix (Pantone
186 C, PMS 186, Pantone 19-1664 TCX)."""


class ColourCodeStage(Stage):
    """In a colour facet, a string holding a colour system's code: the words left when the code is cut are looked up
    by ``stages`` (names, the colour survey, WordNet, modifiers) and one value found is accepted."""

    name = "colour_code"

    def __init__(self, mapper: Mapper, stages: list[Stage]) -> None:
        self.m = mapper
        self.stages = stages

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        if not self.m.colour.shades(facet):
            return
        words: dict[str, str] = {}
        for raw in batch.open():
            text = batch.text(raw)
            rest = normalize(CODE.sub(" ", text))
            if rest != normalize(text) and any(ch.isalpha() for ch in rest):
                words[raw] = rest
        self.m.take_rewritten(batch, words, self.name, self.stages)
