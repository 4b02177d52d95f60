"""Colours a text states beyond the value names: shades a colour facet has no value for ("Burgundy" for Red), read
where the text writes them as a colour, and the colours it lists or joins ("Black/Yellow", "Navy & White Stripe")."""

from __future__ import annotations

import re

from tagllm.candidates.compounds import compounds
from tagllm.candidates.stated.lexicon import material_kinds, material_sources, wordnet_shades
from tagllm.candidates.stated.materials import is_material_facet
from tagllm.candidates.stated.segments import APART_SEGMENT, COLOUR_SEGMENT, JOINERS, side_by_side
from tagllm.mapping.colours import hue_shades, placed_shades, survey, survey_name, value_hues
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.mapping.shades_between import between_shades, tied_shades
from tagllm.phrases import Spans
from tagllm.taxonomy import Taxonomy, Value
from tagllm.text import normalize, singular_key

# Words naming a pattern of colours, which may follow a list of them at the end of a segment ("Navy & White Stripe").
PATTERN_WORDS = frozenset({
    "stripe", "stripes", "striped", "check", "checks", "checked", "checkered", "chequered", "plaid", "tartan", "spot",
    "spots", "spotted", "dot", "dots", "polka", "print", "printed", "pattern", "patterned", "marl", "colourblock",
    "colorblock", "paisley", "floral", "speckled", "houndstooth", "gingham", "herringbone", "melange", "ombre",
})  # fmt: skip
# Of those, the words for a picture of a thing: before them a shade that names things is the thing ("Lemon Print",
# "Cherry Pattern"); before the others, a pattern of colours, it is a colour ("Burgundy Paisley", "Speckled Sage").
MOTIF_WORDS = frozenset({"print", "printed", "pattern", "patterned"})
COLOUR_CONTEXT_WORDS = frozenset({"colour", "color", "coloured", "colored", "and", "with", "shade", "tone"})
# Words saying a material is in its natural state, unfinished ("Natural Pine", "Oak Natural"): a shade that names the
# material beside them names its own look, not a hue. Only words a segment of colour words may hold are read there
# (``MODIFIER_WORDS`` has "natural"; "untreated" would end such a segment before the shade).
NATURAL_WORDS = frozenset({"natural"})
# Words after which a noun is what the product is for or made of, not its colour ("Canister for Coffee").
PREPOSITIONS = frozenset({"for", "of", "from", "by", "to", "on", "at", "about", "like"})
# Where a text says the product is of many colours: colours counted or assorted ("24 Colours", "Assorted Colours",
# "Rainbow Colours", "Pastel Colors": a plural of colours qualified), a rainbow, or many-coloured ("Multicoloured",
# "Multi-Colour"). It states the colour facet's value for many colours (``tagllm.mapping.colours.many_colours_value``).
MANY_COLOURS = re.compile(
    r"\b(?:\d+|assorted|mixed|multiple|many|rainbow|pastel|bright|neon)\s+colou?rs\b"
    r"|\brainbow\b|\bmulti\s*colou?r(?:ed|s)?\b",
    re.IGNORECASE,
)
MAX_MATERIAL_WORDS = 3  # the longest material name looked for after a shade ("faux leather", "stainless steel")


class ShadeFinder:
    """In a colour facet, the colours a text names by a shade the facet has no value for ("Burgundy" where there is
    Red, "Lilac" where there is Purple), placed on the value of the nearest shade (``placed_shades``, the mapper's
    colour rule), and read only where the text writes them as a colour: in a segment of the text with nothing but
    colour words ("Women's Satin Skirt - Burgundy", "Navy/Lilac", "Jumper in Cream"), or ending one after the
    product's words ("Mohair Cardigan Lilac"; ``segments``). Many shades name things too ("olive", "mustard",
    "cream"): one that names categories ("Olives", "Mustard") or a value of another facet ("burgundy" a region,
    "lavender" a fragrance) carries those categories and where those facets apply (``Statement.elsewhere``), so
    that it counts only as far as the product's likely categories lie elsewhere ("Velvet Cushion Cover, Mustard" is
    yellow; "Dijon Mustard, 200g" is mustard). One that names a value of a facet that applies everywhere is never
    read."""

    def __init__(self, taxonomy: Taxonomy, facet: str, position: dict[str, int]) -> None:
        values = taxonomy.facet_values(facet)
        placed = named_shades(tuple(values)) | placed_shades(tuple(values)) | between_shades(tuple(values))
        self.shades: dict[str, tuple[int, frozenset[str] | None]] = {}
        self.longest = 0
        self.materials: frozenset[str] = frozenset()
        if not placed:
            self.words: frozenset[str] = frozenset()
            return
        elsewhere = _other_scopes(taxonomy, facet, set(placed))
        things = _named_categories(taxonomy, set(placed))
        for name, vid in placed.items():
            if name in elsewhere and elsewhere[name] is None or singular_key(name) in compounds():
                continue  # a value of a facet that applies everywhere; a food or a happening ("green tea")
            scope = elsewhere.get(name)
            if name in things:
                scope = (scope or frozenset()) | things[name]
            self.shades[name] = (position[vid], scope)
        value_words = {w for v in values for w in normalize(v.name).split()}
        self.words = frozenset({w for name in placed for w in name.split()} | value_words | MODIFIER_WORDS)
        self.words |= COLOUR_CONTEXT_WORDS | {w for name in tied_shades(tuple(values)) for w in name.split()}
        self.longest = max((len(name.split()) for name in self.shades), default=0)
        self.materials = _material_names(taxonomy)
        # a shade that is a material's source ("mulberry", "olive") or a material itself ("stone") is no colour there
        self.material_shades = {
            name: hit
            for name, hit in self.shades.items()
            if name not in material_sources() and name not in self.materials
        }
        # with the survey's spelling of a value's name ("grey" for Gray), which ``_before_its_hue`` reads after a shade
        self.value_names = (
            frozenset(normalize(n) for v in values for n in (v.name, *v.synonyms)) | value_hues(values).keys()
        )

    def segments(self, text: str, marks: re.Pattern[str] = COLOUR_SEGMENT) -> list[str]:
        """The segments of ``text`` (the raw text: its punctuation ``marks`` them) that hold nothing but colour
        words, normalised, less the words of a pattern of colours ("Burgundy Paisley", "Speckled Sage")."""
        if not self.words:
            return []
        out = []
        for segment in marks.split(text):
            words = [w for w in normalize(segment).split() if w not in PATTERN_WORDS - MOTIF_WORDS]
            if words and all(w in self.words for w in words):
                out.append(" ".join(words))
        return out

    def trailing(self, text: str) -> list[str]:
        """The runs of colour words that end a segment of the text after the product's words, with no mark before
        them (but for words naming a pattern after them), normalised: "Mohair Cardigan Lilac" gives "lilac",
        "Athletic Socks Black White Grey" "black white grey", "Tee Navy Grey Stripe" "navy grey". Not after a
        preposition ("Canister for Coffee"): there the noun is what the product is for. A shade that names things
        is not read in such a run: there it is as often the product's noun ("Dijon Mustard", "Single Cream")."""
        return [run for run, _ in self._ending_runs(text)]

    def before_patterns(self, text: str) -> list[str]:
        """The runs of ``trailing`` that words naming a pattern of colours follow ("Maxi Dress Lavender Floral",
        "Scarf Olive Check"): there a shade that names things is the pattern's colour, as before a material's name
        (no motif: "Tote Bag Lemon Print" is a picture of lemons)."""
        return [run for run, patterned in self._ending_runs(text) if patterned]

    def _ending_runs(self, text: str) -> list[tuple[str, bool]]:
        """The runs of ``trailing``, each with whether words naming a pattern of colours, and no motif, follow it."""
        if not self.words:
            return []
        out = []
        for segment in APART_SEGMENT.split(text):
            words = normalize(segment).split()
            pattern: list[str] = []
            while words and words[-1] in PATTERN_WORDS:
                pattern.append(words.pop())
            run = self._run(" ".join(words), reverse=True).split()
            if run and len(run) < len(words) and not PREPOSITIONS.intersection(words[-len(run) - 1 :]):
                out.append((" ".join(run), bool(pattern) and not MOTIF_WORDS.intersection(pattern)))
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

    def before_materials(self, norm: str) -> list[tuple[int, frozenset[str] | None]]:
        """The values named by shades written right before the name of a material (in the taxonomy's facets of
        materials), in a normalised text, each with where else its shade is a value (as ``find``): "Emerald Velvet
        Midi Skirt", "Charcoal Wool Beanie", "Dusty Rose Satin Slip Dress". English puts the colour before the
        material it colours. Not a shade that also names a plant, an animal or a food (``material_sources``): there
        it names the material's source ("Mulberry Silk", "Olive Wood", "Camel Hair"); nor one that is a material
        ("Stone Wool")."""
        if not self.materials:
            return []
        words = norm.split()
        found = []
        for i in range(len(words)):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                name = " ".join(words[i : i + n])
                if name in self.shades:
                    hit = self.material_shades.get(name)
                    if hit is not None and self._names_material(words[i + n :]):
                        found.append(hit)
                    break
        return found

    def _names_material(self, words: list[str]) -> bool:
        """Whether ``words`` begin with the name of a material."""
        return any(" ".join(words[:n]) in self.materials for n in range(1, min(len(words), MAX_MATERIAL_WORDS) + 1))

    def _run(self, text: str, reverse: bool) -> str:
        """The colour words that end (``reverse``) or begin ``text``, normalised."""
        words = normalize(text).split()
        run: list[str] = []
        for word in reversed(words) if reverse else words:
            if word not in self.words:
                break
            run.append(word)
        return " ".join(reversed(run) if reverse else run)

    def find(
        self, segment: str, things: bool = True, made_of: dict[str, tuple[str, ...]] | None = None
    ) -> list[tuple[int, frozenset[str] | None]]:
        """The values the shades in a colour segment name (longest first), each with where else its shade is a
        value (None: nowhere). A value's name is no shade ("Rose Gold" is no rose), and a shade that names things
        is read only where the segment is set apart from the text (``things``: not by a mark that joins it to
        other words, as "&" in "Fig & Olive" does), and not right after a colour: "Red Velvet" is the thing in that
        colour. Nor in a segment that names a motif: "Olive Print" is a picture of olives. Nor a shade beside "natural"
        naming a material the text's other words name too (``made_of``: ``materials_named``; ``_natural_material``)."""
        found: list[tuple[int, frozenset[str] | None]] = []
        words = segment.split()
        things = things and not MOTIF_WORDS.intersection(words)
        i, after_colour = 0, False
        while i < len(words):
            named = self._longest(words, i)
            if named:
                i, after_colour = i + named, True
                continue
            for n in range(min(self.longest, len(words) - i), 0, -1):
                hit = self.shades.get(" ".join(words[i : i + n]))
                if hit is not None:
                    read = hit[1] is None or (things and not after_colour)
                    natural = self._natural_material(words, i, n, made_of or {})
                    if read and not natural and not self._before_its_hue(words, i, n):
                        found.append(hit)
                    i, after_colour = i + n, True
                    break
            else:
                i, after_colour = i + 1, False
        return found

    def _natural_material(self, words: list[str], i: int, n: int, made_of: dict[str, tuple[str, ...]]) -> bool:
        """Whether the shade ``words[i:i+n]`` names a material (a value of a facet of materials, or a kind of one:
        ``lexicon.material_kinds``) that a word beside it says is in its natural state (``NATURAL_WORDS``: "Natural
        Pine", "Straw Natural") and that another word of the text names too (``made_of``: "Wooden Toy Box, Natural
        Pine"): the material's own look, not a hue ("pine" is a green where it names a colour). Without that other
        word "natural" is as often a shade's modifier on a product of no such material ("Hair Dye, Natural
        Chestnut", "Contact Lenses, Natural Hazel", "Cargo Trousers, Natural Olive": brown, brown, green)."""
        name = " ".join(words[i : i + n])
        beside = {words[i - 1] if i else "", words[i + n] if i + n < len(words) else ""}
        if not beside & NATURAL_WORDS:
            return False
        own = {name} if name in self.materials else set(material_kinds().get(name, ()))
        naming = [made_of.get(material, ()) for material in own]
        return any(len(words) > (1 if name in words else 0) for words in naming)  # a word besides this shade

    def materials_named(self, norm: str) -> dict[str, tuple[str, ...]]:
        """The materials the words of a normalised text name, each to the words naming it, once a time it is
        written: a material's name, a kind of one ("pine": wood) or its adjective in -en ("wooden": wood). "Solid
        Pine Bed, Natural Pine" names wood twice."""
        named: dict[str, list[str]] = {}
        for word in norm.split():
            stems = {word[:-2], word[:-3]} if word.endswith("en") else set()
            found = {word} & self.materials | set(material_kinds().get(word, ())) | stems & self.materials
            for material in found:
                named.setdefault(material, []).append(word)
        return {material: tuple(words) for material, words in named.items()}

    def _before_its_hue(self, words: list[str], i: int, n: int) -> bool:
        """Whether a value's name follows the shade ``words[i:i+n]`` ("Slate Blue", "Stone Beige", "Chestnut Brown",
        "Midnight Black"): English puts the word that names the hue last, and a shade before it only says which of
        that hue's colours ("Stone Beige" is a beige, though stone alone is a grey), so the value's name decides, as
        in the mapper's colour stage. Two colours listed are marked apart ("Stone/Beige", "Stone, Beige")."""
        return i + n < len(words) and words[i + n] in self.value_names

    def _longest(self, words: list[str], i: int) -> int:
        """The number of words of the longest value name at ``words[i]`` at least as long as any shade there (0:
        none)."""
        shade = next((n for n in range(self.longest, 0, -1) if " ".join(words[i : i + n]) in self.shades), 0)
        for n in range(len(words) - i, max(shade, 1) - 1, -1):
            if " ".join(words[i : i + n]) in self.value_names:
                return n
        return 0


def named_shades(values: tuple[Value, ...]) -> dict[str, str]:
    """The shades WordNet names only as kinds of one colour (``lexicon.wordnet_shades``: "oxblood", of "oxblood red"),
    where that colour names one of a colour facet's ``values`` -> that value's id; none for a facet that is no
    colour facet (a wine's Red and White)."""
    hues = value_hues(values)
    if not hue_shades(hues):
        return {}
    out = {}
    for word, colour in wordnet_shades().items():
        hue = survey_name(colour)
        if hue in hues:
            out[word] = hues[hue]
    return out


def shade_heads(words: list[str] | tuple[str, ...], spans: Spans[int], text: str) -> set[tuple[int, int, int]]:
    """The mentions that only end a colour named by two values side by side, which the colour survey names as one
    colour: "Blue" in "Navy Blue", where Navy and Blue are both values; the colour is the first one's, as the
    mapper reads it. Side by side in ``text`` (the raw text): "Blue/Grey" lists two colours."""
    out: set[tuple[int, int, int]] = set()
    for start, end, pos in spans.all:
        for end2, pos2 in spans.by_start.get(end, ()):
            phrase = words[start:end2]
            if pos2 != pos and " ".join(phrase) in survey() and side_by_side(phrase, text):
                out.add((end, end2, pos2))
    return out


def _material_names(taxonomy: Taxonomy) -> frozenset[str]:
    """The names and synonyms, normalised, of the values of the taxonomy's facets of materials."""
    return frozenset(
        normalize(name)
        for facet, spec in taxonomy.facets.items()
        if not spec.hierarchical and is_material_facet(facet)
        for v in taxonomy.facet_values(facet)
        for name in (v.name, *v.synonyms)
    )


def _named_categories(taxonomy: Taxonomy, names: set[str]) -> dict[str, frozenset[str]]:
    """Of ``names``, those that name categories (a name or synonym, as ``singular_key`` writes them: "olive" names
    Olives): name -> those categories and everything under them."""
    if "category" not in taxonomy.facets:
        return {}
    keys = {singular_key(name): name for name in names}
    roots: dict[str, list[str]] = {}
    for v in taxonomy.facet_values("category"):
        for key in {singular_key(n) for n in (v.name, *v.synonyms)} & keys.keys():
            roots.setdefault(keys[key], []).append(v.id)
    out = {}
    for name, ids in roots.items():
        scope, stack = set(ids), list(ids)
        while stack:
            children = [c.id for c in taxonomy.children(stack.pop())]
            scope.update(children)
            stack += children
        out[name] = frozenset(scope)
    return out


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
