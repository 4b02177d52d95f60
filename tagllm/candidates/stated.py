"""Stated values: a value the product's text names (its name, a synonym, an other-language label, or a word a facet
rule gives it: "Men" for Male), turned into the probability that the value is right by a fixed, measured mapping.

This is the evidence that needs no examples. A mention is found at word boundaries in Latin scripts and as a
substring in Chinese; a mention inside a longer mention of the same facet does not count ("gold" inside "rose gold",
"steel" inside "stainless steel"), nor one that calls the value an imitation or an absence ("faux leather",
"plastic-free"; in Chinese "仿皮革", "无塑料"); an imitation states the facet's value named as one where it has
it ("vegan leather", "PU leather", "leather-effect": Faux leather). In a facet of materials, a material's adjective
in -en names it ("Wooden" Wood, "Woollen" Wool). How a value is mentioned sets its probability
(``STATED_PROBABILITY``):

- ``sole``: the only value of the facet the text names ("White Cotton T-Shirt": White for colour);
- ``shared``: one of several values of the facet the text names ("Navy Blue Shirt": Navy and Blue);
- either of them found only as a Chinese substring (``sole (Chinese)``, ``shared (Chinese)``): a substring of a
  title with no word boundaries is far less often the product's own value (功效 "补水" inside a longer claim);
- ``sole, by a shade``: the only colour the text names, by a shade the facet has no value for (``ShadeFinder``);
- ``listed``: in a multi-valued colour facet, two or more colours each written in a segment of colour words alone
  ("Trainers, Black/Yellow", "Vest Tops, Pack of 3 - Black, White, Grey") or joined by a mark that joins colours
  wherever the text writes them ("Trainers Navy/Orange", "Navy & Red Striped Top"; ``ShadeFinder.joined``): the text
  lists the product's colours.
- ``sole on its own``: of several colours the text names, the only one written in such a segment, the others inside
  phrases that name a part or something else ("Crossbody Bag with Gold Chain, Black", "Stud Earrings, White,
  Sterling Silver Posts"): the colour written on its own is the product's;
- ``one of several``: in a multi-valued facet other than colour, one of several values the text names ("Ceramic Lamp
  with Linen Shade"): a product of several materials names each; a second colour named in a phrase is as often a
  part's, so colours stay ``shared``.

Each probability is the lower end of the 95% Wilson interval of the share of such mentions that gold labels confirm,
rounded down to a twentieth (precision first), measured on held-out titles of three labelled datasets against
taxonomies learned from their training part, no examples used (``python benchmarks/stated_calibration.py --data
../shared/data``, seed 0): sole 5,826 right of 5,976 (0.975; fashion 0.975, Flipkart 0.972), shared 296 of 588
(0.503), sole in Chinese 15 of 42 (0.357, OpenBG), shared in Chinese 8 of 37 (0.216). So a sole Latin mention comes
out at 0.95 and the others stay under the retrieval backend's 0.5: with no examples the default abstains on them.
Those datasets hold one colour per product; listed colours were measured on the hand-labelled Shopify titles of
``benchmarks/zero_cases.yaml`` and ``zero_cases_attributes{2,3,4}.yaml`` (``--cases``): 39 right of 39 (Wilson lower
end 0.910, so 0.9; 37 of 37 once "Navy Blue" reads as one colour); on ``zero_cases_attributes5.yaml``, written
afterwards and not used for it, 38 of 38; with colours joined at a segment's end listed too (session s39), on
``zero_cases.yaml`` and ``zero_cases_attributes{2..6}.yaml`` 125 of 125 (105 of 105 before; lower end 0.970). A sole
colour read from a shade: on the labelled datasets none (their colour facets have the shades as values); on the
hand-labelled titles 37 of 39 (lower end 0.831, so 0.8). A colour on its own beside others: on the hand-labelled
titles of ``zero_cases.yaml`` and ``zero_cases_attributes{2,3,4,5}.yaml`` 8 of 8, on
``zero_cases_attributes6.yaml``, written without knowledge of the rule and not used for it, 1 of 1 (9 of 9: lower
end 0.701, so 0.7). One of several: Flipkart's multi-valued facets other than colour (Ideal For, Occasion)
47 of 61 (lower end 0.651, so 0.65); on the hand-labelled titles, material 138 of 150.

In an audience facet (values Male and Female), a value named as whom the product is for ("Men's", "Girls'",
"Ladies", "for Him", "Unisex"; not a bare "Man" or "Men", as often part of a name: "Iron Man", "Mr. Men") holds even
where the product's best category lists no audience (``Statement.for_buyer``, ``applies.unlisted_weights``), at
``UNLISTED_PROBABILITY``: 0.9, the lower end (0.94) of the Wilson interval of 91 right of 92 answers so given on
the hand-labelled titles of ``zero_cases.yaml`` and ``zero_cases_attributes{2..6}.yaml`` (session s39,
docs/eval.md; the wrong one: "Ladies Night Poster"). So is a material written as a segment of its own ("Camping Tent,
Waterproof, Polyester, Green"; ``Statement.written_apart``; not one named by a colour, "Chino Shorts - Stone"), at 0.7:
11 right of 11 such answers at 0.75 on the same titles (lower end 0.74).

Where a facet applies is a separate matter: the scorer weighs every attribute facet by whether it applies to the
product's likely categories (``tagllm.candidates.applies``), so "black" in a T-shirt title is a colour, never a
washing programme.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tagllm.attributes import SPELLINGS, is_placeholder
from tagllm.candidates.applies import likely_share
from tagllm.candidates.base import Batch, Candidates, Evidence, FacetData, Family, values_at
from tagllm.candidates.compounds import begins_compound
from tagllm.mapping.colours import placed_shades, survey
from tagllm.mapping.families import facet_aliases
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.phrases import PhraseTable, Spans
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize, singular_key, word_forms

MIN_ALIAS_CHARS = 3  # letter-size spellings ("S", "M", "XL") are names in a size facet, not words to spot in a title
# Words for the young of a gender: catalogues write "Boys" and "Girls" where a gender facet has Male and Female.
YOUNG_GENDER_WORDS = {"male": ("boy", "boys"), "female": ("girl", "girls")}

# Words that make a mention an imitation of the value, not the value: "leather-look", "vegan leather", "faux suede"
# (grammar of imitation: a closed class of qualifiers, the same for any material, colour or finish).
IMITATION_BEFORE = frozenset({"faux", "fake", "imitation", "artificial", "vegan", "mock", "simulated", "pu"})
IMITATION_AFTER = frozenset({"look", "looking", "effect", "like", "imitation", "lookalike"})
# A word after a value that says the product is without it: "plastic-free", "BPA free", "nickel-free" (English
# grammar of absence, the same for any material or ingredient).
ABSENCE_AFTER = frozenset({"free"})
# The same before a Chinese name: "仿皮革" (imitation leather), "人造" (man-made), "假" (fake), "非" (not), "无"
# (without), "不含" (free of): Chinese writes them right before the name, with no space.
# Words naming a facet of materials ("material", "fabric", "cookware-material"), where a material's adjective in -en
# ("wooden", "woollen") names it.
MATERIAL_WORDS = frozenset({"material", "materials", "fabric", "fabrics"})
CHINESE_NOT_BEFORE = ("仿", "人造", "假", "非", "无", "不含")

# P(value is right | how the text states it), measured by benchmarks/stated_calibration.py (see its docstring).
STATED_PROBABILITY = {
    "sole": 0.95, "shared": 0.45, "sole (Chinese)": 0.2, "shared (Chinese)": 0.1, "listed": 0.9,
    "sole, by a shade": 0.8, "sole on its own": 0.7,
    "one of several": 0.65,
}  # fmt: skip
# P(value is right | stated outright, and the product's best category lists no facet of its kind), per way of stating
# it outright: measured on the hand-labelled titles (session s39, docs/eval.md).
UNLISTED_PROBABILITY = {"for the buyer": 0.9, "written apart": 0.7}


# Where a text writes a colour on its own: between separators (", Burgundy", "- Lilac", "Sage/Grey", "(Cream)", the
# end of a line or sentence: a product's text puts its brand and attributes on lines of their own), or after "in"
# ("Jumper in Cream"); grammar, not vocabulary.
def _segment_marks(joiners: str) -> re.Pattern[str]:
    return re.compile(rf"\s+[-–—]+\s*|[–—]|[,;:|{joiners}()\[\]{{}}【】（）\n]|\.\s|\s+in\s+", re.IGNORECASE)


COLOUR_SEGMENT = _segment_marks("/+&")
# The same without the marks that join colours into one ("Blue/Grey Stripe", "Navy & Red Striped"): a colour written
# on its own beside others is set apart from the rest of the text, not joined to a colour inside it.
APART_SEGMENT = _segment_marks("")
# Marks that join colours into a list ("Trainers Navy/Orange", "Set of 2, Navy & White Stripe").
JOINERS = re.compile(r"\s*(?:[/&+]|\band\b)\s*", re.IGNORECASE)
# Words naming a pattern of colours, which may follow a list of them at the end of a segment ("Navy & White Stripe").
PATTERN_WORDS = frozenset({
    "stripe", "stripes", "striped", "check", "checks", "checked", "checkered", "chequered", "plaid", "tartan", "spot",
    "spots", "spotted", "dot", "dots", "polka", "print", "printed", "pattern", "patterned", "marl", "colourblock",
    "colorblock",
})  # fmt: skip
COLOUR_CONTEXT_WORDS = frozenset({"colour", "color", "coloured", "colored", "and", "with", "shade", "tone"})


@dataclass(frozen=True)
class Statement:
    """One value of a facet stated in a text: its label-space position and how it is stated (a key of
    ``STATED_PROBABILITY``). ``elsewhere``: for a colour named by a shade that also names a value of other facets
    ("burgundy", a wine region; "lavender", a fragrance), the categories those facets apply to."""

    value: int
    how: str
    elsewhere: frozenset[str] | None = None
    for_buyer: bool = False  # in an audience facet: named as whom the product is for (``_names_buyer``)
    written_apart: bool = False  # in a facet of materials: written as a segment of its own (``_written_apart``)


class ShadeFinder:
    """In a colour facet, the colours a text names by a shade the facet has no value for ("Burgundy" where there is
    Red, "Lilac" where there is Purple), placed on the value of the nearest shade (``placed_shades``, the mapper's
    colour rule), and read only where the text writes them as a colour: in a segment of the text with nothing but
    colour words ("Women's Satin Skirt - Burgundy", "Navy/Lilac", "Jumper in Cream"). Many shades name things too
    ("olive", "apple", "mint"): a shade that names a category is never read, and one that names a value of another
    facet ("burgundy" a region, "lavender" a fragrance) carries where those facets apply (``Statement.elsewhere``),
    so that it counts only as far as the product's likely categories lie elsewhere."""

    def __init__(self, taxonomy: Taxonomy, facet: str, position: dict[str, int]) -> None:
        values = taxonomy.facet_values(facet)
        placed = placed_shades(tuple(values))
        self.shades: dict[str, tuple[int, frozenset[str] | None]] = {}
        self.longest = 0
        if not placed:
            self.words: frozenset[str] = frozenset()
            return
        named = _category_words(taxonomy)
        elsewhere = _other_scopes(taxonomy, facet, set(placed))
        for name, vid in placed.items():
            if singular_key(name) in named or name in elsewhere and elsewhere[name] is None:
                continue  # "olive", "cream": a thing first; a value of a facet that applies everywhere
            self.shades[name] = (position[vid], elsewhere.get(name))
        value_words = {w for v in values for w in normalize(v.name).split()}
        self.words = frozenset({w for name in placed for w in name.split()} | value_words | MODIFIER_WORDS)
        self.words |= COLOUR_CONTEXT_WORDS
        self.longest = max((len(name.split()) for name in self.shades), default=0)

    def segments(self, text: str, marks: re.Pattern[str] = COLOUR_SEGMENT) -> list[str]:
        """The segments of ``text`` (the raw text: its punctuation ``marks`` them) that hold nothing but colour
        words, normalised."""
        if not self.words:
            return []
        out = []
        for segment in marks.split(text):
            norm = normalize(segment)
            if norm and all(w in self.words for w in norm.split()):
                out.append(norm)
        return out

    def joined(self, text: str) -> list[str]:
        """The runs of colour words on both sides of a mark that joins colours where they end a segment of the text
        (but for words naming a pattern), each a segment, normalised: "Trainers Navy/Orange" gives "navy" and
        "orange", "Set of 2, Navy & White Stripe" "navy" and "white". A run stops at any other word and at the marks
        that set a segment apart ("Gold Frame / Green Lens" joins no colours). Colours joined before the product's
        noun ("Black & Brown Reversible Belt") are left as they were: a catalogue of one colour per product labels
        such a product with the first."""
        if not self.words:
            return []
        pieces = JOINERS.split(text)
        out = []
        for left, right in zip(pieces, pieces[1:], strict=False):
            before = self._run(APART_SEGMENT.split(left)[-1], reverse=True)
            words = normalize(APART_SEGMENT.split(right)[0]).split()
            after = self._run(" ".join(words), reverse=False)
            rest = words[len(after.split()) :]
            if before and after and all(w in PATTERN_WORDS for w in rest):
                out += [before, after]
        return out

    def _run(self, text: str, reverse: bool) -> str:
        """The colour words that end (``reverse``) or begin ``text``, normalised."""
        words = normalize(text).split()
        run: list[str] = []
        for word in reversed(words) if reverse else words:
            if word not in self.words:
                break
            run.append(word)
        return " ".join(reversed(run) if reverse else run)

    def find(self, segment: str) -> list[tuple[int, frozenset[str] | None]]:
        """The values the shades in a colour segment name (longest first), each with where else its shade is a
        value (None: nowhere)."""
        found: list[tuple[int, frozenset[str] | None]] = []
        words = segment.split()
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                hit = self.shades.get(" ".join(words[i : i + n]))
                if hit is not None:
                    found.append(hit)
                    i += n
                    break
            else:
                i += 1
        return found


def _shade_heads(words: list[str] | tuple[str, ...], spans: Spans[int], text: str) -> set[tuple[int, int, int]]:
    """The mentions that only end a colour named by two values side by side, which the colour survey names as one
    colour: "Blue" in "Navy Blue", where Navy and Blue are both values; the colour is the first one's, as the
    mapper reads it. Side by side in ``text`` (the raw text): "Blue/Grey" lists two colours."""
    out: set[tuple[int, int, int]] = set()
    for start, end, pos in spans.all:
        for end2, pos2 in spans.by_start.get(end, ()):
            phrase = words[start:end2]
            if pos2 != pos and " ".join(phrase) in survey() and _side_by_side(phrase, text):
                out.add((end, end2, pos2))
    return out


def _side_by_side(words: list[str] | tuple[str, ...], text: str) -> bool:
    return re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", text, re.IGNORECASE) is not None


def _category_words(taxonomy: Taxonomy) -> set[str]:
    """The names of the taxonomy's categories (and their synonyms), as ``singular_key`` writes them."""
    if "category" not in taxonomy.facets:
        return set()
    return {singular_key(n) for v in taxonomy.facet_values("category") for n in (v.name, *v.synonyms)}


def _other_scopes(taxonomy: Taxonomy, facet: str, names: set[str]) -> dict[str, frozenset[str] | None]:
    """Of ``names``, those that name a value of another flat facet: name -> the categories those values apply to
    (None: one of them applies everywhere)."""
    out: dict[str, frozenset[str] | None] = {}
    for other, spec in taxonomy.facets.items():
        if other == facet or spec.hierarchical:
            continue
        for value in taxonomy.facet_values(other):
            for name in {normalize(n) for n in (value.name, *value.synonyms)} & names:
                scope = taxonomy.value_scope(other, value.id)
                if scope is None or (name in out and out[name] is None):
                    out[name] = None
                else:
                    out[name] = (out.get(name) or frozenset()) | scope
    return out


class StatedFinder:
    """Finds the values of one facet that a normalised text states (longest mentions win)."""

    def __init__(self, taxonomy: Taxonomy, facet: str, position: dict[str, int]) -> None:
        values = taxonomy.facet_values(facet)
        phrases: list[tuple[str, int]] = []
        for v in values:
            for phrase in (v.name, *v.synonyms, *(text for _, text in v.labels)):
                phrases.append((phrase, position[v.id]))
        for alias, v in facet_aliases(values):
            if len(alias) >= MIN_ALIAS_CHARS:
                phrases.append((alias, position[v.id]))
        phrases += _young_gender_words(values, position)
        self.is_material = bool(MATERIAL_WORDS & set(re.split(r"[-_ ]", facet.lower())))  # also "cookware-material"
        if self.is_material:
            phrases += _material_adjectives(values, position)
        # a material named by a colour ("Stone", "Clay") written apart is as often the product's colour
        self.shade_named = frozenset(position[v.id] for v in values if normalize(v.name) in survey())
        american = {a: b for b, a in SPELLINGS.items()}
        phrases += [(british, pos) for phrase, pos in phrases if (british := _respell(phrase, american)) != phrase]
        self.phrases = PhraseTable(phrases)
        self.imitations = _imitations(values, position)
        self.shades = ShadeFinder(taxonomy, facet, position)
        self.multi_valued = taxonomy.facets[facet].multi_valued
        self.audience = _audience(values, position)  # empty: no audience facet

    def __call__(self, norm: str, text: str | None = None) -> list[Statement]:
        """The values the text states, each once, in label-space order (``text``: the text before normalising,
        whose punctuation shows where it writes a colour on its own; without it no shade or list is read)."""
        spans = Spans(self.phrases.spans(norm))
        segments = self.shades.segments(text) if text is not None else []
        shades = [hit for segment in segments for hit in self.shades.find(segment)]
        if not spans.by_start and not shades:
            return []
        words = word_forms(norm)[0]
        latin_end = len(words) + 1
        kept: dict[int, bool] = {}  # value -> stated in Latin script (else only as a Chinese substring)
        buyer: set[int] = set()  # values named as whom the product is for
        heads = _shade_heads(words, spans, text) if self.shades.words and text is not None else set()
        compact = norm.replace(" ", "")  # where the Chinese mentions are, past latin_end
        for start, end, pos in spans.all:
            if start < latin_end and _is_qualified(words, start, end) and pos in self.imitations:
                if not spans.inside_longer(start, end, pos) and not _is_absent(words, end):
                    kept[self.imitations[pos]] = True  # "vegan leather", "leather-effect": Faux leather
                continue
            if start < latin_end and _names_else(words, start, end) or (start, end, pos) in heads:
                continue
            if start >= latin_end and compact[: start - latin_end].endswith(CHINESE_NOT_BEFORE):
                continue
            if not spans.inside_longer(start, end, pos):
                kept[pos] = kept.get(pos, False) or start < latin_end
                is_sex = self.audience.get(pos)
                if is_sex is not None and start < latin_end and _names_buyer(words, start, end, not is_sex):
                    buyer.add(pos)
        named = set(kept)
        elsewhere: dict[int, frozenset[str]] = {}
        for pos, scope in shades:
            if pos not in kept and scope is not None:
                elsewhere[pos] = elsewhere.get(pos, frozenset()) | scope
            elif pos in elsewhere and scope is None:
                del elsewhere[pos]
            kept[pos] = True
        joined = self.shades.joined(text) if text is not None else []
        written = self._written_apart(text) & named if self.is_material and text is not None else set()
        listed = self._listed(segments + joined) & kept.keys()
        alone: set[int] = set()
        if len(kept) > 1 and not listed and text is not None:
            alone = self._on_their_own(self.shades.segments(text, APART_SEGMENT)) & kept.keys()
        apart = listed or (alone if len(alone) == 1 else set())  # the colours written apart are the product's
        several = self.multi_valued and not self.shades.words  # colours: one named in a phrase is often a part's
        how = "sole" if len(kept) == 1 else "one of several" if several else "shared"
        statements = []
        for pos, latin in sorted(kept.items()):
            stated = "listed" if pos in listed else "sole on its own" if pos in apart else how
            if not latin and stated == how:
                stated = "sole (Chinese)" if how == "sole" else "shared (Chinese)"
            if stated == "sole" and pos not in named:
                stated = "sole, by a shade"
            statements.append(Statement(pos, stated, elsewhere.get(pos), pos in buyer, pos in written))
        return statements

    def _written_apart(self, text: str) -> set[int]:
        """In a facet of materials, the values the text writes as a segment of their own, but for numbers and words
        that qualify a material ("Camping Tent, Waterproof, Polyester, Green", "Tee - 100% Cotton"): an attribute
        listed after the product, not a word of its name ("Glass Cleaner", "Wood Glue")."""
        out: set[int] = set()
        for segment in APART_SEGMENT.split(text):
            words = [w for w in normalize(segment).split() if w not in MODIFIER_WORDS and not w.isdigit()]
            if not words:
                continue
            spans = Spans(self.phrases.spans(" ".join(words)))
            out |= {pos for start, end, pos in spans.all if start == 0 and end == len(words)}
        return out - self.shade_named

    def _listed(self, segments: list[str]) -> set[int]:
        """In a multi-valued colour facet, the values the text lists as the product's colours: two or more, each
        named in a segment of colour words alone ("Black/Yellow", "Pack of 3 - Black, White, Grey", "Navy & Gold")."""
        if not self.multi_valued or not segments:
            return set()
        named = self._on_their_own(segments)
        return named if len(named) >= 2 else set()

    def _on_their_own(self, segments: list[str]) -> set[int]:
        """The values named in segments of colour words alone."""
        named: set[int] = set()
        for segment in segments:
            spans = Spans(self.phrases.spans(segment))
            heads = _shade_heads(segment.split(), spans, segment)
            named |= {
                pos
                for start, end, pos in spans.all
                if (start, end, pos) not in heads and not spans.inside_longer(start, end, pos)
            }
            named |= {pos for pos, _ in self.shades.find(segment)}
        return named


def _names_else(words: tuple[str, ...], start: int, end: int) -> bool:
    """Whether the mention of ``words[start:end]`` does not name the product's value: qualified as an imitation or
    an absence, or the first word of a compound that names something else ("black pepper", "green tea")."""
    return _is_qualified(words, start, end) or begins_compound(words, start, end)


def _is_qualified(words: tuple[str, ...], start: int, end: int) -> bool:
    """Whether the mention of ``words[start:end]`` is qualified as an imitation ("vegan leather", "leather look") or
    an absence ("plastic-free"): the text names the value to say the product is not made of it."""
    after = words[end] if end < len(words) else ""
    return (start > 0 and words[start - 1] in IMITATION_BEFORE) or after in IMITATION_AFTER or after in ABSENCE_AFTER


def _names_buyer(words: tuple[str, ...], start: int, end: int, is_unsexed: bool) -> bool:
    """Whether an audience value's mention ``words[start:end]`` names whom the product is for, by English grammar: a
    possessive ("Men's", normalised "men s"; "Girls'"), a plural written before the product's noun ("Mens", "Ladies",
    "Boys"), the object of "for" ("for Women", "Gift for Him"), or a value that is no sex ("Unisex"). A bare singular
    or a plural without its "s" is as often part of a name: "Iron Man", "Mr. Men", "Lady Finger", "Male to Female"."""
    if is_unsexed:
        return True
    possessive = end < len(words) and words[end] == "s"
    return possessive or words[end - 1].endswith("s") or words[start - 1 : start] == ("for",)


def _audience(values: list, position: dict[str, int]) -> dict[int, bool]:
    """In an audience facet (it has values named Male and Female), each value's position -> whether it names a sex
    (Unisex names none; a placeholder such as "Other" is left out); empty for any other facet."""
    names = {normalize(v.name): v for v in values if not is_placeholder(v.name)}
    if not {"male", "female"} <= names.keys():
        return {}
    return {position[v.id]: name in ("male", "female") for name, v in names.items()}


def _imitations(values: list, position: dict[str, int]) -> dict[int, int]:
    """A value's position -> the position of the facet's value naming an imitation of it ("Leather" -> "Faux
    leather", "Fur" -> "Faux fur"), where the facet has one."""
    names = {normalize(v.name): position[v.id] for v in values}
    out = {}
    for name, pos in names.items():
        first, _, rest = name.partition(" ")
        if first in IMITATION_BEFORE and rest in names:
            out[names[rest]] = pos
    return out


def _is_absent(words: tuple[str, ...], end: int) -> bool:
    return end < len(words) and words[end] in ABSENCE_AFTER


def _material_adjectives(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
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


def _respell(phrase: str, spellings: dict[str, str]) -> str:
    """The phrase with each word respelt (normalised): 'Gray' -> 'grey', 'Aluminum' -> 'aluminium'."""
    return " ".join(spellings.get(w, w) for w in normalize(phrase).split())


def _young_gender_words(values: list, position: dict[str, int]) -> list[tuple[str, int]]:
    """'Boys' for Male and 'Girls' for Female, where the facet has both and no value of its own for either word."""
    names = {normalize(v.name): v for v in values}
    if "male" not in names or "female" not in names or {"boy", "boys", "girl", "girls"} & names.keys():
        return []
    return [(word, position[names[g].id]) for g, words in YOUNG_GENDER_WORDS.items() for word in words]


class StatedValues(Family):
    """The calibrated probability of each value the text states (``stated``; 0 for a value it does not state)."""

    columns = ("stated",)

    def __init__(self, data: FacetData) -> None:
        self.size = data.space.size
        self.facet = data.facet
        self.find = StatedFinder(data.taxonomy, data.facet, data.space.position)

    @classmethod
    def build(cls, data: FacetData) -> StatedValues | None:
        if data.tables.hierarchical:  # the category: what a title names is often what the product is for, not is
            return None
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        keys: list[int] = []
        probs: list[float] = []
        outright: dict[int, float] = {}  # key -> its probability where the category lists no facet of its kind
        for row, (norm, text) in enumerate(zip(batch.normalized, batch.texts, strict=True)):
            for statement in self.find(norm, text):
                keys.append(row * self.size + statement.value)
                probs.append(STATED_PROBABILITY[statement.how] * _not_elsewhere(statement, batch, row))
                if statement.for_buyer or statement.written_apart:
                    how = "for the buyer" if statement.for_buyer else "written apart"
                    outright[keys[-1]] = min(UNLISTED_PROBABILITY[how], STATED_PROBABILITY[statement.how])
        stated = sorted(outright)
        batch.unlisted[self.facet] = (np.asarray(stated, dtype=np.int64), np.asarray([outright[k] for k in stated]))
        key_array = np.asarray(keys, dtype=np.int64)
        order = np.argsort(key_array)
        return Evidence([key_array], _column(key_array[order], np.asarray(probs)[order]))


def _not_elsewhere(statement: Statement, batch: Batch, row: int) -> float:
    """1 when a shade that also names a value of other facets reads as a colour: none of the product's likely
    categories is one those facets apply to ("lavender" on a yoga mat; on a candle, perhaps its scent); else 0, as
    when its categories are not known."""
    if statement.elsewhere is None:
        return 1.0
    if batch.categories is None:
        return 0.0
    return 0.0 if likely_share(statement.elsewhere, batch.categories[row]) > 0 else 1.0


def _column(keys: np.ndarray, probs: np.ndarray) -> Callable[[Candidates], np.ndarray]:
    def columns(candidates: Candidates) -> np.ndarray:
        return values_at(keys, probs, candidates.keys)[:, None]

    return columns
