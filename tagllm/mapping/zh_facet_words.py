"""Chinese attribute cells that write the facet's own word after the value: 硅胶表带 (silicone + watch band) and
尼龙表带 (nylon + watch band) in the facet 手表/表带材质 (watch/band material).

An English cell says "silicone strap" or "colour: red" and the modifier stage drops the facet's word; a Chinese cell
runs the words together, so the facet's word is found as the longest tail of the cell that is a run of the facet's
own Chinese label. The rest is looked up by the table stages (a name, not a further guess). A facet word written
first is read by the head stage already (``chinese.py``: the value's label is the compound's head).
"""

from __future__ import annotations

import unicodedata

from tagllm.mapping.base import Batch, FlatStage
from tagllm.text import has_cjk

MIN_REST = 2
"""Characters left once the facet's word is dropped: one character names too little to be a value (皮, 钢)."""
MIN_WORD = 2
"""Characters of the facet's word: one character of its label is one that many words share (床 "bed" in 床上用品尺寸,
bedding size, is the head of 单人床, a single bed, not the facet's word)."""


class ZhFacetWordStage(FlatStage):
    """In a flat facet with a Chinese label, a Chinese cell whose tail is a run of that label: the rest is looked up
    by the table stages."""

    name = "zh_facet_word"

    def run_flat(self, batch: Batch, facet: str) -> None:
        labels = [label for lang, label in self.m.taxonomy.facets[facet].labels if has_cjk(label)]
        if not labels:
            return
        rests: dict[str, str] = {}
        for raw in batch.open():
            text = unicodedata.normalize("NFKC", batch.text(raw)).strip()
            rest = facet_word_dropped(text, labels) if has_cjk(text) else None
            if rest:
                rests[raw] = rest
        self.m.take_rewritten(batch, rests, self.name)


def facet_word_dropped(text: str, labels: list[str]) -> str | None:
    """``text`` without its longest tail that is a run of one of ``labels`` (``MIN_WORD`` characters or more, at
    least ``MIN_REST`` left), or None when it has none."""
    for size in range(len(text) - MIN_REST, MIN_WORD - 1, -1):
        tail = text[-size:]
        if has_cjk(tail) and any(tail in label for label in labels):
            return text[:-size].strip()
    return None
