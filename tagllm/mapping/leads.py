"""The lead stage: in a flat facet, a value named by a string's first words and followed by a word that says what kind
of thing it is ("wifi enabled", "hdmi port", "glossy finish", "PP plastic", "vanilla bean"), not which value.

English puts the word that names the value first and a class word after it; the modifier stage reads the last word as
the head, which fails when that word names nothing. Here the leading words must name exactly one value by the table
stages (names, aliases, derived forms: no guess), the last word must name no value of the facet, be a word WordNet
knows (not a typo or a code), and not say that the thing only looks like the value ("leather look", "nickel free").
The last word may name a value of its own when the leading words are a code written in capitals: a code names the
narrower thing and the word its class ("PP plastic" is Polypropylene (PP), a plastic; "TPU plastic", "MDF wood").
"""

from __future__ import annotations

from tagllm.mapping.base import Batch, FlatStage
from tagllm.mapping.lexical import LIST, LexicalStage
from tagllm.mapping.modifier_words import LOOKALIKE, NEGATING
from tagllm.text import has_cjk, normalize

MAX_WORDS = 3
"""One or two leading words and the class word after them."""
UNLIKE = LOOKALIKE | frozenset({"free", "less", "not", "no", "non", "without"})
"""Words after a value's name that say the thing is not that value: "leather look", "wood effect", "nickel free"."""


class LeadStage(FlatStage):
    """In a flat facet, a string whose leading words name one value and whose last word names none."""

    name = "lead"

    def run_flat(self, batch: Batch, facet: str) -> None:
        lexical = self.m.lexical
        if not isinstance(lexical, LexicalStage):
            return
        wordnet = lexical.wordnet
        if wordnet is None:
            return
        plans: dict[str, tuple[str, str]] = {}
        coded: set[str] = set()  # strings whose leading words are written as a code, in capitals ("PP plastic")
        for raw in batch.fresh():
            text = batch.text(raw)
            if has_cjk(text) or LIST.search(text):
                continue
            words = normalize(text.replace("-", " ")).split()
            if not 2 <= len(words) <= MAX_WORDS or not words[-1].isalpha():
                continue
            last = words[-1]
            if last in NEGATING or last in UNLIKE or set(words) & (NEGATING | UNLIKE) or not wordnet.known(last):
                continue
            plans[raw] = (" ".join(words[:-1]), last)
            if is_coded(text, len(words)):
                coded.add(raw)
        if not plans:
            return
        looked = self.m.lookup({p for plan in plans.values() for p in plan}, facet)
        for raw, (lead, last) in plans.items():
            named, tail = looked.done.get(lead), looked.done.get(last)
            named_tail = tail is not None and (tail.mapped.value is not None or tail.candidates)
            if raw not in coded and (named_tail or lexical.land(last, facet)):
                continue  # "navy blue": the last word names a value: the modifier stage's head
            if named is not None and named.mapped.value is not None and not named.candidates:
                batch.done[raw] = self.m.accept(raw, facet, named.mapped.value, self.name)


def is_coded(text: str, count: int) -> bool:
    """Whether a string of ``count`` words (as normalised) is a code in capitals and a word after it, written apart
    ("PP plastic", "TPE rubber"): not "S/M" or "L/XL", sizes written in one, nor a string of capitals only."""
    written = text.replace("-", " ").split()
    return len(written) == count and all(w.isupper() for w in written[:-1]) and not written[-1].isupper()
