"""The head of a product title: what the product is, told from what it is for, made of or goes with.

A product title names what the product is in its head phrase and what it is for, made of or compatible with around
it: "Silicone Spatula Set, Heat Resistant, Dishwasher Safe" is a spatula set, "Wireless Earbuds with Transparency
Mode" are earbuds, "小米电动牙刷" is a toothbrush made by 小米. The head phrase is the title up to its first separator
("," "(" " - " "|" …; the first one of three words or more, see ``HeadFinder.phrase_words``), cut at its first
connective ("for", "with", …) that follows a word heading a value's name (after none, the connective is inside a
brand or a style: "Scullers For Her … Shirts", "Classic Fit Oxford Shirt for Men"), and before a measure that
follows its noun ("Coffee Mug 350ml Matte Black": ``HeadFinder.before_measure``). Its head is the rightmost word
in it that heads some value's name in the taxonomy (English puts the head last: "Dishwasher Safe" ends in an
adjective no category is named by, so the word before it is taken; a colour, material or pattern word only when no
other word heads a name), else its rightmost word; a word that meets the word before it as a two-word name has
them ("Table Lamp Ceramic Base Linen Shade" is a table lamp) is the head over a later word apart from it, two words
a value's name writes as one are that word ("Shoe Laces" for Shoelaces: ``HeadFinder.close_compounds``), and a
collective noun ("set", "pack", "pair"…) gives way to the noun it counts (``HeadFinder.counted``); an attribute
listed after the product's noun and before a colour or size ("Ankle Boots Block Heel Tan") gives way to that noun
(``HeadFinder.before_trailing``); a word that names an attribute of the product with one of its values before it
("Oxford Shirt Long Sleeve Slim Fit", "Leggings High Waist") gives way to the product's noun
(``HeadFinder.names_attribute``). The first word of the phrase naming a product is the other reading
(``HeadFinder.first_reading``: sellers name the product first and list its features after it, "Sofa Grey Modern
Living Room"); the category's labels choose between the two (``tagllm.candidates.head``). Chinese puts the head
last too: of two names written one right after the other ("小米" + "电动牙刷"), the first modifies the second
(``HeadNoun``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tagllm.candidates.head_keys import COLLECTIVE, MIN_HEAD_LETTERS, head_key, is_word
from tagllm.candidates.particles import join_particles
from tagllm.candidates.title_compounds import Compounds
from tagllm.text import has_cjk, looks_plural, normalize

if TYPE_CHECKING:
    from tagllm.candidates.head_words import AttributeWords

# Where a title's head phrase ends: punctuation that starts a list of features or a qualification, and the
# connectives that start a complement (what the product is for, comes with, fits); grammar, not vocabulary.
SEPARATOR = re.compile(r"\s+[-–—|/]\s+|[,;:(\[{【（|]|\s+[-–—]+$")
CONNECTIVES = frozenset(
    {"for", "with", "without", "w", "compatible", "fits", "fit", "featuring", "including", "incl", "from", "by", "to"}
) | {
    "in"
}  # where a product is kept ("Candle in Amber Glass Jar"), but not a particle ("Plug-In", "Plug In": particles.py),
# "7 in 1" nor "10 in"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?$")  # a measure's number, as normalised ("10", "10.5")
NEGATING_PREFIXES = frozenset({"non", "anti"})  # "non-slip", "anti-fog": prefixes of English adjectives, not words
# Words that make the word before them an adjective's first half: "slip resistant", "dishwasher safe", "pet friendly",
# "BPA free", "water proof" (English compound adjectives; a closed class of grammar, not a list of products)
ADJECTIVE_ENDINGS = frozenset({"resistant", "proof", "safe", "free", "friendly", "repellent"})
MIN_PHRASE_WORDS = 3
MAX_SIZE_LETTERS = 3  # a size written as letters: S, XL, XXL
MAX_UNIT_LETTERS = 4  # a unit written apart from its number: qt, ft, cm, oz, inch, pack
FUNCTION_WORDS = frozenset({"and", "or", "of", "the", "s"})  # not counted as a phrase's words ("Hot & Cold")


@dataclass(frozen=True)
class TitleHead:
    """A title's head phrase (normalised) and its head word with the word before it (as ``head_key``s, '' if
    none)."""

    phrase: str
    word: str
    before: str


class HeadFinder(Compounds):
    """Finds a title's head phrase and head word; ``known`` are the words that head some value's name, ``pairs`` the
    (head word, word before it) of the names that have two words or more; ``embed`` (texts to L2-normalised vectors)
    weighs an attribute listed after the product (``before_trailing``)."""

    def __init__(
        self,
        known: set[str],
        pairs: set[tuple[str, str]] | None = None,
        describing: set[str] | None = None,
        shades: frozenset[str] = frozenset(),
        embed: Callable[[list[str]], np.ndarray] | None = None,
        attributes: AttributeWords | None = None,
        parts: frozenset[str] = frozenset(),
        substances: frozenset[str] = frozenset(),
    ) -> None:
        self.known = known
        self.parts = parts
        self.substances = substances
        self.attributes = attributes or {}
        self.pairs = pairs or set()
        self.describing = describing or set()
        self.shades = shades
        self.embed = embed

    def __call__(self, title: str) -> TitleHead:
        words = self.phrase_words(title)
        if not words:
            return TitleHead("", "", "")
        if has_cjk(" ".join(words)):  # no word boundaries to find a head word at: the phrase alone is embedded
            return TitleHead(" ".join(words), "", "")
        opened: list[str] = []
        closed: set[int] = set()  # the second halves of closed compounds opened: "paperclip" read "paper clip"
        for word in words:
            parts = self.open_compound(word)
            closed |= {len(opened) + 1} if len(parts) == 2 else set()
            opened += parts
        words = self.before_measure(self.close_compounds(opened, closed))
        candidates = [i for i, w in enumerate(words) if is_word(w)]
        known = [i for i in candidates if head_key(words[i]) in self.known and not self.in_adjective(words, i)]
        # a colour, material or pattern after the product's noun describes it ("Dinner Plates Set of 6 Matte White")
        naming = [i for i in known if not self.describes(words, i, known)]
        known = naming if naming else known
        described = {j for i in known if self.names_attribute(words, i, known) for j in (i - 1, i)}
        known = [i for i in known if i not in described]  # "Shirt Short Sleeve": neither word is the product
        known = self.before_trailing(words, known)
        # a word met with the word before it as a value's name has them ("Table Lamp Ceramic Base Linen Shade") is
        # the head over a later word that heads a name alone: what follows it describes it
        # (of two words apart: a closed compound opened, "Paperclip Chain Necklace", is a modifier like any word)
        paired = [i for i in known if i not in closed and self.paired(words, i) and not self.material(words, i, known)]
        if paired and known[-1] > paired[-1] and not self.apart(words, paired[-1], known[-1]):
            paired = []  # a compound ("T-Shirt Bra", "Baby Girl's Sweatshirt"): its last noun is the head
        at = self.counted((paired or known or candidates or [len(words) - 1])[-1], words, known)
        before = next((head_key(w) for w in reversed(words[:at]) if is_word(w)), "")
        return TitleHead(" ".join(words[: at + 1]), head_key(words[at]), before)

    def first_reading(self, head: TitleHead) -> TitleHead | None:
        """The other reading of a head phrase: its first word that names a product (with the words naming products
        right after it, "Pressure Washer", "Anklet Set", or a value's two-word name, "Polo T Shirt"), when that is not
        ``head``'s word. Sellers name the product first and its features after it ("Sofa Grey Modern Living Room",
        "Overcoat Single Breasted Knee Length", "Sprinkler 20 Nozzles Adjustable Range"), where the rightmost word
        heading a name is a feature's; English puts the head last ("Linen Throw Pillow Cover") where the first is a
        modifier. The phrase's first word is never the other reading: a title leads with its brand ("Arrow Men Grey
        Trousers", "Fossil Men Brown Wallet", "Locomotive Men Shirts"). Nor is a substance before a product's noun
        (``material``): what the product is made of ("Soy Wax Scented Candle" is a candle, whose reading "Soy Wax" the
        category's label is as near). The category's evidence chooses between the two
        (``tagllm.candidates.head.HeadNoun.reading``); None when there is no other."""
        words = head.phrase.split()
        nouns = [
            i
            for i, w in enumerate(words)
            if i and self.names_product(w) and head_key(w) not in self.shades and not self.in_adjective(words, i)
        ]
        nouns = [i for i in nouns if not self.material(words, i, nouns)]
        if not nouns:
            return None
        at = nouns[0]
        while at + 1 in nouns or (at + 2 in nouns and self.paired(words, at + 2)):
            at += 1
        at = self.counted(at, words, nouns)
        if head_key(words[at]) == head.word:
            return None
        before = next((head_key(w) for w in reversed(words[:at]) if is_word(w)), "")
        return TitleHead(" ".join(words[: at + 1]), head_key(words[at]), before)

    def describes(self, words: list[str], i: int, known: list[int]) -> bool:
        """Whether the word at ``i`` describes the product: a broad attribute's value, or a shade listed after the
        product's noun ("Hoodie Charcoal XL", "Beanie Hat Cream"): followed only by ``listed`` words, with a product's
        noun before it that is no shade, right after a word that is no shade ("Cherry Tomatoes" are tomatoes;
        "Charcoal Grill", "Liquid Lipstick Long Lasting" and a lone "Lipstick" name products)."""
        key = head_key(words[i])
        if self.paired(words, i):  # "Wine Glass": a value's two-word name, not a material
            return False
        if key in self.describing:
            return True
        if key not in self.shades or i == 0 or head_key(words[i - 1]) in self.shades:
            return False
        return all(self.listed(w) for w in words[i + 1 :]) and bool(self.nouns_before(words, known, i))

    def names_attribute(self, words: list[str], i: int, known: list[int]) -> bool:
        """Whether the word at ``i`` names an attribute of a product named before it, with one of the attribute's
        values right before it: "Long Sleeve" (sleeve length: Long) after "Shirt", "High Waist" (waist rise: High)
        after "Leggings", "Pointed Toe" (toe style: Pointed) after "Flats". The attribute must apply to a category
        that the earlier noun heads (``attribute_words``); a pair that is a value's own name ("Wine Glass") names
        the product. Or it names a part of a body or a garment (``parts``) after a word that names no product: "Wide
        Leg" after "Jumpsuit", "Y Back" after "Braces" (no attribute names them; "Laptop Sleeve" is a sleeve)."""
        if i < 2 or (head_key(words[i]), head_key(words[i - 1])) in self.pairs:
            return False
        word = head_key(words[i])
        nouns = self.nouns_before(words, known, i - 1)
        if word in self.parts and nouns and not self.names_product(words[i - 1]):
            return True
        return len(word) >= MIN_HEAD_LETTERS and any(
            facet_word.startswith(word) and any(heads is None or head_key(words[j]) in heads for j in nouns)
            for facet_word, heads in self.attributes.get(head_key(words[i - 1]), ())
        )

    def before_trailing(self, words: list[str], known: list[int]) -> list[int]:
        """The words heading names up to the product's noun, when the last one names an attribute of the product
        listed after it ("Ankle Boots Block Heel Tan", "Polo Shirt Short Sleeve White XL"): followed by ``listed``
        words of which one is a word (a colour or size: "Chronograph Watch PL129-02" ends in a model's code), after a
        word that is not its two-word name with it ("Stroller Rain Cover Clear"), with a product's noun earlier and a
        word between ("Laptop Sleeve 14 Inch Grey" is a sleeve) or a plural noun right before it ("Chelsea Boots
        Elastic Side": English compounds take a singular modifier); followed by more than colours and sizes only when
        no word after it names a product and a word between names a value of an attribute that applies to the noun
        (``attribute_between``: "Trail Running Shoes Waterproof Grip Size 11"; "T-Shirt Bra Seamless Moulded Cups"
        stays a bra), and (given ``embed``) the phrase through it closer to the phrase through that noun than to the
        words after the noun ("men s chelsea boots stacked heel" is closer to "men s chelsea boots" than to "stacked
        heel"; "car phone mount" to "phone mount" than to "car"); else ``known``."""
        at = known[-1] if known else 0
        after = words[at + 1 :]
        if at < 2 or (head_key(words[at]), head_key(words[at - 1])) in self.pairs or not any(map(is_word, after)):
            return known
        earlier = self.nouns_before(words, known, at - 1)
        if not earlier and self.names_product(words[at - 1]) and looks_plural(words[at - 1]):
            earlier = [at - 1]  # "Chelsea Boots Elastic Side": a plural noun modifies no noun after it
        if not earlier:
            return known
        noun = earlier[-1]
        again = [j for j in earlier if head_key(words[j]) == head_key(words[at])]
        if again:  # the product's noun said twice: "Cat Litter Mat Double Layer Honeycomb Trapping Mat Waterproof"
            return [i for i in known if i <= again[-1]]
        if not all(self.listed(w) for w in after):
            # more words than colours and sizes follow: only when none names a product and the phrase after the
            # noun holds a value of an attribute of it ("Trail Running Shoes Waterproof Grip Size 11")
            loose = all(self.listed(w) or not self.names_product(w) for w in after)
            if not loose or not self.attribute_between(words, noun, at):
                return known
        if self.embed is not None:
            whole, product, rest = self.embed(
                [" ".join(words[: at + 1]), " ".join(words[: noun + 1]), " ".join(words[noun + 1 : at + 1])]
            )
            if float(whole @ product) <= float(whole @ rest):
                return known
        return [i for i in known if i <= noun]

    def attribute_between(self, words: list[str], noun: int, at: int) -> bool:
        """Whether a word after the product's noun, up to ``at``, is a value of an attribute that applies to a
        category the noun heads ("Shoes Waterproof Grip": waterproof is a shoe's feature; "Boots Elastic Side": elastic
        a boot's closure)."""
        key = head_key(words[noun])
        return any(
            heads is None or key in heads
            for word in words[noun + 1 : at + 1]
            for _, heads in self.attributes.get(head_key(word), ())
        )

    def nouns_before(self, words: list[str], known: list[int], end: int) -> list[int]:
        """The positions in ``known`` before ``end`` whose words name a product and are no shade nor a material."""
        return [
            j
            for j in known
            if j < end
            and self.names_product(words[j])
            and head_key(words[j]) not in self.shades
            and not self.material(words, j, known)
        ]

    def material(self, words: list[str], i: int, known: list[int]) -> bool:
        """Whether the word at ``i`` is a substance (``substances``: a mass noun, so not written in the plural)
        followed by a word that names a product and no part of one: what the product is made of or holds ("Soy Wax
        Scented Candle", "Olive Oil Dispenser"), though a value is named by it ("Soy Wax")."""
        return (
            head_key(words[i]) in self.substances
            and not looks_plural(words[i])
            and any(j > i and self.names_product(words[j]) and head_key(words[j]) not in self.parts for j in known)
        )

    def listed(self, word: str) -> bool:
        """Whether a word after a shade is one more attribute listed at a title's end: a colour, a broad attribute's
        value, a size or a measure ("Charcoal Grey", "Charcoal XL", "Cream 130x170"), not more words about the
        product ("Lipstick Long Lasting")."""
        key = head_key(word)
        return key in self.describing or key in self.shades or not is_word(word) or len(word) <= MAX_SIZE_LETTERS

    def counted(self, at: int, words: list[str], known: list[int]) -> int:
        """The head behind a collective noun ("Wooden Spoon Set" is spoons, "Baby Bib Waterproof Silicone Pack" bibs):
        the rightmost word before it that heads a name and does not describe, unless the two words are a value's
        name themselves ("Tea Set", "First Aid Kit")."""
        if head_key(words[at]) not in COLLECTIVE or (
            at and (head_key(words[at]), head_key(words[at - 1])) in self.pairs
        ):
            return at
        inner = [i for i in known if i < at and (self.names_product(words[i]) or self.paired(words, i))]
        return inner[-1] if inner else at

    def paired(self, words: list[str], i: int) -> bool:
        """Whether the word at ``i`` and the word before it are a value's two-word name ("Wine Glass")."""
        return i > 0 and (head_key(words[i]), head_key(words[i - 1])) in self.pairs

    @staticmethod
    def apart(words: list[str], i: int, j: int) -> bool:
        """Whether a word of two letters or more stands between positions ``i`` and ``j`` (a possessive's 's' does
        not)."""
        return any(is_word(w) and len(w) > 1 for w in words[i + 1 : j])

    def before_measure(self, words: list[str]) -> list[str]:
        """The words before the first measure that follows a word heading some value's name: sellers write sizes and
        quantities after the product's noun ("Coffee Mug 350ml Matte Black", "Dutch Oven 5.5 Qt Red"), and what
        follows them describes it. A measure is a number with a unit attached ("350ml", "8x10") or followed by
        another number ("1.7L" reads "1 7l") or by a short word that heads no value's name ("5 qt", "12 in"), and a
        count ("3 Pack", "50 Count", "Pack of 4"), before which a noun other than a collective one holds the count
        and goes too ("Nitrile Gloves Box of 100"); a bare number before a longer word is a model's name ("Air Max 90
        Running Shoes") and cuts nothing. A measure followed by a word naming a product comes before that noun ("18 K
        Ring", "10 L Standard Backpack") unless it is a count after a product's noun ("Velvet Hangers 50 Pack Non
        Slip") or a unit written onto its number right after one ("Shower Gel Body Wash 500ml Coconut & Vanilla": the
        flavour follows the size)."""
        for i, word in enumerate(words):
            if not word[0].isdigit() or not any(head_key(w) in self.known for w in words[:i] if is_word(w)):
                continue
            if i >= 2 and words[i - 1] == "of" and self.names(words[: i - 2]):
                if head_key(words[i - 2]) in COLLECTIVE:
                    return words[: i - 1]  # a count after the noun: "Toothbrush Pack of 4 Charcoal Bristles"
                if is_word(words[i - 2]):
                    return words[: i - 2]  # what holds the count: "Nitrile Gloves Box of 100"
            after = words[i + 1] if i + 1 < len(words) else ""
            attached = not word.isdigit() or after[:1].isdigit()  # "500ml", "8x10", "1.7L" read "1 7l"
            count = head_key(after) in COLLECTIVE  # "Velvet Hangers 50 Pack Non Slip"
            sized = attached and self.names_product(words[i - 1])  # right after the noun: "Body Wash 500ml Coconut"
            after_noun = count or sized or self.capacity(words, i)
            if self.names(words[i + 1 :]) and not (after_noun and self.names(words[:i])):
                continue  # the measure comes before the noun ("18 K Ring", "10 L Standard Backpack", "Set of 2 Mugs")
            unit = attached or count or self.capacity(words, i)
            unit = unit or (
                0 < len(after) <= MAX_UNIT_LETTERS and after.isalpha() and head_key(after) not in self.known
            )
            if unit:
                return words[:i]
        return words

    @staticmethod
    def capacity(words: list[str], i: int) -> bool:
        """Whether the number at ``i`` counts what the product holds, in a word the phrase before it has already
        named ("Egg Cooker 7 Egg Capacity", "Wine Rack 12 Bottle"): a measure of the product, not a new noun."""
        after = words[i + 1] if i + 1 < len(words) else ""
        return is_word(after) and head_key(after) in {head_key(w) for w in words[:i] if is_word(w)}

    def in_adjective(self, words: list[str], i: int) -> bool:
        """Whether the word at ``i`` is half of an adjective written in two words: after a negating prefix ("Non
        Slip", "Anti-Fog", "Non-Stick") or before a word that makes an adjective of it ("Slip Resistant", "Dishwasher
        Safe", "Pet Friendly"), or that word itself unless the two are a value's name ("Gun Safe"): "Bath Mat Non Slip"
        is a mat, "Work Boots Slip Resistant" are boots."""
        before = words[i - 1] if i > 0 else ""
        if words[i] in ADJECTIVE_ENDINGS and is_word(before):  # "Dishwasher Safe", though "Gun Safe" is a safe
            return (head_key(words[i]), head_key(before)) not in self.pairs
        return before in NEGATING_PREFIXES or (i + 1 < len(words) and words[i + 1] in ADJECTIVE_ENDINGS)

    def names(self, words: list[str]) -> bool:
        """Whether one of the words names a product (``names_product``)."""
        return any(self.names_product(w) for w in words)

    def names_product(self, word: str) -> bool:
        """Whether the word heads a value's name, and neither describes nor counts."""
        key = head_key(word)
        return is_word(word) and key in self.known and key not in self.describing and key not in COLLECTIVE

    def phrase_words(self, title: str) -> list[str]:
        """The normalised words of the head phrase: a segment of the title between separators, cut at its first
        connective that follows a word heading some value's name (a connective after none is inside a brand or a
        style: "Scullers For Her … Check Shirts", "Classic Fit Oxford Shirt for Men" is cut at "for", not "fit").
        The first segment of at least ``MIN_PHRASE_WORDS`` words ("and", "of" … not counted: "Hot & Cold" is two) is
        taken, else the longest that names a product ("Voylla Metal, Alloy Necklace"): a title may open with its brand
        and an occasion ("Membooz Casual, Party … Women's Top"). A later segment that opens with a connective is a
        complement ("A4 Laminator Machine, Hot & Cold, with 20 Laminating Pouches"): only where no other segment names
        a product ("REDMOMD RF-510 1600W, compact, with cool air shot Hair Dryer")."""
        segments: list[tuple[bool, bool, int, list[str]]] = []  # (names a product, no complement, words, words)
        for segment in SEPARATOR.split(title):
            words = normalize(join_particles(segment, title)).split()
            cut = False
            for i, w in enumerate(words):
                # "7 in 1" is a count and "10 in Skillet" a size in inches: neither starts a complement
                counts = w == "in" and (
                    i + 1 < len(words) and words[i + 1].isdigit() or i > 0 and _NUMBER.match(words[i - 1])
                )
                if w in CONNECTIVES and not counts and any(is_word(x) and head_key(x) in self.known for x in words[:i]):
                    words, cut = words[:i], True
                    break
            # a segment after the first that opens with a connective is a complement ("…, with 20 Pouches")
            complement = bool(segments) and bool(words) and words[0] in CONNECTIVES
            count = sum(is_word(w) and w not in FUNCTION_WORDS for w in words)
            if not complement and (count >= MIN_PHRASE_WORDS or cut and self.names(words)):
                return words  # cut after a product's noun: the phrase ("Dehumidifier 12L/Day with Laundry Mode")
            segments.append((self.names(words), not complement, count, words))
        if not segments:
            return []
        *_, count, words = max(segments, key=lambda s: (s[0], s[1], s[2]))
        return words if count else []
