"""Colours a text states beyond the value names: shades a colour facet has no value for ("Burgundy" for Red), read
where the text writes them as a colour, and the colours it lists or joins ("Black/Yellow", "Navy & White Stripe")."""

from __future__ import annotations

import re

from tagllm.candidates.stated.segments import APART_SEGMENT, COLOUR_SEGMENT, JOINERS, side_by_side
from tagllm.mapping.colours import placed_shades, survey
from tagllm.mapping.modifier_words import MODIFIER_WORDS
from tagllm.phrases import Spans
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize, singular_key

# Words naming a pattern of colours, which may follow a list of them at the end of a segment ("Navy & White Stripe").
PATTERN_WORDS = frozenset({
    "stripe", "stripes", "striped", "check", "checks", "checked", "checkered", "chequered", "plaid", "tartan", "spot",
    "spots", "spotted", "dot", "dots", "polka", "print", "printed", "pattern", "patterned", "marl", "colourblock",
    "colorblock",
})  # fmt: skip
COLOUR_CONTEXT_WORDS = frozenset({"colour", "color", "coloured", "colored", "and", "with", "shade", "tone"})


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
