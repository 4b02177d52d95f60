"""The clause stage: an attribute value written with a clause after it ("V neckline with lace trim", "long sleeves
with thumbholes", "Organic cotton – GOTS certified", "machine wash at 40") read by the words before the clause.

Sellers write the value first and what qualifies it after a separator or a connective, as they write a title's
product noun first (``tagllm.mapping.titles``); the stages before this one read the string whole and reject what
follows the value. The words before the first separator or connective are looked up by the stages that read names
and modifiers; one value found is taken. A string that opens with its connective ("for the winter months") has no
such words and is left to the others.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tagllm.candidates.title_head import CONNECTIVES
from tagllm.mapping.base import Batch, FlatStage, Stage
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

CLAUSE_WORDS = CONNECTIVES | {"at", "in", "on", "except"}
"""Words that open a clause after a value ("with lace trim", "at 40", "in a gift box")."""
CLAUSE = re.compile(r"\s+[-–—|]\s+|[(\[（【]")
"""Where a clause starts: a dash or bar between words, a bracket. Not a comma or a slash: "cotton, polyester" and
"black/white" are lists of values, which ``map_answer`` reads apart."""


class ClauseStage(FlatStage):
    """In a flat facet, a string whose value comes before a separator or a connective: the words before it are looked
    up by ``stages`` (names, WordNet, modifiers) and one value found is accepted."""

    name = "clause"

    def __init__(self, mapper: Mapper, stages: list[Stage]) -> None:
        super().__init__(mapper)
        self.stages = stages

    def run_flat(self, batch: Batch, facet: str) -> None:
        leads: dict[str, str] = {}
        for raw in batch.fresh():
            text = batch.text(raw)
            lead = lead_words(text)
            if lead and not has_cjk(text):
                leads[raw] = lead
        self.m.take_rewritten(batch, leads, self.name, self.stages)


def lead_words(text: str) -> str | None:
    """The normalised words before the string's first separator or clause word, when there are some and something
    follows; None otherwise."""
    words = normalize(CLAUSE.split(text, maxsplit=1)[0]).split()
    for i, word in enumerate(words):
        if i and word in CLAUSE_WORDS:
            words = words[:i]
            break
    lead = " ".join(words)
    return lead if lead and lead != normalize(text) else None
