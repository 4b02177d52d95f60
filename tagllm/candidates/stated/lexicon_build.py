"""The build of the stated lexicon's table (``lexicon.txt.gz``) from WordNet 3.0, the colour survey and the Shopify
taxonomy's material names: run once, by ``python -m tagllm.candidates.stated.lexicon``, when WordNet or the rules
change; tagging reads the shipped table through ``lexicon`` and never runs this. Kept apart so ``lexicon`` holds what
a tagger reads, this what a maintainer rebuilds."""

from __future__ import annotations

import re
from itertools import islice
from typing import TYPE_CHECKING

from tagllm.candidates.shipped_tables import write_table
from tagllm.candidates.stated.lexicon import (
    ARTIFACT_LEXFILE,
    ATTRIBUTE_LEXFILE,
    COLOUR,
    KIND_LEXFILES,
    LEXICON_PATH,
    LIVING_LEXFILES,
    MATERIAL_LEXFILES,
    MAX_DEPTH,
    MAX_WORDS,
    METAL,
    MIN_WORD_CHARS,
    NOT_MATERIAL_LEXFILES,
    NOTICE,
    SOURCE_LEXFILES,
    SUBSTANCE_LEXFILE,
    WARE,
)
from tagllm.text import normalize, singular_key

if TYPE_CHECKING:
    from tagllm.mapping.wordnet import WordNet


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
