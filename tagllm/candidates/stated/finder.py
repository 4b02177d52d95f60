"""The finder of the values of one facet that a text states: value names, synonyms and other-language labels found
as whole words (substrings in Chinese), with the colour, material and audience readings of their own modules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tagllm.attributes import SPELLINGS
from tagllm.candidates.stated.audience import audience, names_buyer, young_gender_words
from tagllm.candidates.stated.colours import MANY_COLOURS, ShadeFinder, shade_heads
from tagllm.candidates.stated.lexicon import begins_kind_of_next, ends_other_compound
from tagllm.candidates.stated.materials import (
    fibre_names,
    imitations,
    is_material_facet,
    kind_phrases,
    kinds_stated,
    main_fibre,
    material_adjectives,
    material_codes,
    product_nouns,
    written_apart,
    written_as_code,
)
from tagllm.candidates.stated.segments import (
    APART_SEGMENT,
    CHINESE_NOT_BEFORE,
    british,
    inside_name,
    is_absent,
    is_qualified,
    names_else,
    names_light_tone,
    names_surface,
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
        phrases += young_gender_words(values, position)
        self.is_material = is_material_facet(facet)
        self.codes = material_codes(values, position, MIN_ALIAS_CHARS) if self.is_material else {}
        if self.is_material:
            phrases += material_adjectives(values, position) + fibre_names(values, position) + list(self.codes.items())
        american = {a: b for b, a in SPELLINGS.items()}
        kinds = kind_phrases(values, position) if self.is_material else []
        self.kinds = PhraseTable(kinds + _british_forms(kinds, american))
        self.product_nouns = product_nouns(taxonomy) if self.is_material else frozenset()
        # a material named by a colour ("Stone", "Clay") written apart is as often the product's colour
        self.shade_named = frozenset(position[v.id] for v in values if normalize(v.name) in survey())
        phrases += _british_forms(phrases, american)
        self.phrases = PhraseTable(phrases)
        self.imitations = imitations(values, position)
        self.shades = ShadeFinder(taxonomy, facet, position)
        self.multi_valued = taxonomy.facets[facet].multi_valued
        self.audience = audience(values, position)  # empty: no audience facet
        many = many_colours_value(values) if self.shades.words else None
        self.many_colours = position[many] if many is not None else None

    def __call__(self, norm: str, text: str | None = None) -> list[Statement]:
        """The values the text states, each once, in label-space order (``text``: the text before normalising,
        whose punctuation shows where it writes a colour on its own; without it no shade, list or kind of a material
        is read). A kind of a material ("Teak") counts only where the text names no value of the facet outright, and
        names kinds of one value alone."""
        statements = self._named(norm, text)
        if statements or not self.is_material or text is None:
            return statements
        kinds = kinds_stated(self.kinds, text, self.product_nouns)
        return [Statement(kinds.pop(), "sole, by a kind")] if len(kinds) == 1 else []

    def _named(self, norm: str, text: str | None) -> list[Statement]:
        """The values the text names: by their names, synonyms and labels, adjectives, imitations and shades."""
        spans = Spans(self.phrases.spans(norm))
        names: set[tuple[str, str]] = set()
        if self.shades.words and text is not None:  # "BLACK+DECKER": a name, no colours listed
            text, names = names_written_as_one(text, self.shades.words)
        segments, joined, trailing, apart_segments = self._colour_segments(text)
        set_apart = {*apart_segments, *joined}
        shades = [hit for s in segments for hit in self.shades.find(s, things=s in set_apart)]
        shades += [hit for run in trailing for hit in self.shades.find(run, things=False)]
        if text is not None:  # a shade that names things, before a pattern of colours: "Dress Lavender Floral"
            shades += [hit for run in self.shades.before_patterns(text) for hit in self.shades.find(run)]
        if text is not None:
            shades += self.shades.before_materials(norm)
        many = self.many_colours if self.many_colours is not None and MANY_COLOURS.search(norm) else None
        if not spans.by_start and not shades and many is None:
            return []
        words = word_forms(norm)[0]
        latin_end = len(words) + 1
        kept: dict[int, bool] = {}  # value -> stated in Latin script (else only as a Chinese substring)
        buyer: set[int] = set()  # values named as whom the product is for
        heads = shade_heads(words, spans, text) if self.shades.words and text is not None else set()
        compact = norm.replace(" ", "")  # where the Chinese mentions are, past latin_end
        by_kind: set[int] = set()  # values named by a kind written as a word and the material it is a kind of
        for start, end, pos in spans.all:
            if start < latin_end and is_qualified(words, start, end) and pos in self.imitations:
                if not spans.inside_longer(start, end, pos) and not is_absent(words, end):
                    kept[self.imitations[pos]] = True  # "vegan leather", "leather-effect": Faux leather
                continue
            if start < latin_end and names_else(words, start, end) or (start, end, pos) in heads:
                continue
            if start < latin_end and self.shades.words and names_light_tone(words, start, end):
                continue  # "Warm White LED": the light's tone
            if start < latin_end and inside_name(words, start, end, names):
                continue  # "BLACK+DECKER"
            if self._unwritten_code(words, start, end, pos, text):
                continue  # "pu" where the text writes no "PU"
            if self.is_material and start < latin_end and ends_other_compound(words, start, end):
                continue  # "Steel Wool Pads", "Mineral Wool Roll": something else, of another material
            if self.is_material and start < latin_end and begins_kind_of_next(words, start, end):
                by_kind |= {pos for first, _, pos in self.kinds.spans(" ".join(words[start:])) if first == 0}
                continue  # "Carbon Steel Wok": a kind of steel, its value the next word's or the kind's
            if self.is_material and start < latin_end and names_surface(words, end):
                continue  # "Antique Bronze Finish", "Marble Coating": the look of a surface, not its material
            if start >= latin_end and compact[: start - latin_end].endswith(CHINESE_NOT_BEFORE):
                continue
            if not spans.inside_longer(start, end, pos):
                kept[pos] = kept.get(pos, False) or start < latin_end
                is_sex = self.audience.get(pos)
                if is_sex is not None and start < latin_end and names_buyer(words, start, end, not is_sex):
                    buyer.add(pos)
        by_kind -= kept.keys()
        kept |= dict.fromkeys(by_kind, True)
        many_only = many is not None and many not in kept  # not also named as the value ("Multicolour")
        if many is not None:
            kept[many] = True  # "Assorted Colours", "Rainbow", "Multicoloured"
        named = set(kept)
        elsewhere: dict[int, frozenset[str]] = {}
        for pos, scope in shades:
            if pos not in kept and scope is not None:
                elsewhere[pos] = elsewhere.get(pos, frozenset()) | scope
            elif pos in elsewhere and scope is None:
                del elsewhere[pos]
            kept[pos] = True
        written = (
            written_apart(self.phrases, text, self.shade_named) & named
            if self.is_material and text is not None
            else set()
        )
        lists = [run for run in trailing if len(self._on_their_own([run], set_apart)) >= 2]
        listed = self._listed(segments + joined + lists, set_apart) & kept.keys()
        on_own = self._on_their_own(apart_segments, set_apart) & kept.keys() if text is not None else set()
        if self.shades.words and text is not None:  # a colour written apart: "Cat Tunnel, Grey", "(Colour: Grey)"
            written = on_own | listed
        alone = on_own if len(kept) > 1 and not listed else set()
        apart = listed or (alone if len(alone) == 1 else set())  # the colours written apart are the product's
        several = self.multi_valued and not self.shades.words  # colours: one named in a phrase is often a part's
        how = "sole" if len(kept) == 1 else "one of several" if several else "shared"
        main = self._main_fibre(text, kept.keys())
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
            statements.append(Statement(pos, stated, elsewhere.get(pos), pos in buyer, pos in written))
        return statements

    def _unwritten_code(self, words: tuple[str, ...], start: int, end: int, pos: int, text: str | None) -> bool:
        """Whether the mention of ``words[start:end]`` is a material's short code (``material_codes``) that the raw
        text does not write as one: a word of two letters is read only in capitals, and never without the text."""
        code = " ".join(words[start:end])
        return self.codes.get(code) == pos and (text is None or not written_as_code(code, text))

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

    def _colour_segments(self, text: str | None) -> tuple[list[str], list[str], list[str], list[str]]:
        """Where ``text`` (None: not known) writes colours: its segments of colour words alone (``ShadeFinder.
        segments``), the colours joined at a segment's end (``joined``), the runs of colour words ending a segment
        (``trailing``), and the segments of colour words alone set apart by marks that join no colours."""
        if text is None:
            return [], [], [], []
        shades = self.shades
        return shades.segments(text), shades.joined(text), shades.trailing(text), shades.segments(text, APART_SEGMENT)

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
