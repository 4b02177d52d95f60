"""Where a text sets a value apart and how it qualifies a mention: the segment marks and word grammar that the
colour, material and audience readings of stated values share."""

from __future__ import annotations

import re

from tagllm.candidates.compounds import begins_compound
from tagllm.mapping.colours import survey
from tagllm.text import normalize

# Words that make a mention an imitation of the value, not the value: "leather-look", "vegan leather", "faux suede"
# (grammar of imitation: a closed class of qualifiers, the same for any material, colour or finish).
IMITATION_BEFORE = frozenset({"faux", "fake", "imitation", "artificial", "vegan", "mock", "simulated", "pu"})
IMITATION_AFTER = frozenset({"look", "looking", "effect", "like", "imitation", "lookalike", "feel"})
# Words that make a mention an imitation only of a value that has one ("Synthetic Leather", "Synthetic Fur": Faux
# leather, Faux fur): a man-made material named after a natural one; where the facet has no imitation of the value,
# the man-made kind is the value itself ("Synthetic Rubber" is rubber; WordNet files it so).
IMITATION_BEFORE_IMITATED = frozenset({"synthetic", "man made", "manmade"})
# A word after a value that says the product is without it: "plastic-free", "BPA free", "nickel-free" (English
# grammar of absence, the same for any material or ingredient).
ABSENCE_AFTER = frozenset({"free"})
# A word after a material's name that makes it a surface's look, not what the product is made of: "Antique Bronze
# Finish" (a cast aluminium bench), "Grey Marble Coating" (a frying pan), "Copper Tone" (a hair dye), "Stone Coloured"
# (a cotton blazer: the material names the colour).
SURFACE_AFTER = frozenset({"finish", "coating", "tone", "coloured", "colored"})
# Words after a material that name the product as what cleans, cares for, mends, joins or finds it: "Leather
# Conditioner", "Silver Polish", "Suede Protector", "Wood Glue", "Metal Detector" (English names a treatment by its
# object before it; a closed class of the same grammar for any material). The material is what the product acts on.
# Not "wash": a "Wash Bag" is a bag for washing things, as often of the material before it as a "Wool Wash" is for
# washing wool.
TREATMENT_AFTER = frozenset({
    "cleaner", "cleaners", "cleanser", "polish", "polisher", "conditioner", "care", "repair", "restorer", "protector",
    "detector", "detectors", "remover", "treatment", "dip", "glue", "adhesive",
})  # fmt: skip
# Of those, the substances applied to a thing, which name it by its own noun and its material before that: "Wood Floor
# Glue", "Leather Shoe Polish", "Stainless Steel Hob Cleaner", "Ceramic Tile Adhesive" (the floor, shoe, hob or tile
# is of the material; the product acts on it). Not "protector" or "repair": a "Glass Screen Protector" is glass, a
# "Steel Pipe Repair Clamp" steel.
APPLIED_AFTER = frozenset({"glue", "adhesive", "polish", "cleaner", "cleaners", "cleanser", "conditioner", "remover"})
# Tools named after the substance they apply ("Wooden Shoe Polish Brush": the brush is the material's).
APPLYING_TOOLS = frozenset({"brush", "brushes", "applicator", "applicators", "spreader", "gun", "guns", "dispenser"})
# The same acts as a gerund before the product's noun ("Silver Cleaning Cloth"): only after a colour named by a
# metal, since a cloth or a pad for cleaning is often of the fibre before it ("Microfibre Cleaning Cloth", "Wool
# Cleaning Pads"), never of a metal's colour.
TREATING_AFTER = frozenset({"cleaning", "polishing", "conditioning"})
# Words before "white" that name a light's colour temperature ("Warm White LED", "Cool White", "Daylight White"): the
# tone of the light a product gives, not the product's colour (lighting's usage, the same for any lamp).
LIGHT_TONE_BEFORE = frozenset({"warm", "cool", "cold", "daylight"})
# Words naming light, after which a colour is the light's ("Blue Light Blocking Glasses", "Green Beam", "Kettle with
# Blue LED", "Head Torch with Red Light"): the colour of the light a product gives or filters, not its own.
LIGHT_AFTER = frozenset({"light", "beam", "laser", "led", "leds"})
# The same before a Chinese name: "仿皮革" (imitation leather), "人造" (man-made), "假" (fake), "非" (not), "无"
# (without), "不含" (free of): Chinese writes them right before the name, with no space.
CHINESE_NOT_BEFORE = ("仿", "人造", "假", "非", "无", "不含")


# Where a text writes a colour on its own: between separators (", Burgundy", "- Lilac", "Sage/Grey", "(Cream)", the
# end of a line or sentence: a product's text puts its brand and attributes on lines of their own), or after "in"
# ("Jumper in Cream"); grammar, not vocabulary.
def _segment_marks(joiners: str, words: str = "in") -> re.Pattern[str]:
    return re.compile(rf"\s+[-–—]+\s*|[–—]|[,;:|{joiners}()\[\]{{}}【】（）\n]|\.\s|\s+(?:{words})\s+", re.IGNORECASE)


COLOUR_SEGMENT = _segment_marks("/+&")
# The same without the marks that join colours into one ("Blue/Grey Stripe", "Navy & Red Striped"), and with "with",
# which sets the product's colour apart from a part's ("Black with Gold Buckle", "White with Blue Rim"): a colour
# written on its own beside others is set apart from the rest of the text, not joined to a colour inside it.
APART_SEGMENT = _segment_marks("", "in|with")
# Marks that join colours into a list ("Trainers Navy/Orange", "Set of 2, Navy & White Stripe").
JOINERS = re.compile(r"\s*(?:[/&+]|\band\b)\s*", re.IGNORECASE)


def side_by_side(words: list[str] | tuple[str, ...], text: str) -> bool:
    """Whether ``words`` stand next to each other in the raw ``text``, with nothing but spaces between them."""
    return re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", text, re.IGNORECASE) is not None


def names_else(words: tuple[str, ...], start: int, end: int) -> bool:
    """Whether the mention of ``words[start:end]`` does not name the product's value: qualified as an imitation or
    an absence, or the first word of a compound that names something else ("black pepper", "green tea")."""
    return is_qualified(words, start, end) or begins_compound(words, start, end)


def is_qualified(words: tuple[str, ...], start: int, end: int) -> bool:
    """Whether the mention of ``words[start:end]`` is qualified as an imitation ("vegan leather", "leather look") or
    an absence ("plastic-free"): the text names the value to say the product is not made of it."""
    after = words[end] if end < len(words) else ""
    return (start > 0 and words[start - 1] in IMITATION_BEFORE) or after in IMITATION_AFTER or after in ABSENCE_AFTER


def made_as_imitation(words: tuple[str, ...] | list[str], start: int) -> bool:
    """Whether the mention starting at ``start`` follows a word of ``IMITATION_BEFORE_IMITATED`` ("Synthetic Leather
    Upper", "Man-Made Fur Trim"): an imitation of a value that has one."""
    before = " ".join(words[max(start - 2, 0) : start])
    return start > 0 and (words[start - 1] in IMITATION_BEFORE_IMITATED or before in IMITATION_BEFORE_IMITATED)


def names_light_tone(words: tuple[str, ...] | list[str], start: int, end: int) -> bool:
    """Whether the colour mention of ``words[start:end]`` names a light's colour, not the product's: "white" after a
    word naming a light's colour temperature (``LIGHT_TONE_BEFORE``: "Solar Fence Lights, Warm White LED"), or any
    colour before a word naming light (``LIGHT_AFTER``: "Blue Light Blocking Glasses", "Green Beam")."""
    if end < len(words) and words[end] in LIGHT_AFTER:
        return True
    return tuple(words[start:end]) == ("white",) and start > 0 and words[start - 1] in LIGHT_TONE_BEFORE


# Two words written against each other by "+" or "&" with no space between ("BLACK+DECKER", "M&S"): one name.
_WRITTEN_AS_ONE = re.compile(r"\b([^\W_]+)[+&]([^\W_]+)\b")


def names_written_as_one(text: str, colour_words: frozenset[str]) -> tuple[str, set[tuple[str, str]]]:
    """The names ``text`` (the raw text) writes as two words held together by "+" or "&" with no space, the two not
    both colour words ("BLACK+DECKER" is a brand; "Black&White" lists colours): the text with each such name held
    together by a hyphen instead, which sets no colour apart, and the names' word pairs, normalised, whose colour
    word is part of the name, not the product's colour."""
    pairs: set[tuple[str, str]] = set()

    def hold(match: re.Match[str]) -> str:
        first, second = normalize(match.group(1)), normalize(match.group(2))
        if first in colour_words and second in colour_words:
            return match.group(0)
        pairs.add((first, second))
        return f"{match.group(1)}-{match.group(2)}"

    return _WRITTEN_AS_ONE.sub(hold, text), pairs


def inside_name(words: tuple[str, ...], start: int, end: int, pairs: set[tuple[str, str]]) -> bool:
    """Whether the one-word mention ``words[start:end]`` is a word of a name ``names_written_as_one`` found."""
    if end - start != 1:
        return False
    after = end < len(words) and (words[start], words[end]) in pairs
    return after or (start > 0 and (words[start - 1], words[start]) in pairs)


def names_surface(words: tuple[str, ...] | list[str], end: int) -> bool:
    """Whether the material mention ending at ``end`` names a surface's look (``SURFACE_AFTER``)."""
    return end < len(words) and words[end] in SURFACE_AFTER


def names_treatment(words: tuple[str, ...] | list[str], start: int, end: int, gerunds: bool = False) -> bool:
    """Whether the material mention ``words[start:end]`` names what the product treats, not what it is made of:
    before a word of ``TREATMENT_AFTER`` (with ``gerunds``, of ``TREATING_AFTER`` too), or joined by "and" to a word
    before one ("Leather Conditioner", "Brass and Copper Cleaner"), or before a thing's noun and a substance applied
    to it (``applied_past_noun``: "Wood Floor Glue"), or after "for", alone or joined to a word after
    it ("Laundry Liquid for Cashmere", "Detergent for Wool and Silk")."""
    joined = end + 2 < len(words) and words[end] == "and"
    after = words[end + 2] if joined else words[end] if end < len(words) else ""
    # a word, whether ``words`` is a list or a tuple; a Chinese mention's ``start`` counts characters, past the words
    preceding = words[start - 1] if 0 < start <= len(words) else ""
    before = words[start - 3] if preceding == "and" and start >= 3 else preceding
    treats = after in TREATMENT_AFTER or gerunds and after in TREATING_AFTER
    return treats or before == "for" or applied_past_noun(words, end)


def applied_past_noun(words: tuple[str, ...] | list[str], end: int) -> bool:
    """Whether a substance applied to a thing (``APPLIED_AFTER``) follows the material mention ending at ``end`` past
    one word, the thing's noun ("Wood Floor Glue", "Leather Shoe Polish"), and is no tool's name for it ("Wooden Shoe
    Polish Brush": ``APPLYING_TOOLS``)."""
    noun = words[end] if end < len(words) else ""
    if (
        not noun.isalpha()
        or noun in ("and", "or", "with")
        or end + 1 >= len(words)
        or words[end + 1] not in APPLIED_AFTER
    ):
        return False
    return end + 2 >= len(words) or words[end + 2] not in APPLYING_TOOLS


# Particles of English phrasal verbs, which a hyphen joins to their verb to make an adjective of it ("Iron-On", "Clip-
# On", "Pull-Out"): a closed class.
PARTICLES = ("on", "off", "in", "out", "up", "down")
_JOINED_PARTICLE = "|".join(PARTICLES)


def joined_to_particle(words: tuple[str, ...] | list[str], text: str) -> bool:
    """Whether the raw ``text`` writes ``words`` joined by a hyphen to a particle (``PARTICLES``: "Iron-On
    Patches", "iron-on transfer"): the word is the verb of a phrasal verb there, not a noun."""
    written = r"\s+".join(map(re.escape, words))
    pattern = rf"(?<![\w-]){written}-(?:{_JOINED_PARTICLE})(?![\w-])"
    return re.search(pattern, text, re.IGNORECASE) is not None


# Words after a particle that make it a preposition or part of a phrase of its own ("Up to 50%", "On the Go").
_AFTER_PREPOSITION = frozenset({"to", "the", "a", "an", "and", "or", "of", "for", "with", "your", "my"})


# The particles a material's verb takes written apart before the product's word ("Iron On Patches", "Lace Up
# Boots"). "off", "out" and "down" written apart more often open the shape of a garment or its fill ("Cotton Off
# Shoulder Top", "Cotton Out Seam Gloves", "Silk Down Pillow"), so apart they leave the material as it is; joined
# by a hyphen ("Pull-Out") every particle still makes a verb (``joined_to_particle``).
_APART_PARTICLES = ("on", "up")


def before_particle(words: tuple[str, ...] | list[str], end: int, names_value: bool) -> bool:
    """Whether the mention ending at ``end`` is written apart before a particle (``_APART_PARTICLES``) and a word
    that makes no phrase of the particle's own ("Iron On Patches", "iron on transfer"): title case writes the
    phrasal verb apart as often as joined. Not where the particle or the word after it begins another value's name
    (``names_value``: "Oil on Canvas", where "on" is a preposition before the other material; "Cotton Down
    Comforter", where "down" is a material), is a function word ("Leather Up to 50% Off") or makes a colour with it
    ("Cotton Off White")."""
    if end + 1 >= len(words) or words[end] not in _APART_PARTICLES or names_value:
        return False
    after = words[end + 1]
    return after.isalpha() and after not in _AFTER_PREPOSITION and f"{words[end]} {after}" not in survey()


def is_absent(words: tuple[str, ...], end: int) -> bool:
    return end < len(words) and words[end] in ABSENCE_AFTER


# An American -ize ending, after four letters or more ("galvanized", "vulcanized"; not "size", "prize", "maize"),
# which British spelling writes -ise ("galvanised"): an English spelling rule, not a list of words.
_AMERICAN_IZE = re.compile(r"(?<=\w{4})iz(e|ed|es|er|ing|ation)$")


def british(phrase: str, spellings: dict[str, str]) -> str:
    """The phrase respelt the British way (normalised): by ``spellings`` (American to British: 'gray' -> 'grey')
    and with -ize written -ise ('galvanized steel' -> 'galvanised steel')."""
    return " ".join(_AMERICAN_IZE.sub(r"is\1", word) for word in respell(phrase, spellings).split())


def respell(phrase: str, spellings: dict[str, str]) -> str:
    """The phrase with each word respelt (normalised): 'Gray' -> 'grey', 'Aluminum' -> 'aluminium'."""
    return " ".join(spellings.get(w, w) for w in normalize(phrase).split())
