"""The words the modifier stage drops: what describes a value rather than names it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagllm.mapping.wordnet import WordNet

SHADES = frozenset(
    {
        "pale", "light", "dark", "deep", "bright", "hot", "dusty", "pastel", "neon", "soft", "rich", "vivid", "muted",
        "metallic", "matte", "matt", "glossy", "shiny", "faded", "washed", "fluoro", "fluorescent",
    }
)  # fmt: skip
"""Words that say a colour's shade ("light blue", "hot pink"): before another noun they may make a compound of their
own ("light bulb", "hot dog", "soft toy")."""
FIGURATIVE_SHADES = frozenset({"light", "dark", "deep", "hot", "soft"})
"""Shade words that name a colour's shade only by a figure of weight, depth, heat or touch: before a noun that is no
colour they keep their own sense, and the two words are a compound whose kind the noun alone does not give ("soft toy"
is a stuffed animal, "dark horse" no horse, "hot tub" no tub), unlike a finish ("glossy paint", "matte lipstick")."""
MODIFIER_WORDS = SHADES | frozenset(
    {
        # shades
        "baby",
        # a fabric's finish or yarn, written with its colour: "grey marl", "charcoal heather", "stonewash blue"
        "heather", "heathered", "marl", "marled", "melange", "stonewash", "stonewashed", "mottled", "slub",
        # a surface's finish, written with its colour or material: "piano black gloss", "polished silver finish"
        "gloss", "polished", "finish",
        # quality and marketing
        "genuine", "real", "pure", "organic", "natural", "recycled", "premium", "authentic", "virgin", "full",
        "grain", "top", "new", "fresh", "quality", "percent", "stretch",
        # audience
        "for", "men", "man", "mens", "women", "woman", "womens", "ladies", "lady", "kids", "kid", "children", "boys",
        "girls", "him", "her", "unisex",
        # what a value is: "cotton fabric", "floral print", "colour red"
        "colour", "color", "colours", "colors", "shade", "tone", "fabric", "material", "print", "printed", "pattern",
        "patterned", "design", "style", "type",
        # quantity
        *("pack", "set", "pair", "box", "of"),
    }
)  # fmt: skip
"""Words that describe a value rather than name it: "pale pink", "100% organic cotton", "for him", "floral print"."""
QUANTITY_WORDS = frozenset({"pack", "set", "pair", "box"})
"""Words that count things: beside "multi" or "assorted" they say many items ("multi-pack"), not many colours."""
SIZE_SYSTEMS = frozenset(
    {
        "uk", "us", "usa", "eu", "eur", "euro", "au", "aus", "it", "fr", "jp", "cn", "intl",
        "toddler", "youth", "infant", "junior", "adult",
    }
)  # fmt: skip
"""Where a size is measured ("UK 7", "EU 38.5", "US 8") and in which range of sizes ("toddler 8", "youth 5"): dropped
before a number in a facet of numbers, whose values name the number alone."""
FIT_MARKED = re.compile(r"^(?:(?P<before>[wl])(?P<number>\d+(?:\.\d+)?)|(?P<size>\d+(?:\.\d+)?)(?P<after>[wlrsyct]))$")
"""A size with a letter of its system written on: the waist or inseam ("W32", "30W", "L30"), the fit ("42R", "40S",
"44L": regular, short, long) or the range ("8C", "5Y", "3T": child, youth, toddler). Not "M", which is months."""


def fit_marked(tokens: list[str]) -> list[str]:
    """The tokens with each size's system letter dropped ("30w x 30l" -> "30"): of a waist and an inseam the waist,
    which size facets name ("W34 L30" is size 34), else the first; the "x" between them goes too."""
    marks = [i for i, t in enumerate(tokens) if FIT_MARKED.match(t)]
    if not marks:
        return tokens
    waist = [i for i in marks if "w" in tokens[i]]
    keep = (waist or marks)[0]
    out: list[str] = []
    for i, token in enumerate(tokens):
        found = FIT_MARKED.match(token)
        if found:
            if i == keep:
                out.append(found["number"] or found["size"])
        elif not (token == "x" and len(marks) > 1):
            out.append(token)
    return out


STERLING_MARK = re.compile(r"^s?925s?$")
"""The standard mark of sterling silver, 925 parts in 1,000 ("925", "S925"), as stamped and as sellers write it."""


def hallmarked(tokens: list[str]) -> list[str]:
    """The tokens with a sterling mark read as the words it stands for ("925 silver", "S925", "925 sterling" ->
    "sterling silver"): the number is the alloy's name, not a quantity to drop."""
    if not any(STERLING_MARK.match(t) for t in tokens):
        return tokens
    out: list[str] = []
    for token in tokens:
        words = ["sterling", "silver"] if STERLING_MARK.match(token) else [token]
        out += [w for w in words if w not in out or w not in ("sterling", "silver")]
    return out


NEGATING = frozenset({"faux", "fake", "imitation", "artificial", "vegan", "mock", "pleather", "leatherette"})
"""Words that say a material is an imitation of the one named: "vegan leather" is Faux leather, never Leather."""

LOOKALIKE = frozenset(
    {
        "look", "looking", "effect", "like", "style", "styled", "tone", "toned", "alternative", "substitute", "replica",
        "feel", "feeling", "touch",
    }
)  # fmt: skip
"""Words after a value's name that say the thing only looks (or feels) like it: "leather look", "wood effect", "gold
tone", "silk feel", "suede touch"."""

QUANTITY = "23"
"""WordNet's lexicographer file of units and amounts (noun.quantity): "inch", "litre", "ounce"."""


def is_unit(wordnet: WordNet | None, token: str, before: str) -> bool:
    """Whether ``token`` is a unit of measure written after a number."""
    if wordnet is None or not any(ch.isdigit() for ch in before):
        return False
    return any(wordnet.synset(s).lexfile == QUANTITY for s in wordnet.noun_synsets(token)[:2])
