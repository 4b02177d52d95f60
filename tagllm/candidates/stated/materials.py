"""Materials a text states beyond the value names: the adjective English makes of a material ("Wooden"), the
facet's imitation of a material ("vegan leather": Faux leather), a fibre by its other generic or trade name
("Elastane": Lycra), a material written as a segment of its own, and a kind of a material the facet names by its
general value ("Teak Garden Bench": Wood)."""

from __future__ import annotations

import re

from tagllm.candidates.head_keys import head_key, name_heads
from tagllm.candidates.stated.lexicon import alloyed_metals, begins_living_thing, ends_living_thing, material_kinds
from tagllm.candidates.stated.segments import APART_SEGMENT, IMITATION_AFTER, IMITATION_BEFORE, names_treatment
from tagllm.mapping.colours import survey
from tagllm.mapping.families import paren_aliases
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.phrases import PhraseTable, Spans
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize

# Words naming a facet of materials ("material", "fabric", "cookware-material"), where a material's adjective in -en
# ("wooden", "woollen") names it.
MATERIAL_WORDS = frozenset({"material", "materials", "fabric", "fabrics"})
# The names one man-made fibre goes by: the generic name of the EU's textile labelling rules (Regulation (EU) No
# 1007/2011, Annex I: "elastane", "polyamide", "viscose", "lyocell"), the US one (FTC, 16 CFR 303.7: "spandex",
# "nylon", "rayon"), the German label's spelling ("elastan") and the trade name a fibre is best known by ("Lycra",
# "Tencel"). A label states one of them; a taxonomy's value names one of them (Shopify's Lycra, Nylon, Lyocell).
FIBRE_NAMES = (
    ("elastane", "elastan", "spandex", "lycra"),
    ("polyamide", "nylon"),
    ("viscose", "rayon"),
    ("lyocell", "tencel"),
)


def is_material_facet(facet: str) -> bool:
    """Whether the facet's name says it holds materials ("material", "fabric", also "cookware-material")."""
    return bool(MATERIAL_WORDS & set(re.split(r"[-_ ]", facet.lower())))


def imitations(values: list, position: dict[str, int]) -> dict[int, int]:
    """A value's position -> the position of the facet's value naming an imitation of it ("Leather" -> "Faux
    leather", "Fur" -> "Faux fur"), where the facet has one."""
    names = {normalize(v.name): position[v.id] for v in values}
    out = {}
    for name, pos in names.items():
        first, _, rest = name.partition(" ")
        if first in IMITATION_BEFORE and rest in names:
            out[names[rest]] = pos
    return out


def material_adjectives(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """The adjectives English makes of a one-word material's name with -en ("Wooden" for Wood, "Woollen" and
    "Woolen" for Wool, "Silken" for Silk), for the values the facet has no value of that name for."""
    names = {normalize(v.name) for v in values}
    out = []
    for v in values:
        name = normalize(v.name)
        if " " in name or not name.isalpha() or name[-1] in "aeiouy":
            continue
        for form in (name + "en", name + name[-1] + "en"):
            if form not in names:
                out.append((form, position[v.id]))
    return out


def fibre_names(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """A fibre's other names (``FIBRE_NAMES``) to the facet's value for the fibre, where the facet names it by
    exactly one value ("Spandex", "Elastane": Lycra); a name the facet has a value of stays that value's (Shopify
    has both Viscose and Rayon)."""
    names = {normalize(v.name): position[v.id] for v in values}
    out = []
    for group in FIBRE_NAMES:
        held = {names[name] for name in group if name in names}
        if len(held) == 1:
            out += [(name, next(iter(held))) for name in group if name not in names]
    return out


# A share of a fibre composition, written number first ("95% Viscose", "45% Organic Cotton": the words after the
# number, up to the next number or mark, are read for the fibre's name) or name first ("Viscose 95%", "Organic Cotton
# 45%": the words before it, from the last number or mark).
SHARE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%\s*([^\d%,;/()|]+)")
NAME_SHARE = re.compile(r"([^\d%,;/()|]+?)\s*(\d{1,3}(?:\.\d+)?)\s*%")


def main_fibre(phrases: PhraseTable[int], text: str) -> tuple[int, frozenset[int]] | None:
    """Where ``text`` gives a composition ("95% Viscose 5% Elastane", "Cotton 60% / Polyester 40%"), the value
    named by more than half of it and the values its other shares name; None where no share names more than half.
    A fibre under half of a blend ("5% Elastane") is one of its materials, and takes nothing from the main one. A
    label writes its composition in one order: the one whose reading names more shares is it (read name first,
    "Cotton 95% Elastane 5%" would give cotton's share to elastane; read number first, "95% Cotton 5% Elastane"
    would give elastane's to cotton)."""
    first = _shares(phrases, [(number, words) for number, words in SHARE.findall(text)], at_end=False)
    last = _shares(phrases, [(number, words) for words, number in NAME_SHARE.findall(text)], at_end=True)
    shares = last if len(last) > len(first) else first
    main = [pos for pos, share in shares.items() if share > 50]
    return (main[0], frozenset(shares) - {main[0]}) if main else None


def _shares(phrases: PhraseTable[int], found: list[tuple[str, str]], at_end: bool) -> dict[int, float]:
    """The share of each value a composition's (number, words) name: the value named at the words' end where the
    name is written before its number (``at_end``), else at their start."""
    shares: dict[int, float] = {}
    for number, words in found:
        kept = [w for w in normalize(words).split() if w not in MODIFIER_WORDS]
        edge = len(kept) if at_end else 0
        named = [pos for start, end, pos in phrases.spans(" ".join(kept)) if (end if at_end else start) == edge]
        if named:
            shares[named[0]] = shares.get(named[0], 0.0) + float(number)
    return shares


def written_apart(phrases: PhraseTable[int], text: str, shade_named: frozenset[int]) -> set[int]:
    """In a facet of materials, the values the text writes as a segment of their own, but for numbers and words
    that qualify a material ("Camping Tent, Waterproof, Polyester, Green", "Tee - 100% Cotton"): an attribute
    listed after the product, not a word of its name ("Glass Cleaner", "Wood Glue"). A material named by a colour
    (``shade_named``: "Stone", "Clay") written apart is as often the product's colour, so it is left out."""
    out: set[int] = set()
    for segment in APART_SEGMENT.split(text):
        words = [w for w in normalize(segment).split() if w not in MODIFIER_WORDS and not w.isdigit()]
        if not words:
            continue
        spans = Spans(phrases.spans(" ".join(words)))
        out |= {pos for start, end, pos in spans.all if start == 0 and end == len(words)}
    return out - shade_named


def kind_phrases(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """The words naming a kind of a material the facet has a value for (``lexicon.material_kinds``), each to the
    facet's narrowest value for it: one named after the kind ("Oak wood" for "oak"), else the nearest material the
    kind is below ("sterling silver": Silver where the facet has it, else Metal). A kind of two words is read
    written as one word too ("terra cotta", "terracotta"): English closes compounds as they grow common. Words the
    facet names as a value of their own are left to that value."""
    names = {normalize(v.name): position[v.id] for v in values}
    out = []
    for word, materials in material_kinds().items():
        if word in names:
            continue
        for material in materials:
            pos = names.get(f"{word} {material}", names.get(material))
            if pos is not None:
                out += [(form, pos) for form in {word, word.replace(" ", "")} if form not in names]
                break
    return out


def alloy_positions(values: list, position: dict[str, int]) -> dict[str, int]:
    """The words naming a metal in a later sense (``lexicon.alloyed_metals``: "gold"), each to the facet's value of
    its name, else to the nearest material it is below that the facet has (Metal)."""
    names = {normalize(v.name): position[v.id] for v in values}
    out = {}
    for word, materials in alloyed_metals().items():
        pos = names.get(word, next((names[m] for m in materials if m in names), None))
        if pos is not None:
            out[word] = pos
    return out


# A fineness in karats ("14K", "18ct", "9 Carat", "22kt"; 24 is pure gold): the share of gold in an alloy, which
# names the word after it as the metal. Gold is hallmarked from 8 karats: "4K", "2K" and "1ct" are a video's
# resolution or a gem's weight ("4K HDMI Cable, Gold Plated Connectors" is no gold).
FINENESS = re.compile(r"(?<![\w.])(?:[89]|1\d|2[0-4])\s?(?:k|kt|ct|carat|karat)s?(?!\w)", re.IGNORECASE)
MAX_FINENESS_GAP = 2  # words between the fineness and the metal: its colour or purity ("14K Solid Yellow Gold")
PURITY_WORDS = frozenset({"solid", "pure", "real", "genuine", "fine"})
"""Words saying how much of an alloy is the metal ("14K Solid Gold"): with a colour's name (``colours.survey``:
"9ct Yellow Gold"), the only words a fineness and its metal have between them; any other word ("8K HDMI Cable
Gold") parts them: the fineness is of something else."""


def fineness_stated(alloys: dict[str, int], text: str) -> set[int]:
    """The values a fineness names (``FINENESS``): the metal of ``alloys`` after it, past at most
    ``MAX_FINENESS_GAP`` words naming its colour or purity ("18ct Gold Plated", "9ct Yellow Gold", "14K Solid Gold"):
    "gold" there is the metal, not the colour it more often names. A carat of a gem ("1ct Diamond Pendant") names no
    metal."""
    out: set[int] = set()
    colours = survey()
    for match in FINENESS.finditer(text):
        for word in normalize(text[match.end() :]).split()[: MAX_FINENESS_GAP + 1]:
            if word in alloys:
                out.add(alloys[word])
                break
            if word not in colours and word not in PURITY_WORDS:
                break
    return out


def product_nouns(taxonomy: Taxonomy) -> frozenset[str]:
    """The words heading a hierarchical facet's value names, as ``head_key``s ("ring" of Rings, "bed" of Garden
    Beds): the nouns a title names its product by, which a kind of a material written right after modifies, not
    ends ("Birthstone Ring Sterling Silver" is a ring of sterling silver; "Roasted Walnut" is a walnut)."""
    return frozenset(
        word
        for name, facet in taxonomy.facets.items()
        if facet.hierarchical
        for value in taxonomy.facet_values(name)
        for word, _ in name_heads(value.name)
    )


def kinds_stated(kinds: PhraseTable[int], text: str, nouns: frozenset[str] = frozenset()) -> set[int]:
    """The values the text states by a kind of a material used as one: before the words that name the product, in
    the same segment ("Teak Garden Bench"), as a segment of its own ("Garden Bench, Teak", "Bench in Teak"), or
    right after a word of ``nouns`` that names the product ("Birthstone Ring Sterling Silver"); not a kind that
    ends a segment's words after any other word, or is itself a word of ``nouns``, where it names the product
    ("Salted Walnut", "Steel Wool Pads": a pad is a product, though a kind of paper), nor one named as an imitation
    ("Oak Effect Bookcase", "Faux Walnut Shelf"), as what the product treats ("Silver Polish",
    ``segments.names_treatment``) or in a living plant's species ("Copper Beech Hedging", "Silver Birch Tree":
    ``lexicon.living_compounds``). A kind named by a colour's name ("Steel", "Pine") is read only before a word
    naming the product ("Pine Bedside Table"; not "Steel Grey", "Silver Metallic", "Dress, Pine")."""
    out: set[int] = set()
    for segment in APART_SEGMENT.split(text):
        words = normalize(segment).split()
        for start, end, pos in kinds.spans(" ".join(words)):
            if words[start] in survey() and not _names_product_after(words, end):
                continue
            imitated = (
                end < len(words) and words[end] in IMITATION_AFTER or start and words[start - 1] in IMITATION_BEFORE
            )
            after_product = start > 0 and head_key(words[start - 1]) in nouns and head_key(words[end - 1]) not in nouns
            treated = names_treatment(words, start, end)  # "Silver Polish": what the product acts on
            # "Copper Beech Hedging", "Silver Birch Tree": the tree, not its wood nor a metal
            living = ends_living_thing(words, start, end) or begins_living_thing(words, start, end)
            if (end < len(words) or start == 0 or after_product) and not (imitated or treated or living):
                out.add(pos)
    return out


def _names_product_after(words: list[str], end: int) -> bool:
    """Whether a word follows ``words[:end]`` that is no colour's name nor a word qualifying one ("Grey",
    "Metallic", "Finish"): a kind named by a colour's name ("steel", "pine", "terracotta") is a material only there."""
    return end < len(words) and words[end] not in survey() and words[end] not in MODIFIER_WORDS


def material_codes(values: list, position: dict[str, int], longest: int) -> dict[str, int]:
    """The abbreviations of fewer than ``longest`` letters that a material's own name writes in parentheses
    ("Polyurethane (PU)", "Polyethylene (PE)"): code, normalised -> the value's position. The taxonomy gives them as
    the material's standard short form, which titles write alone ("Machine Stitched PU", "PE Rattan Sofa")."""
    return {
        normalize(alias): position[v.id]
        for v in values
        for alias in paren_aliases(v.name)
        if len(alias) < longest and alias.isalpha() and alias.isupper()
    }


def written_as_code(code: str, text: str) -> bool:
    """Whether ``text`` (the raw text) writes ``code`` (normalised) as an abbreviation: in capitals, a word of its own,
    not counting after a number ("10 PC Set": pieces)."""
    return re.search(rf"(?<![\w-])(?<!\d )(?<!\d){re.escape(code.upper())}(?![\w])", text) is not None
