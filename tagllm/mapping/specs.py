"""The spec stage: in a flat facet, a value named by the one word of a string whose other words state numbers ("1TB
HDD", "LTE Cat-M1", "toddler 2T-4T"): a capacity, a version or a size written beside the value's name says which
one the product has, not which value it is.

The word must name exactly one value by the table stages (names, synonyms, aliases: no guess), and every other word
must hold a digit; a string with two words and no digit is the lead and modifier stages'.
"""

from __future__ import annotations

import re

from tagllm.mapping.base import Batch, FlatStage
from tagllm.text import has_cjk

_WORDS = re.compile(r"\s+")


class SpecStage(FlatStage):
    """In a flat facet, a string of one word that names one value and words that state numbers."""

    name = "spec"

    def run_flat(self, batch: Batch, facet: str) -> None:
        named: dict[str, str] = {}
        for raw in batch.open():
            word = naming_word(batch.text(raw))
            if word is not None:
                named[raw] = word
        self.m.take_rewritten(batch, named, self.name)


def naming_word(text: str) -> str | None:
    """The one word without a digit of a string of two words or more whose other words all hold one; None else."""
    if has_cjk(text):
        return None
    words = [w for w in _WORDS.split(text.strip()) if w]
    plain = [w for w in words if not any(ch.isdigit() for ch in w)]
    if len(words) < 2 or len(plain) != 1:
        return None
    return plain[0]
