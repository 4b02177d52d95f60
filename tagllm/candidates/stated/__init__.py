"""Stated values: a value the product's text names (its name, a synonym, an other-language label, or a word a facet
rule gives it: "Men" for Male), turned into the probability that the value is right by a fixed, measured mapping.

This is the evidence that needs no examples. A mention is found at word boundaries in Latin scripts and as a
substring in Chinese; a mention inside a longer mention of the same facet does not count ("gold" inside "rose gold",
"steel" inside "stainless steel"), nor one that calls the value an imitation or an absence ("faux leather",
"plastic-free"; in Chinese "仿皮革", "无塑料"); an imitation states the facet's value named as one where it has
it ("vegan leather", "PU leather", "leather-effect": Faux leather). Nor does a material named as what the product
cleans, treats or finds ("Leather Conditioner", "Metal Detector", "Detergent for Wool"; a colour named by a metal as
well: "Silver Polish"; ``mentions.treated``), nor one that begins the name of a plant or an animal ("Rubber Plant",
"Copper Beech"; a colour named by a metal too: "Silver Birch"; ``mentions.living_thing``) or is a verb with its
particle, joined to it by a hyphen or written apart before the product's word ("Iron-On Patches", "Iron On Letters";
apart, only a word WordNet knows as a verb: "Silk On Skin Pillowcase" is of silk; ``mentions.verb_with_particle``),
nor a metal named before another, which together name an alloy ("Chrome Vanadium Spanner": Metal; ``mentions.alloy``),
nor a colour that begins the object of "for" ("Nesting Box for Blue Tits"; ``mentions.colour_for``), nor a shade
naming a material beside "natural" where another word names that material too ("Wooden Toy Box, Natural Pine": the
wood's look; "Hair Dye, Natural Chestnut" is brown; ``ShadeFinder``). In a facet of materials, a material's adjective
in -en names it ("Wooden" Wood, "Woollen" Wool). How a value is mentioned sets its probability
(``STATED_PROBABILITY``):

- ``sole``: the only value of the facet the text names ("White Cotton T-Shirt": White for colour);
- ``shared``: one of several values of the facet the text names ("Navy Blue Shirt": Navy and Blue);
- either of them found only as a Chinese substring (``sole (Chinese)``, ``shared (Chinese)``): a substring of a
  title with no word boundaries is far less often the product's own value (功效 "补水" inside a longer claim);
- ``sole, by a shade``: the only colour the text names, by a shade the facet has no value for (``ShadeFinder``);
- ``listed``: in a multi-valued colour facet, two or more colours each written in a segment of colour words alone
  ("Trainers, Black/Yellow", "Vest Tops, Pack of 3 - Black, White, Grey") or joined by a mark that joins colours
  wherever the text writes them ("Trainers Navy/Orange", "Navy & Red Striped Top"; ``ShadeFinder.joined``), or run
  together with no mark where they end the product's words ("Athletic Socks Black White Grey";
  ``ShadeFinder.trailing``): the text lists the product's colours.
- ``sole on its own``: of several colours the text names, the only one written in such a segment, the others inside
  phrases that name a part or something else ("Crossbody Bag with Gold Chain, Black", "Stud Earrings, White,
  Sterling Silver Posts"; before "with": "Leather Belt, Black with Gold Buckle"): the colour written on its own is
  the product's;
- ``many colours``: in a colour facet with a value for many colours ("Multicolor"), colours counted or assorted
  ("24 Colours", "Assorted Colours", "Rainbow Colours"), a rainbow, or many-coloured ("Multi Coloured") where the value
  is not named as such: 0.7, the lower end (0.709) of the Wilson interval of 245 of the 323 fashion titles so written
  whose gold colour is Multi (the others a main colour: "Multi Coloured Shirt", White); on the hand-labelled titles
  of ``zero_cases.yaml`` and ``zero_cases_attributes{2..8}.yaml`` (session s41) 24 of 24 were right;
- ``one of several``: in a multi-valued facet other than colour, one of several values the text names ("Ceramic Lamp
  with Linen Shade"): a product of several materials names each; a second colour named in a phrase is as often a
  part's, so colours stay ``shared``;
- ``sole, by a kind``: in a facet of materials that the text names no value of, a word naming a kind of one of its
  materials (WordNet 3.0's hypernyms: ``lexicon.material_kinds``) used as the material, before the words naming the
  product or set apart ("Teak Garden Bench", "Earrings, Sterling Silver Posts" where the facet has no Sterling
  silver: Metal), not as an imitation ("Oak Effect") nor naming the product ("Roasted Walnut"), and a colour's name
  ("Steel", "Pine") only before a product's word ("Pine Bedside Table", not "Steel Grey"); and so a metal named
  after a fineness in karats ("14K Gold", "9ct Yellow Gold": Metal; ``materials.fineness_stated``): 0.75, the lower end
  (0.798) of the Wilson interval of 23 right of 24 such answers on the hand-labelled titles of ``zero_cases.yaml``
  and ``zero_cases_attributes{2..8}.yaml`` (session s41; the wrong one: "Beard Oil and Balm Grooming Kit", Resin).

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
hand-labelled titles 37 of 39 (lower end 0.831, so 0.8). With shades that name things read where set apart, and
shades and colours run together where they end the product's words (session s40), ``StatedFinder`` alone on
``zero_cases.yaml`` and ``zero_cases_attributes{2..7}.yaml`` (``--cases``): by a shade 91 of 93 (66 of 68 before,
lower end 0.925), listed 161 of 162 (152 of 154 before, 0.966): both probabilities kept. A colour on its own
beside others: on the hand-labelled titles of ``zero_cases.yaml`` and ``zero_cases_attributes{2,3,4,5}.yaml`` 8 of
8, on
``zero_cases_attributes6.yaml``, written without knowledge of the rule and not used for it, 1 of 1 (9 of 9: lower
end 0.701, so 0.7). One of several: Flipkart's multi-valued facets other than colour (Ideal For, Occasion)
47 of 61 (lower end 0.651, so 0.65); on the hand-labelled titles, material 138 of 150.

In an audience facet (values Male and Female), a value named as whom the product is for ("Men's", "Girls'",
"Ladies", "for Him", "Unisex"; a word for kin after "for": "Gift for Mum", "for my Grandad"; a baby's sex: "Baby
Girl"; groups of both sexes written together name Unisex where the facet has it: "for Boys Girls", "Men's & Women's";
not a bare "Man" or "Men", as often part of a name: "Iron Man", "Mr. Men") holds even where the product's best
category lists no audience (``Statement.for_buyer``, ``applies.unlisted_weights``), at
``UNLISTED_PROBABILITY``: 0.9, the lower end (0.94) of the Wilson interval of 91 right of 92 answers so given on
the hand-labelled titles of ``zero_cases.yaml`` and ``zero_cases_attributes{2..6}.yaml`` (session s39,
docs/eval.md; the wrong one: "Ladies Night Poster"). So is a material written as a segment of its own ("Camping Tent,
Waterproof, Polyester, Green"; ``Statement.written_apart``; not one named by a colour, "Chino Shorts - Stone"), at 0.7:
11 right of 11 such answers at 0.75 on the same titles (lower end 0.74). So is a colour written in a segment of colour
words set apart ("Cat Tunnel, Grey", "(Colour: Grey & Pink)"), listed or on its own, at 0.7 as well: on
``zero_cases.yaml`` and ``zero_cases_attributes{2..8}.yaml`` it gave 24 more right answers and no wrong one (session
s41, docs/eval.md; lower end 0.86).

Where the product's best category lists a facet of the kind but not the value the text states, while a category near
it (another of its grandparent's subtree) lists the value, the value holds at ``BESIDE_PROBABILITY`` (``applies.
beside_weights``): Shopify lists a category's material under one kind of it, unevenly from a category to the next
("Jute Tote Bag": a tote bag's bag material has no Jute, but other luggage and bag categories list it; "Copper Mugs":
no drinkware category lists Copper, but table knives beside drinkware do). 0.85: 24 right of 24 such answers at that
probability on the hand-labelled titles of ``zero_cases.yaml`` and ``zero_cases_attributes{2..9}.yaml`` with the
parent's subtree alone (session s42, docs/eval.md; lower end 0.86), the titles the rule was written on; with the
grandparent's (session s45), on ``zero_cases.yaml`` and ``zero_cases_attributes{2..12}.yaml``, 65 of 67; with a
value the chosen category lists raised to it where its likely categories' share weighed it lower, 199 of 203.
A kind of a material (``sole, by a kind``) is not so read ("Activated Charcoal Face Mask": Carbon), nor a material
named by a colour that the text writes as a segment of its own (``Statement.as_colour``: "Sandals, Bronze, UK 6").
In a facet of materials the same holds where the best category lists no material at all, at
``UNLISTED_BESIDE_PROBABILITY``: Shopify gives no material to sleeping bags, tents, hammocks or saris while categories
beside them have one, and a category chosen with no examples is often a near miss ("Satin" the fabric for "Satin
Pyjama Set"). Not a material named only in the plural ("Reading Glasses", "Golf Irons"): things made of it, which
the product is. 0.75: on the hand-labelled titles of ``zero_cases.yaml`` and ``zero_cases_attributes{2..10}.yaml``
(session s43, docs/eval.md), the titles it was written on, 51 right of 59 new answers (lower end 0.755; the wrong
ones name what the product is for or acts on, "Wool Wash", "Metal Detector", "Copper Peptide Serum", or "Art Silk");
with the grandparent's subtree (session s45), on ``zero_cases.yaml`` and ``zero_cases_attributes{2..12}.yaml``,
179 of 190 answers at 0.75 right.

Where a facet applies is a separate matter: the scorer weighs every attribute facet by whether it applies to the
product's likely categories (``tagllm.candidates.applies``), so "black" in a T-shirt title is a colour, never a
washing programme.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tagllm.candidates.applies import likely_share
from tagllm.candidates.base import Batch, Candidates, Evidence, FacetData, Family, values_at
from tagllm.candidates.stated.finder import StatedFinder, Statement
from tagllm.candidates.stated.materials import is_material_facet
from tagllm.text import normalize, singular

__all__ = [
    "BESIDE_PROBABILITY",
    "STATED_PROBABILITY",
    "UNLISTED_BESIDE_PROBABILITY",
    "UNLISTED_PROBABILITY",
    "StatedFinder",
    "StatedValues",
    "Statement",
]

# P(value is right | how the text states it), measured by benchmarks/stated_calibration.py (see its docstring).
STATED_PROBABILITY = {
    "sole": 0.95, "shared": 0.45, "sole (Chinese)": 0.2, "shared (Chinese)": 0.1, "listed": 0.9,
    "sole, by a shade": 0.8, "sole on its own": 0.7,
    "one of several": 0.65, "many colours": 0.7, "sole, by a kind": 0.75,
}  # fmt: skip
# P(value is right | stated outright, and the product's best category lists no facet of its kind), per way of stating
# it outright: measured on the hand-labelled titles (session s39, docs/eval.md).
UNLISTED_PROBABILITY = {"for the buyer": 0.9, "written apart": 0.7}
# P(value is right | stated, and the product's best category lists a facet of its kind without it while a category
# beside it lists it): measured on the hand-labelled titles (session s42, docs/eval.md).
BESIDE_PROBABILITY = 0.85
# P(value is right | a material stated, the product's best category lists no material, and a category beside it lists
# the value): measured on the hand-labelled titles (session s43, docs/eval.md).
UNLISTED_BESIDE_PROBABILITY = 0.75
KIND = "sole, by a kind"


class StatedValues(Family):
    """The calibrated probability of each value the text states (``stated``; 0 for a value it does not state)."""

    columns = ("stated",)

    def __init__(self, data: FacetData) -> None:
        self.size = data.space.size
        self.facet = data.facet
        self.find = StatedFinder(data.taxonomy, data.facet, data.space.position)
        self.names = {  # in a facet of materials, each value's one-word name ("glass", "iron")
            data.space.position[v.id]: name
            for v in data.taxonomy.facet_values(data.facet)
            if is_material_facet(data.facet) and len((name := normalize(v.name)).split()) == 1
        }

    @classmethod
    def build(cls, data: FacetData) -> StatedValues | None:
        if data.tables.hierarchical:  # the category: what a title names is often what the product is for, not is
            return None
        return cls(data)

    def read(self, batch: Batch) -> Evidence:
        keys: list[int] = []
        probs: list[float] = []
        hows: list[str] = []
        colours: set[int] = set()  # keys of materials named by a colour written apart (``Statement.as_colour``)
        outright: dict[int, float] = {}  # key -> its probability where the category lists no facet of its kind
        for row, (norm, text) in enumerate(zip(batch.normalized, batch.texts, strict=True)):
            for statement in self.find(norm, text):
                keys.append(row * self.size + statement.value)
                probs.append(STATED_PROBABILITY[statement.how] * _not_elsewhere(statement, batch, row))
                hows.append(statement.how)
                if statement.as_colour:
                    colours.add(keys[-1])
                if statement.for_buyer or statement.written_apart:
                    how = "for the buyer" if statement.for_buyer else "written apart"
                    outright[keys[-1]] = min(UNLISTED_PROBABILITY[how], STATED_PROBABILITY[statement.how])
        stated = sorted(outright)
        batch.unlisted[self.facet] = (np.asarray(stated, dtype=np.int64), np.asarray([outright[k] for k in stated]))
        beside = {  # a kind ("Activated Charcoal": Carbon) is read only where the category takes the value
            key: min(BESIDE_PROBABILITY, prob)
            for key, prob, how in zip(keys, probs, hows, strict=True)
            if how != KIND
            and key not in colours
            and not self._in_plural(key % self.size, batch.normalized[key // self.size])
        }
        named = sorted(beside)
        batch.beside[self.facet] = (np.asarray(named, dtype=np.int64), np.asarray([beside[k] for k in named]))
        key_array = np.asarray(keys, dtype=np.int64)
        order = np.argsort(key_array)
        return Evidence([key_array], _column(key_array[order], np.asarray(probs)[order]))

    def _in_plural(self, value: int, norm: str) -> bool:
        """Whether the text names a material only in the plural ("Reading Glasses", "Golf Irons"): things made of
        it, which the product is, not its material; so no category beside the product's says it is."""
        name = self.names.get(value)
        words = norm.split()
        return name is not None and name not in words and any(w != name and singular(w) == name for w in words)


def _not_elsewhere(statement: Statement, batch: Batch, row: int) -> float:
    """How far a shade that also names a value of other facets reads as a colour: the share of the product's likely
    categories' probability outside those the other facets apply to ("lavender" on a yoga mat: 1; on what is likely
    a candle, perhaps its scent: near 0; "Cream" on a jumper whose likely categories hold a little of a cream's: most
    of it); 0 when its categories are not known. A share, not a veto: a likely category that the word would name
    otherwise weighs as much as it is likely."""
    if statement.elsewhere is None:
        return 1.0
    if batch.categories is None:
        return 0.0
    return 1.0 - likely_share(statement.elsewhere, batch.categories[row])


def _column(keys: np.ndarray, probs: np.ndarray) -> Callable[[Candidates], np.ndarray]:
    def columns(candidates: Candidates) -> np.ndarray:
        return values_at(keys, probs, candidates.keys)[:, None]

    return columns
