"""The swap stage: a category compound with one word in another English ("serviette rings", "nappy bag") read with that
word replaced by its WordNet synonyms ("napkin rings", "diaper bag"), each rewrite looked up by name.

A synonym of one word is a guess about the whole: a rewrite must name a value outright (the table stages, no further
guess), the rewrites must name one value, and the whole string must pass the head's bar (sentence embeddings at least
``HEAD_AGREEMENT`` similar to the value, no other value more than ``HEAD_TRAIL`` nearer). Only a word's most frequent
senses are read: the rare ones name other things ("dummy" is a blank only in its fourth sense).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.agreement import HEAD_AGREEMENT, HEAD_TRAIL, agreements
from tagllm.mapping.base import Batch, Stage, TreeStage
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper
    from tagllm.mapping.wordnet import WordNet

SENSES = 2
"""How many of a word's noun senses, most frequent first, give synonyms."""
MIN_WORDS, MAX_WORDS = 2, 4
"""A compound of two to four words: one word alone is the lexical stage's, a longer string a description."""
PAIR = 2
"""Two words WordNet names as one noun ("nail varnish") are swapped whole for another of its names."""


class SwapStage(TreeStage):
    """In a category facet, a compound read with one word swapped for a WordNet synonym; one value named by the
    rewrites, that the whole string's embedding does not disown, is accepted."""

    name = "swap"

    def __init__(self, mapper: Mapper, lexical: Stage) -> None:
        self.m = mapper
        self.lexical = lexical  # whose WordNet is read on first need

    def run_tree(self, batch: Batch, facet: str) -> None:
        if not batch.open():
            return
        wordnet: WordNet | None = getattr(self.lexical, "wordnet", None)
        if wordnet is None:
            return
        plans = {raw: found for raw in batch.open() if (found := rewrites(wordnet, batch.text(raw)))}
        if not plans:
            return
        looked = self.m.lookup({r for found in plans.values() for r in found}, facet)
        named: dict[str, str] = {}
        for raw, found in plans.items():
            outcomes = [o for r in found if (o := looked.done.get(r)) is not None]
            ids = {o.mapped.value.id for o in outcomes if o.mapped.value is not None}
            if len(ids) == 1 and not any(o.candidates and o.mapped.value is None for o in outcomes):
                named[raw] = ids.pop()
        queries = [(batch.text(raw), vid) for raw, vid in named.items()]
        for (raw, vid), agreed in zip(
            named.items(), agreements(self.m, queries, facet, HEAD_AGREEMENT, HEAD_TRAIL), strict=True
        ):
            if agreed is not None:
                batch.done[raw] = self.m.accept(raw, facet, self.m.values[vid], self.name, round(agreed, 4))


def rewrites(wordnet: WordNet, text: str) -> list[str]:
    """The string with one word replaced by a one-word synonym from its most frequent noun senses, or two words that
    WordNet knows as one noun replaced by another name of it ("nail varnish remover" -> "nail polish remover")."""
    if has_cjk(text):
        return []
    words = normalize(text).split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return []
    out: list[str] = []
    for i, word in enumerate(words):
        for sense in wordnet.noun_synsets(word)[:SENSES]:
            for lemma in wordnet.synset(sense).lemmas:
                other = normalize(lemma)
                if other and " " not in other and other != word:
                    out.append(" ".join([*words[:i], other, *words[i + 1 :]]))
    if len(words) > PAIR:  # a pair that is the whole string is the lexical stage's
        for i in range(len(words) - PAIR + 1):
            pair = " ".join(words[i : i + PAIR])
            for sense in wordnet.noun_synsets(pair)[:SENSES]:
                for lemma in wordnet.synset(sense).lemmas:
                    other = normalize(lemma)
                    if other and other != pair:
                        out.append(" ".join([*words[:i], other, *words[i + PAIR :]]))
    return list(dict.fromkeys(out))
