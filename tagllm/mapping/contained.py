"""The contained stage: in a flat facet, a short phrase in which exactly one value of the facet is named by a run of its
words, whatever the words around it ("clumping clay", "extra wide fitting", "for left-handed batsmen").

Sellers wrap an attribute's value in words that say where it applies or how ("soft suede uppers", "rope-twist chain");
the modifier stage takes only the head and the lead stage only the first words, and each needs its other words to be
ones it can explain. Here any run of up to ``MAX_SPAN`` words may name the value through the table stages (names,
aliases, derived forms: no guess), and the string is taken when every run that names something names that one value
and no word around it may name another: none is a word of another value's name ("Xbox Series X" where Xbox Series XS
is a value), none lands on another value through WordNet ("tartan check" is Plaid, not Checkered), none joins a second
thing to it ("his and hers"), denies it or hedges it ("no gluten", "large-ish", "runs small"), nor shortens a word of
a longer value's name that holds the one named ("med-heavy" where Medium-heavy is a value beside Heavy, "cal king"
beside California king). When the embedder ran,
the value must also be among its ``NEAREST`` values for the whole string. It runs after the embedding stage: only
strings no other stage placed reach it. A colour facet is left to the colour stages, which tell a colour word before a
thing ("orange juice") from a colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagllm.mapping.agreement import STOP, content_stems, content_words
from tagllm.mapping.base import Batch, FlatStage
from tagllm.mapping.keys import stem
from tagllm.mapping.leads import UNLIKE
from tagllm.mapping.lexical import LIST, LexicalStage
from tagllm.mapping.modifier_words import NEGATING
from tagllm.text import has_cjk, normalize

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

MAX_WORDS = 6
"""A phrase of an attribute's value, not a sentence about the product."""
MAX_SPAN = 3
"""The longest run of words read as a value's name ("four wheel spinner")."""
NEAREST = 3
"""How far down the embedder's ranking of the facet's values the named value may be."""
DENYING = NEGATING | UNLIKE | frozenset({"never", "nor", "anti", "except", "excluding", "instead", "included"})
"""Words that deny the value named beside them: "not included", "anti slip", "no added perfume"."""
HEDGING = frozenset({"ish", "runs", "than", "required", "recommended"})
"""Words that say the thing is only near the value, or that the value is what it needs, not what it is: "large-ish",
"runs small" (a fit note), "smaller than", "adult supervision required"."""
TELLING = frozenset(
    {"order", "check", "refer", "see", "ask", "contact", "confirm", "choose", "select", "please", "email"}
)
"""Words that tell the reader what to do: the string is a note to a buyer ("order one size up", "see size chart"), and
a value named in it is no value of the product."""
JOINING = frozenset({"and", "or", "plus", "vs", "versus"})
"""Words that join a second thing to the value named ("his and hers", "hands and a digital readout")."""
CATCH_ALL = frozenset({"other", "others", "none", "unknown"})
"""Values that name no value in particular: a string only says "other" in passing ("other options available")."""


class ContainedStage(FlatStage):
    """In a flat facet, a phrase whose runs of words name exactly one value of the facet and whose other words may
    name no other."""

    name = "contained"

    def __init__(self, mapper: Mapper) -> None:
        super().__init__(mapper)
        self._words: dict[str, dict[str, set[str]]] = {}
        """Per facet, each word of a value's name (as ``keys.stem`` reads it) -> the values whose names hold it."""
        self._qualifiers: dict[str, dict[str, set[str]]] = {}
        """Per facet, a value -> the words longer names holding its name put beside it ("Heavy" -> {"medium"})."""

    def run_flat(self, batch: Batch, facet: str) -> None:
        if self.m.colour.shades(facet):
            return  # a colour facet's phrases are the colour stages': "orange juice" names a thing, not a colour
        plans = {raw: plan for raw in batch.fresh() if (plan := self._runs(batch.text(raw)))}
        if not plans:
            return
        looked = self.m.lookup({run for _, runs in plans.values() for _, _, run in runs}, facet)
        for raw, (words, runs) in plans.items():
            named = self._named(runs, looked)
            if named is None:
                continue
            found, rest = named[0], [w for i, w in enumerate(words) if i not in named[1]]
            if normalize(self.m.values[found].name) in CATCH_ALL or self._rest_names(rest, found, facet):
                continue
            nearest = batch.candidates.get(raw)
            if nearest is not None and found not in nearest[:NEAREST]:
                continue
            batch.done[raw] = self.m.accept(raw, facet, self.m.values[found], self.name)

    def _rest_names(self, rest: list[str], found: str, facet: str) -> bool:
        """Whether a word outside the runs naming ``found`` may say something else: it joins a second thing, denies,
        hedges or tells, is a word of another value's name, or lands on another value through WordNet. Other words,
        known or not, say whose, which or how ("YKK zip", "Bramley apple", "pre-seasoned cast iron")."""
        if set(rest) & (JOINING | DENYING | HEDGING | TELLING):
            return True
        qualifiers = self._facet_qualifiers(facet).get(found, set())
        if any(len(w) < len(q) and q.startswith(w) for w in rest if len(w) > 1 for q in qualifiers):
            return True  # "med heavy": Medium-heavy's qualifier shortened, not Heavy with a word about it
        own = content_stems(self.m.values[found].name)
        words = self._facet_words(facet)
        content = [w for w in rest if w not in STOP and any(ch.isalpha() for ch in w)]
        if any(words.get(stem(w), set()) - {found} for w in content if stem(w) not in own):
            return True
        lexical = self.m.lexical
        if not isinstance(lexical, LexicalStage):
            return False
        return any(set(lexical.land(w, facet)) - {found} for w in content)

    def _facet_qualifiers(self, facet: str) -> dict[str, set[str]]:
        """Each value of ``facet`` whose name's words a longer value name holds -> the longer names' other words
        ("Tablets" -> {"effervescent", "chewable"}): a word around the value that shortens one of them names the longer
        value in an abbreviation."""
        qualifiers = self._qualifiers.get(facet)
        if qualifiers is None:
            qualifiers = self._qualifiers[facet] = {}
            names = {value.id: frozenset(content_words(value.name)) for value in self.m.taxonomy.facet_values(facet)}
            for vid, words in names.items():
                for other in names.values():
                    if words and words < other:
                        qualifiers.setdefault(vid, set()).update(other - words)
        return qualifiers

    def _facet_words(self, facet: str) -> dict[str, set[str]]:
        """Each word of a value's name in ``facet`` (as ``keys.stem`` reads it) -> the values whose names hold it."""
        words = self._words.get(facet)
        if words is None:
            words = self._words[facet] = {}
            for value in self.m.taxonomy.facet_values(facet):
                for word in content_words(value.name):
                    if any(ch.isalpha() for ch in word):
                        words.setdefault(stem(word), set()).add(value.id)
        return words

    @staticmethod
    def _named(runs: list[tuple[int, int, str]], looked: Batch) -> tuple[str, set[int]] | None:
        """The one value the longest naming runs name (a run inside a longer one that names a value is part of that
        name: "dust bags", not "bags"), with the places of the words they cover; None when they name several, or one
        is torn between values or rejected."""
        naming = [(i, j, looked.done[run]) for i, j, run in runs if run in looked.done]
        spans = [(a, b) for a, b, _ in naming]
        outer = [(i, j, o) for i, j, o in naming if not any(a <= i and j <= b and (a, b) != (i, j) for a, b in spans)]
        if not outer or any(o.mapped.value is None or o.candidates for _, _, o in outer):
            return None
        ids = {o.mapped.value.id for _, _, o in outer if o.mapped.value is not None}
        if len(ids) != 1:
            return None
        return ids.pop(), {k for i, j, _ in outer for k in range(i, j)}

    @staticmethod
    def _runs(text: str) -> tuple[list[str], list[tuple[int, int, str]]] | None:
        """The words of ``text`` and every run of up to ``MAX_SPAN`` of them that may name a value (not stop words
        alone, nor one number: "refer to image 3" names no size 3); None where the text is no short phrase of words,
        lists alternatives ("XS/S", "red, blue")."""
        if has_cjk(text) or LIST.search(text) or "/" in text:
            return None
        words = normalize(text.replace("-", " ")).split()
        if not 2 <= len(words) <= MAX_WORDS:
            return None
        runs = [
            (i, j, " ".join(words[i:j]))
            for i in range(len(words))
            for j in range(i + 1, min(i + MAX_SPAN, len(words)) + 1)
            if not set(words[i:j]) <= STOP and not (j - i == 1 and words[i].isdigit())
        ]
        return words, runs
