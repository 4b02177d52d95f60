"""The rules that set a mention of a facet's value aside before it counts as stated, one function a rule.

``StatedFinder`` finds every phrase of its facet's table in a text; a phrase found is not yet a value the text
states: "vegan leather" is no leather, "Warm White LED" no white product, "Steel Wool Pads" no wool. Each rule here
reads one mention against the text around it and says whether it sets the mention aside, and why; they are applied
in the order of ``MENTION_RULES`` and the first that rejects a mention decides, so each can be read, tested and
measured alone. A rule may name other values in the mention's place (an imitation's value, the material a kind is
of): ``Rejection`` carries them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tagllm.candidates.stated.audience import after_for, kin_names_buyer
from tagllm.candidates.stated.lexicon import (
    begins_alloy,
    begins_kind_of_next,
    begins_living_thing,
    ends_other_compound,
    is_no_verb,
)
from tagllm.candidates.stated.materials import written_as_code
from tagllm.candidates.stated.segments import (
    CHINESE_NOT_BEFORE,
    before_particle,
    inside_name,
    is_absent,
    is_qualified,
    joined_to_particle,
    made_as_imitation,
    names_else,
    names_light_tone,
    names_surface,
    names_treatment,
)
from tagllm.phrases import PhraseTable, Spans


@dataclass(frozen=True)
class Mention:
    """One phrase of the facet's table found in the text: ``words[start:end]`` (positions past the Latin words are
    in the text's Chinese, spaces removed, see ``MentionContext.latin_end``), naming the value at label-space
    position ``value``."""

    start: int
    end: int
    value: int


@dataclass(frozen=True)
class MentionContext:
    """What the rules read a mention against: the text's words and marks, and the facet's tables.

    ``text`` is the text before normalising (None: not known); ``heads`` the mentions that head a shade's name
    (``colours.shade_heads``); ``names`` the word pairs of names written as one ("BLACK+DECKER",
    ``segments.names_written_as_one``); ``compact`` the normalised text without spaces, where the Chinese mentions
    are; ``reads_shades`` whether the facet is one of colours; ``codes`` a material facet's short codes ("pu");
    ``imitations`` each value's imitation value (leather -> Faux leather); ``kinds`` the kinds of a material
    ("teak" -> Wood); ``material_colours`` in a colour facet the values' names that name a material too ("silver",
    "bronze"); ``kin`` in an audience facet the words for kin it reads ("mum", ``audience.KIN_WORDS``)."""

    words: tuple[str, ...]
    text: str | None
    spans: Spans[int]
    heads: set[tuple[int, int, int]]
    names: set[tuple[str, str]]
    compact: str
    is_material: bool
    reads_shades: bool
    codes: dict[str, int]
    imitations: dict[int, int]
    kinds: PhraseTable[int]
    material_colours: frozenset[str] = frozenset()
    kin: frozenset[str] = frozenset()

    @property
    def latin_end(self) -> int:
        """Where the Chinese mentions start: ``PhraseTable.spans`` places them past the Latin words."""
        return len(self.words) + 1

    def is_latin(self, mention: Mention) -> bool:
        """Whether the mention is of the text's Latin words (else a Chinese substring)."""
        return mention.start < self.latin_end


@dataclass(frozen=True)
class Rejection:
    """A rule's verdict on a mention it sets aside, with the values it names in the mention's place: ``instead``,
    stated outright; ``by_kind``, stated only where nothing else in the text names them."""

    instead: frozenset[int] = frozenset()
    by_kind: frozenset[int] = frozenset()


REJECTED = Rejection()

MentionRule = Callable[[MentionContext, Mention], Rejection | None]


def imitation(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a value that has an imitation value, named qualified as an imitation or an absence ("vegan leather",
    "leather-effect", "leather-free"; "synthetic leather", ``segments.made_as_imitation``): the product is not made
    of it. An imitation (not an absence, not inside a longer mention) states the imitation value instead: Faux
    leather."""
    words, start, end = context.words, mention.start, mention.end
    if not context.is_latin(mention) or mention.value not in context.imitations:
        return None  # a Chinese mention's ``start`` counts characters past the words
    if not (is_qualified(words, start, end) or made_as_imitation(words, start)):
        return None
    if context.spans.inside_longer(start, end, mention.value) or is_absent(words, end):
        return REJECTED
    return Rejection(instead=frozenset({context.imitations[mention.value]}))


def names_something_else(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a mention qualified as an imitation or an absence, or the first word of a compound that names
    something else ("Black Pepper", "Green Tea"): the text names the value to say something other than the
    product's."""
    return REJECTED if context.is_latin(mention) and names_else(context.words, mention.start, mention.end) else None


def shade_head(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a mention that heads a shade's name (``colours.shade_heads``): the shade names the colour, its head
    alone does not."""
    return REJECTED if (mention.start, mention.end, mention.value) in context.heads else None


def light_tone(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a colour facet, a colour that names a light's ("Warm White LED", "Blue Light Blocking Glasses"):
    the tone of the light a product gives or filters, not the product's colour."""
    named = context.reads_shades and names_light_tone(context.words, mention.start, mention.end)
    return REJECTED if context.is_latin(mention) and named else None


def inside_written_name(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a word of a name written as one with "+" or "&" ("BLACK+DECKER"): a brand, not a colour."""
    inside = inside_name(context.words, mention.start, mention.end, context.names)
    return REJECTED if context.is_latin(mention) and inside else None


def unwritten_code(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a material's short code (``materials.material_codes``: "pu") that the raw text does not write as
    one, in capitals and a word of its own ("PU Leather"; "10 PC Set" counts pieces), and never without the text:
    a code is as often a word of another sense."""
    code = " ".join(context.words[mention.start : mention.end])
    if context.codes.get(code) != mention.value:
        return None
    return REJECTED if context.text is None or not written_as_code(code, context.text) else None


def other_compound(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a material facet, a word that ends a compound naming something else ("Steel Wool Pads", "Mineral
    Wool Roll"): made of, or named after, another material."""
    ends = ends_other_compound(context.words, mention.start, mention.end)
    return REJECTED if context.is_material and context.is_latin(mention) and ends else None


def living_thing(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a material facet, a material's name that begins a compound naming a plant or an animal
    (``lexicon.living_compounds``: "Rubber Plant", "Copper Beech Hedging", "Cork Oak Sapling"), and in a colour
    facet a colour named by a material there ("Silver Birch Tree"): the word names a species, neither what the
    product is made of nor its colour."""
    words, start, end = context.words, mention.start, mention.end
    named = context.is_material or " ".join(words[start:end]) in context.material_colours
    return REJECTED if named and context.is_latin(mention) and begins_living_thing(words, start, end) else None


def verb_with_particle(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a material facet, a material's name that the raw text joins by a hyphen to a verb's particle
    (``segments.joined_to_particle``: "Iron-On Patches"), or writes apart before one and a word of the product's
    (``segments.before_particle``: "Iron On Patches"; not "Oil on Canvas", nor "Cotton Down Comforter", whose "down"
    is a value itself): the word is a verb there ("to iron on"), not the product's material. Written apart, a
    material English makes no verb of (``lexicon.is_no_verb``: "Silk On Skin Pillowcase") stays its material."""
    if not context.is_material or not context.is_latin(mention):
        return None
    words, end = context.words, mention.end
    names_value = end in context.spans.by_start or end + 1 in context.spans.by_start
    if before_particle(words, end, names_value=names_value) and not is_no_verb(words[end - 1]):
        return REJECTED
    joined = context.text is not None and joined_to_particle(words[mention.start : end], context.text)
    return REJECTED if joined else None


def kind_of_next(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a material facet, a word that with the word after it names a kind of that next word ("Carbon
    Steel Wok"): it only qualifies the material. The kinds the text begins there state their material where
    nothing else names it (``Rejection.by_kind``)."""
    words, start = context.words, mention.start
    if not (context.is_material and context.is_latin(mention) and begins_kind_of_next(words, start, mention.end)):
        return None
    by_kind = {pos for first, _, pos in context.kinds.spans(" ".join(words[start:])) if first == 0}
    return Rejection(by_kind=frozenset(by_kind))


def alloy(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a material facet, a metal named together with another metal after it (``lexicon.begins_alloy``:
    "Chrome Vanadium Spanner Set"): the two name an alloy, of neither metal alone. The kind the second word names
    states its material (Metal) where nothing else names one (``Rejection.by_kind``); a value of the facet named
    second ("Copper Brass") leaves both as they are."""
    words, start, end = context.words, mention.start, mention.end
    if not (context.is_material and context.is_latin(mention) and begins_alloy(words, start, end)):
        return None
    if end in context.spans.by_start:
        return None
    by_kind = {pos for first, _, pos in context.kinds.spans(" ".join(words[end:])) if first == 0}
    return Rejection(by_kind=frozenset(by_kind))


def surface(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a material facet, a material named as a surface's look ("Antique Bronze Finish", "Marble
    Coating"): what the surface looks like, not what the product is made of."""
    named = names_surface(context.words, mention.end)
    return REJECTED if context.is_material and context.is_latin(mention) and named else None


def treated(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a material named as what the product cleans, cares for, mends or finds ("Leather Conditioner", "Suede
    Protector", "Metal Detector", "Detergent for Cashmere"), in a material facet, and in a colour facet a colour
    named by a material ("Silver Polish", "Silver Cleaning Cloth"): the product acts on the material; it is neither
    made of it nor of its colour."""
    words, start, end = context.words, mention.start, mention.end
    colour = " ".join(words[start:end]) in context.material_colours
    treats = (context.is_material or colour) and names_treatment(words, start, end, gerunds=colour)
    return REJECTED if context.is_latin(mention) and treats else None


def colour_for(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects, in a colour facet, a colour that begins the object of "for" (``audience.after_for``: "Nesting Box for
    Blue Tits", "Dog Shampoo for White Coats", "Laces for White Trainers"): what the product is for, not its own
    colour; in a facet of materials ``treated`` already sets such a material aside."""
    named = context.reads_shades and context.is_latin(mention) and after_for(context.words, mention.start)
    return REJECTED if named else None


def kin_not_for(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a word for kin ("Mum", "Brother") that is not the object of "for", and a "his" outside "his and hers"
    (``audience.kin_names_buyer``): "Gift for Mum" names whom the product is for; "Mother of Pearl Cufflinks",
    "Brother Label Printer" do not."""
    words, start, end = context.words, mention.start, mention.end
    is_kin = " ".join(words[start:end]) in context.kin
    return REJECTED if is_kin and not kin_names_buyer(words, start, end) else None


def negated_in_chinese(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a Chinese mention written right after a word that negates or imitates it ("仿皮革", imitation
    leather; "无" without; ``segments.CHINESE_NOT_BEFORE``): Chinese writes these before the name, with no space."""
    if context.is_latin(mention):
        return None
    before = context.compact[: mention.start - context.latin_end]
    return REJECTED if before.endswith(CHINESE_NOT_BEFORE) else None


def inside_longer(context: MentionContext, mention: Mention) -> Rejection | None:
    """Rejects a mention inside a longer mention of another value ("blue" in "Navy Blue"): the longer names the
    value."""
    return REJECTED if context.spans.inside_longer(mention.start, mention.end, mention.value) else None


MENTION_RULES: tuple[MentionRule, ...] = (
    imitation,
    names_something_else,
    shade_head,
    light_tone,
    inside_written_name,
    unwritten_code,
    other_compound,
    living_thing,
    verb_with_particle,
    kind_of_next,
    alloy,
    surface,
    treated,
    colour_for,
    kin_not_for,
    negated_in_chinese,
    inside_longer,
)


def first_rejection(context: MentionContext, mention: Mention) -> Rejection | None:
    """The verdict of the first rule of ``MENTION_RULES`` that rejects the mention; None: the mention states its
    value."""
    for rule in MENTION_RULES:
        rejection = rule(context, mention)
        if rejection is not None:
            return rejection
    return None
