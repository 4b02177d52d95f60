"""Chinese attribute values that the facet's own labels lack but the taxonomy's other labels name: 圆形 is no label of
`shape` (whose Round Shopify's zh-CN names 圆头, a round toe), but it labels Round of `drinkware-shape`; 咖啡色 names
no colour, but 咖啡 labels Coffee, which the colour stage places on Brown.

Shopify's zh-CN files translate each value where it stands, so one English value written in many facets gets a
different Chinese word in some of them, and a word a listing writes is often the label of the same thing in another
facet. That value's English name is then read in the string's facet by the stages that read names (the table stages
and, in a colour facet, the colour stage: no guess), and taken when every name that lands lands on one value.
"""

from __future__ import annotations

import unicodedata

from tagllm.mapping.base import Batch, FlatStage
from tagllm.mapping.keys import label_key
from tagllm.mapping.tables import scope
from tagllm.mapping.zh_stems import stems
from tagllm.text import has_cjk

READERS = frozenset({"lexical", "lead", "modifier"})
"""The stages after the colour stage that read the English name too: WordNet's (Left-hand -> Left), a value's name
before a class word, and the modifier stage (Solid color -> Solid, Wall-mounted -> Wall, Light pink -> Pink). The
name is a value's, written by a translator, not a shopper's phrase: the fuzzy and embedding guesses are left out."""


class ZhElsewhereStage(FlatStage):
    """In a flat facet, a Chinese string (or its stem, ``zh_stems.stems``) that labels values of other facets: their
    English names read in this facet by the naming stages, taken when they agree on one value."""

    name = "zh_elsewhere"

    def run_flat(self, batch: Batch, facet: str) -> None:
        names: dict[str, list[str]] = {}
        for raw in batch.open():
            text = label_key(unicodedata.normalize("NFKC", batch.text(raw)))
            found = self.english_names(text, facet) if has_cjk(text) else []
            if found:
                names[raw] = found
        if not names:
            return
        stages = [*self.m.lookups, self.m.colour, *(s for s in self.m.stages if s.name in READERS)]
        read = self.m.lookup({n for found in names.values() for n in found}, facet, stages)
        for raw, found in names.items():
            landed = {read.done[n].mapped.value for n in found if n in read.done}
            ids = sorted(v.id for v in landed if v is not None)
            if len(ids) == 1:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[ids[0]], self.name)

    def english_names(self, key: str, facet: str) -> list[str]:
        """The English names of the values of other facets labelled ``key``, or else its first stem that labels any."""
        for stem in stems(key):
            ids = [v for v in scope(self.m.tables.labels.get(stem), None) if self.m.values[v].facet != facet]
            if ids:
                return sorted({self.m.values[v].name for v in ids})
        return []
