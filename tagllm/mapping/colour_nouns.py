"""A colour written with the thing it colours ("forest green tent", "charcoal yoga mat", "rose gold plated") or listed
with other colours ("navy/white"): the colour words name the value; the words after them name no colour.

A word is a colour word when the colour survey (``tagllm.mapping.colours.survey``, the one resource the stated
attributes' shade reading uses too) has it in one of its names, or a value of the facet has it in its name. English
puts the colour before the noun, so only words after the last colour word are cut, and only when none of them says
the string is about colours ("earth tones", "light shade") and the last colour word and the next make no compound of
their own ("orange juice", "black pepper": the product, not its colour).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from tagllm.candidates.compounds import compounds
from tagllm.mapping.base import Batch, Stage
from tagllm.mapping.colours import says_many_colours, survey
from tagllm.text import normalize, singular_key

if TYPE_CHECKING:
    from tagllm.mapping.mapper import Mapper

ABOUT_COLOURS = frozenset({
    "colour", "colours", "color", "colors", "coloured", "colored", "colourway", "colorway", "tone", "tones", "toned",
    "shade", "shades", "hue", "hues", "tint", "tints", "look", "varies", "vary", "may", "random", "options",
    "available", "pictured", "shown",
})  # fmt: skip
"""Words after a colour that speak of colours rather than name a thing ("earth tones", "light shade", "natural look",
"colour may vary"): a string with them is about colours in general, not one colour."""
LIST_MARK = "/"
"""How a seller lists a product's colours in one field ("navy/white"): a catalogue of one colour per product files
such a product under the first (as the stated attributes read "Black/Yellow")."""
ITEM_MARKS = frozenset(",;|&+")
"""Marks that part a string into items ("Red; Zorg", "Red, Blue"): words after one are another item, not the thing
the colour before it colours; the cell's own splitting reads each item."""


@lru_cache(maxsize=1)
def survey_words() -> frozenset[str]:
    """Every word of a colour survey name ("forest", "green", "powder", "snow")."""
    return frozenset(word for name in survey() for word in name.split())


class ColourNounStage(Stage):
    """In a colour facet, a string whose colour words are followed by words naming no colour, or that lists colours:
    the colour words (the first colour listed) are looked up by ``stages`` and one value found is accepted."""

    name = "colour_noun"

    def __init__(self, mapper: Mapper, stages: Sequence[Stage]) -> None:
        self.m = mapper
        self.stages = stages
        self._words: dict[str, frozenset[str]] = {}

    def run(self, batch: Batch) -> None:
        facet = batch.facet
        if facet is None or not self.m.colour.shades(facet):
            return
        colour_words = self._colour_words(facet)
        rewritten: dict[str, str] = {}
        for raw in batch.open():
            colour = first_listed(batch.text(raw), colour_words) or colour_before_noun(batch.text(raw), colour_words)
            if colour is not None:
                rewritten[raw] = colour
        self.m.take_rewritten(batch, rewritten, self.name, self.stages)

    def _colour_words(self, facet: str) -> frozenset[str]:
        found = self._words.get(facet)
        if found is None:
            names = {word for v in self.m.taxonomy.facet_values(facet) for word in normalize(v.name).split()}
            found = self._words[facet] = survey_words() | names
        return found


def first_listed(text: str, colour_words: frozenset[str]) -> str | None:
    """The first colour of a list of colours ("navy/white" -> "navy"), normalised; None unless every item of the
    list is nothing but colour words."""
    if LIST_MARK not in text:
        return None
    items = [normalize(item).split() for item in text.split(LIST_MARK)]
    if len(items) < 2 or not all(words and set(words) <= colour_words for words in items):
        return None
    return " ".join(items[0])


def colour_before_noun(text: str, colour_words: frozenset[str]) -> str | None:
    """The colour words that begin ``text`` before words naming no colour ("forest green tent" -> "forest green"),
    normalised; None when nothing follows them, when what follows speaks of colours ("earth tones"), when the words
    make a compound ("orange juice"), when the colour says many colours ("multi-pack": a count, not a colour) or
    when a mark parts the string into items ("Red; Zorg")."""
    if ITEM_MARKS.intersection(text):
        return None
    words = normalize(text).split()
    end = len(words)
    while end and words[end - 1] not in colour_words:
        end -= 1
    if end == 0 or end == len(words) or ABOUT_COLOURS.intersection(words):
        return None
    colour = " ".join(words[:end])
    if singular_key(" ".join(words[end - 1 : end + 1])) in compounds() or says_many_colours(colour):
        return None
    return colour
