"""The finder of the values of one facet that a text states: value names, synonyms and other-language labels found
as whole words (substrings in Chinese), with the colour, material and audience readings of their own modules."""

from __future__ import annotations

from collections.abc import Iterable, KeysView
from dataclasses import dataclass

from tagllm.attributes import SPELLINGS
from tagllm.candidates.stated.audience import (
    audience,
    both_sexes_phrases,
    kin_words,
    names_buyer,
    young_gender_words,
)
from tagllm.candidates.stated.colours import MANY_COLOURS, ShadeFinder, shade_heads
from tagllm.candidates.stated.materials import (
    alloy_positions,
    fibre_names,
    fineness_stated,
    imitations,
    is_material_facet,
    kind_phrases,
    kinds_stated,
    main_fibre,
    material_adjectives,
    material_codes,
    product_nouns,
    written_apart,
)
from tagllm.candidates.stated.mentions import Mention, MentionContext, first_rejection
from tagllm.candidates.stated.segments import (
    APART_SEGMENT,
    british,
    names_light_tone,
    names_written_as_one,
)
from tagllm.mapping.colours import many_colours_value, survey
from tagllm.mapping.families import facet_aliases
from tagllm.phrases import PhraseTable, Spans
from tagllm.taxonomy import Taxonomy
from tagllm.text import normalize, word_forms

MIN_ALIAS_CHARS = 3  # letter-size spellings ("S", "M", "XL") are names in a size facet, not words to spot in a title


@dataclass(frozen=True)
class Statement:
    """One value of a facet stated in a text: its label-space position and how it is stated (a key of
    ``STATED_PROBABILITY``). ``elsewhere``: for a colour named by a shade that also names a value of other facets
    ("burgundy", a wine region; "lavender", a fragrance), the categories those facets apply to."""

    value: int
    how: str
    elsewhere: frozenset[str] | None = None
    for_buyer: bool = False  # in an audience facet: named as whom the product is for (``names_buyer``)
    written_apart: bool = False  # a material or a colour written as a segment of its own (``written_apart``)
    as_colour: bool = False  # a material named by a colour ("Bronze", "Stone") written as a segment of its own


Shade = tuple[int, frozenset[str] | None]  # a value named by a shade, with the categories it names elsewhere


@dataclass(frozen=True)
class ColourSegments:
    """Where a text writes colours: its segments of colour words alone (``ShadeFinder.segments``), the colours
    joined at a segment's end (``joined``), the runs of colour words ending a segment (``trailing``), and the
    segments of colour words alone set apart by marks that join no colours (``apart``)."""

    segments: list[str]
    joined: list[str]
    trailing: list[str]
    apart: list[str]

    @property
    def set_apart(self) -> set[str]:
        """The segments where a shade that also names things is read as a colour: set apart or joined."""
        return {*self.apart, *self.joined}


def _add_shades(kept: dict[int, bool], shades: list[Shade]) -> dict[int, frozenset[str]]:
    """Adds the values named by shades to ``kept`` (as stated in Latin script), and returns, for each value named
    only by a shade that also names things of other facets and not otherwise, those things' categories
    (``Statement.elsewhere``)."""
    elsewhere: dict[int, frozenset[str]] = {}
    for pos, scope in shades:
        if pos not in kept and scope is not None:
            elsewhere[pos] = elsewhere.get(pos, frozenset()) | scope
        elif pos in elsewhere and scope is None:
            del elsewhere[pos]
        kept[pos] = True
    return elsewhere


def _british_forms(phrases: list[tuple[str, int]], american: dict[str, str]) -> list[tuple[str, int]]:
    """The phrases that British spelling writes otherwise, so spelt (``segments.british``: "Gray" -> "grey",
    "galvanized iron" -> "galvanised iron"), each to its phrase's value."""
    return [(spelt, pos) for phrase, pos in phrases if (spelt := british(phrase, american)) != normalize(phrase)]


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
        phrases += young_gender_words(values, position) + both_sexes_phrases(values, position)
        kin = kin_words(values, position)  # read only after "for" (``mentions.kin_not_for``)
        self.kin = frozenset(word for word, _ in kin)
        phrases += kin
        self.is_material = is_material_facet(facet)
        self.codes = material_codes(values, position, MIN_ALIAS_CHARS) if self.is_material else {}
        if self.is_material:
            phrases += material_adjectives(values, position) + fibre_names(values, position) + list(self.codes.items())
        american = {a: b for b, a in SPELLINGS.items()}
        kinds = kind_phrases(values, position) if self.is_material else []
        self.kinds = PhraseTable(kinds + _british_forms(kinds, american))
        self.product_nouns = product_nouns(taxonomy) if self.is_material else frozenset()
        self.alloys = alloy_positions(values, position) if self.is_material else {}
        # a material named by a colour ("Stone", "Clay") written apart is as often the product's colour
        self.shade_named = frozenset(position[v.id] for v in values if normalize(v.name) in survey())
        phrases += _british_forms(phrases, american)
        self.phrases = PhraseTable(phrases)
        self.imitations = imitations(values, position)
        self.shades = ShadeFinder(taxonomy, facet, position)
        # a colour named by a material ("silver") may be the material a product treats ("Silver Polish")
        self.material_colours = self.shades.materials & {normalize(v.name) for v in values}
        self.multi_valued = taxonomy.facets[facet].multi_valued
        self.audience = audience(values, position)  # empty: no audience facet
        many = many_colours_value(values) if self.shades.words else None
        self.many_colours = position[many] if many is not None else None

    def __call__(self, norm: str, text: str | None = None) -> list[Statement]:
        """The values the text states, each once, in label-space order (``text``: the text before normalising,
        whose punctuation shows where it writes a colour on its own; without it no shade, list or kind of a material
        is read). A kind of a material ("Teak"), or a metal named by its fineness ("14K Gold"), counts only where the
        text names no value of the facet outright, and names kinds of one value alone."""
        statements = self._named(norm, text)
        if statements or not self.is_material or text is None:
            return statements
        kinds = kinds_stated(self.kinds, text, self.product_nouns) | fineness_stated(self.alloys, text)
        return [Statement(kinds.pop(), "sole, by a kind")] if len(kinds) == 1 else []

    def _named(self, norm: str, text: str | None) -> list[Statement]:
        """The values the text names: by their names, synonyms and labels, adjectives, imitations and shades."""
        spans = Spans(self.phrases.spans(norm))
        names: set[tuple[str, str]] = set()
        if self.shades.words and text is not None:  # "BLACK+DECKER": a name, no colours listed
            text, names = names_written_as_one(text, self.shades.words)
        layout = self._colour_segments(text)
        shades = self._shades_named(norm, text, layout)
        many = self.many_colours if self.many_colours is not None and MANY_COLOURS.search(norm) else None
        if not spans.by_start and not shades and many is None:
            return []
        words = word_forms(norm)[0]
        heads = shade_heads(words, spans, text) if self.shades.words and text is not None else set()
        context = MentionContext(
            words=words,
            text=text,
            spans=spans,
            heads=heads,
            names=names,
            compact=norm.replace(" ", ""),
            is_material=self.is_material,
            reads_shades=bool(self.shades.words),
            codes=self.codes,
            imitations=self.imitations,
            kinds=self.kinds,
            material_colours=self.material_colours,
            kin=self.kin,
        )
        kept, buyer, by_kind = self._mentioned(context)
        many_only = many is not None and many not in kept  # not also named as the value ("Multicolour")
        if many is not None:
            kept[many] = True  # "Assorted Colours", "Rainbow", "Multicoloured"
        named = set(kept)
        elsewhere = _add_shades(kept, shades)
        written, listed, apart = self._set_apart(text, layout, named, kept.keys())
        several = self.multi_valued and not self.shades.words  # colours: one named in a phrase is often a part's
        how = "sole" if len(kept) == 1 else "one of several" if several else "shared"
        main = self._main_fibre(text, kept.keys())
        as_colour = self._as_colour(text)
        statements = []
        for pos, latin in sorted(kept.items()):
            stated = "listed" if pos in listed else "sole on its own" if pos in apart else how
            if pos == main:
                stated = "sole"
            if not latin and stated == how:
                stated = "sole (Chinese)" if how == "sole" else "shared (Chinese)"
            if stated == "sole" and pos in by_kind:
                stated = "sole, by a kind"
            elif stated == "sole" and pos not in named:
                stated = "sole, by a shade"
            if many_only and pos == many and stated in ("sole", "shared"):
                stated = "many colours"
            statements.append(
                Statement(pos, stated, elsewhere.get(pos), pos in buyer, pos in written, pos in as_colour)
            )
        return statements

    def _as_colour(self, text: str | None) -> set[int]:
        """In a facet of materials, the values named by a colour that the text writes as a segment of their own
        ("Sandals, Bronze, UK 6"; ``Statement.as_colour``): as often the product's colour as its material."""
        if not self.is_material or text is None or not self.shade_named:
            return set()
        return written_apart(self.phrases, text, frozenset()) & self.shade_named

    def _shades_named(self, norm: str, text: str | None, layout: ColourSegments) -> list[Shade]:
        """The shades the text names where it writes colours: in its segments of colour words (a shade that names
        things only in those set apart), in the runs ending a segment, before a pattern of colours ("Dress Lavender
        Floral") and before a material."""
        set_apart, made_of = layout.set_apart, self.shades.materials_named(norm)
        shades = [hit for s in layout.segments for hit in self.shades.find(s, s in set_apart, made_of)]
        shades += [hit for run in layout.trailing for hit in self.shades.find(run, False, made_of)]
        if text is not None:
            shades += [hit for run in self.shades.before_patterns(text) for hit in self.shades.find(run)]
            shades += self.shades.before_materials(norm)
        return shades

    def _mentioned(self, context: MentionContext) -> tuple[dict[int, bool], set[int], set[int]]:
        """The values the text's mentions state, each to whether it is stated in Latin script (else only as a
        Chinese substring), after the rules of ``mentions.MENTION_RULES`` set mentions aside; the values named as
        whom the product is for; and the values named by a kind of a material alone (in the first, stated in Latin
        script)."""
        kept: dict[int, bool] = {}
        buyer: set[int] = set()
        by_kind: set[int] = set()
        for start, end, pos in context.spans.all:
            mention = Mention(start, end, pos)
            rejection = first_rejection(context, mention)
            if rejection is not None:
                kept |= dict.fromkeys(rejection.instead, True)
                by_kind |= rejection.by_kind
                continue
            is_latin = context.is_latin(mention)
            kept[pos] = kept.get(pos, False) or is_latin
            is_sex = self.audience.get(pos)
            if is_sex is not None and is_latin and names_buyer(context.words, start, end, not is_sex):
                buyer.add(pos)
        by_kind -= kept.keys()
        kept |= dict.fromkeys(by_kind, True)
        return kept, buyer, by_kind

    def _set_apart(
        self, text: str | None, layout: ColourSegments, named: set[int], kept: KeysView[int]
    ) -> tuple[set[int], set[int], set[int]]:
        """Of the values stated (``kept``), those written apart (``Statement.written_apart``: a material by
        ``materials.written_apart`` among the ``named``, a colour on its own or listed), those the text lists as
        the product's colours, and those it writes apart as the product's: the listed, else the one value on its
        own in a text that names several."""
        written = (
            written_apart(self.phrases, text, self.shade_named) & named
            if self.is_material and text is not None
            else set()
        )
        set_apart = layout.set_apart
        lists = [run for run in layout.trailing if len(self._on_their_own([run], set_apart)) >= 2]
        listed = self._listed(layout.segments + layout.joined + lists, set_apart) & kept
        on_own = self._on_their_own(layout.apart, set_apart) & kept if text is not None else set()
        if self.shades.words and text is not None:  # a colour written apart: "Cat Tunnel, Grey", "(Colour: Grey)"
            written = on_own | listed
        alone = on_own if len(kept) > 1 and not listed else set()
        apart = listed or (alone if len(alone) == 1 else set())  # the colours written apart are the product's
        return written, listed, apart

    def _main_fibre(self, text: str | None, kept: Iterable[int]) -> int | None:
        """In a facet of materials, the value a composition names as more than half of the product, where the text
        names no value outside the composition ("95% Viscose 5% Elastane"): it is stated as the sole material is,
        the minor fibres beside it as one of several."""
        if not self.is_material or text is None:
            return None
        found = main_fibre(self.phrases, text)
        if found is None:
            return None
        main, others = found
        return main if main in kept and set(kept) - {main} <= others else None

    def _colour_segments(self, text: str | None) -> ColourSegments:
        """Where ``text`` (None: not known, so nowhere) writes colours."""
        if text is None:
            return ColourSegments([], [], [], [])
        shades = self.shades
        return ColourSegments(
            shades.segments(text), shades.joined(text), shades.trailing(text), shades.segments(text, APART_SEGMENT)
        )

    def _listed(self, segments: list[str], set_apart: set[str]) -> set[int]:
        """In a multi-valued colour facet, the values the text lists as the product's colours: two or more, each
        named in a segment of colour words alone ("Black/Yellow", "Pack of 3 - Black, White, Grey", "Navy & Gold",
        "Athletic Socks Black White Grey")."""
        if not self.multi_valued or not segments:
            return set()
        named = self._on_their_own(segments, set_apart)
        return named if len(named) >= 2 else set()

    def _on_their_own(self, segments: list[str], set_apart: set[str]) -> set[int]:
        """The values named in segments of colour words alone (a shade that names things only in those of
        ``set_apart``)."""
        named: set[int] = set()
        for segment in segments:
            spans = Spans(self.phrases.spans(segment))
            words = segment.split()
            heads = shade_heads(words, spans, segment)
            named |= {
                pos
                for start, end, pos in spans.all
                if (start, end, pos) not in heads
                and not spans.inside_longer(start, end, pos)
                and not names_light_tone(words, start, end)
            }
            named |= {pos for pos, _ in self.shades.find(segment, things=segment in set_apart)}
        return named
