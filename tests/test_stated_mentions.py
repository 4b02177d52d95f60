"""The rules that set a mention of a value aside before it counts as stated (``tagllm.candidates.stated.mentions``):
each rejects its own case alone, is the first rule of the chain to reject it, and lets the plain mention through."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from tagllm.candidates.stated.mentions import (
    MENTION_RULES,
    REJECTED,
    Mention,
    MentionContext,
    MentionRule,
    Rejection,
    alloy,
    colour_for,
    first_rejection,
    imitation,
    inside_longer,
    inside_written_name,
    kin_not_for,
    kind_of_next,
    light_tone,
    living_thing,
    names_something_else,
    negated_in_chinese,
    other_compound,
    shade_head,
    surface,
    treated,
    unwritten_code,
    verb_with_particle,
)
from tagllm.candidates.stated.segments import names_written_as_one
from tagllm.phrases import PhraseTable, Spans
from tagllm.text import normalize, word_forms

LEATHER, FAUX_LEATHER, PLASTIC, WHITE, BLACK, PU, WOOL, STEEL, CARBON, BRONZE, NAVY_BLUE, BLUE, FEMALE = range(13)
RUBBER, IRON, DOWN, COTTON, SILK, CHROME, METAL, BRASS = range(13, 21)
PHRASES = [
    ("leather", LEATHER),
    ("皮革", LEATHER),
    ("faux leather", FAUX_LEATHER),
    ("plastic", PLASTIC),
    ("white", WHITE),
    ("black", BLACK),
    ("pu", PU),
    ("wool", WOOL),
    ("steel", STEEL),
    ("carbon", CARBON),
    ("bronze", BRONZE),
    ("navy blue", NAVY_BLUE),
    ("blue", BLUE),
    ("mum", FEMALE),
    ("rubber", RUBBER),
    ("iron", IRON),
    ("down", DOWN),
    ("cotton", COTTON),
    ("silk", SILK),
    ("chrome", CHROME),
    ("brass", BRASS),
]


@dataclass
class Case:
    """A text, the value whose mention a rule reads in it, and the facet's tables the rule needs."""

    text: str
    value: int
    is_material: bool = False
    reads_shades: bool = False
    codes: dict[str, int] = field(default_factory=dict)
    imitations: dict[int, int] = field(default_factory=dict)
    kinds: list[tuple[str, int]] = field(default_factory=list)
    heads: bool = False  # the mention heads a shade's name
    colour_words: frozenset[str] = frozenset()  # read names written as one ("BLACK+DECKER") with these colours
    kin: frozenset[str] = frozenset()  # the audience facet's words for kin

    def read(self) -> tuple[MentionContext, Mention]:
        """The context of the case's text and the first mention of its value in it."""
        text, names = names_written_as_one(self.text, self.colour_words) if self.colour_words else (self.text, set())
        norm = normalize(text)
        spans = Spans(PhraseTable(PHRASES).spans(norm))
        start, end, value = next(span for span in sorted(spans.all) if span[2] == self.value)
        context = MentionContext(
            words=word_forms(norm)[0],
            text=text,
            spans=spans,
            heads={(start, end, value)} if self.heads else set(),
            names=names,
            compact=norm.replace(" ", ""),
            is_material=self.is_material,
            reads_shades=self.reads_shades,
            codes=self.codes,
            imitations=self.imitations,
            kinds=PhraseTable(self.kinds),
            kin=self.kin,
        )
        return context, Mention(start, end, value)


# (rule, the case it rejects, its verdict, what differs in the same mention plainly stated, which it lets through)
RULE_CASES: list[tuple[MentionRule, Case, Rejection, dict[str, Any]]] = [
    (
        imitation,
        Case("Vegan Leather Tote Bag", LEATHER, is_material=True, imitations={LEATHER: FAUX_LEATHER}),
        Rejection(instead=frozenset({FAUX_LEATHER})),
        {"text": "Leather Tote Bag"},
    ),
    (
        names_something_else,
        Case("Plastic Free Straws", PLASTIC, is_material=True),
        REJECTED,
        {"text": "Plastic Straws"},
    ),
    (shade_head, Case("Dress Blue", BLUE, reads_shades=True, heads=True), REJECTED, {"heads": False}),
    (light_tone, Case("Lights, Warm White LED", WHITE, reads_shades=True), REJECTED, {"text": "Lights, White"}),
    (
        inside_written_name,
        Case("BLACK+DECKER Drill", BLACK, reads_shades=True, colour_words=frozenset({"black", "white"})),
        REJECTED,
        {"text": "BLACK&WHITE Drill"},
    ),
    (unwritten_code, Case("Pu Sandals", PU, is_material=True, codes={"pu": PU}), REJECTED, {"text": "PU Sandals"}),
    (other_compound, Case("Steel Wool Pads", WOOL, is_material=True), REJECTED, {"text": "Wool Pads"}),
    (living_thing, Case("Rubber Plant in Pot", RUBBER, is_material=True), REJECTED, {"text": "Rubber Door Stop"}),
    (verb_with_particle, Case("Iron-On Patches", IRON, is_material=True), REJECTED, {"text": "Iron Patches"}),
    (
        kind_of_next,
        Case("Carbon Steel Wok", CARBON, is_material=True, kinds=[("carbon steel", STEEL)]),
        Rejection(by_kind=frozenset({STEEL})),
        {"text": "Carbon Wok"},
    ),
    (
        alloy,
        Case("Chrome Vanadium Spanner Set", CHROME, is_material=True, kinds=[("vanadium", METAL)]),
        Rejection(by_kind=frozenset({METAL})),
        {"text": "Chrome Spanner Set"},
    ),
    (surface, Case("Bench, Antique Bronze Finish", BRONZE, is_material=True), REJECTED, {"text": "Bench, Bronze"}),
    (treated, Case("Leather Conditioner, 250ml", LEATHER, is_material=True), REJECTED, {"text": "Leather Sofa"}),
    (colour_for, Case("Nesting Box for Blue Tits", BLUE, reads_shades=True), REJECTED, {"text": "Blue Nesting Box"}),
    (kin_not_for, Case("Mum Jeans", FEMALE, kin=frozenset({"mum"})), REJECTED, {"text": "Gift for Mum"}),
    (negated_in_chinese, Case("仿皮革手提包", LEATHER, is_material=True), REJECTED, {"text": "真皮革手提包"}),
    (inside_longer, Case("Navy Blue Shirt", BLUE, reads_shades=True), REJECTED, {"text": "Blue Shirt"}),
]


def test_every_rule_has_its_case():
    assert [rule for rule, *_ in RULE_CASES] == list(MENTION_RULES)


@pytest.mark.parametrize(("rule", "case", "verdict", "plain"), RULE_CASES, ids=[r.__name__ for r, *_ in RULE_CASES])
def test_the_rule_alone_rejects_its_case_and_lets_the_plain_mention_through(
    rule: MentionRule, case: Case, verdict: Rejection, plain: dict[str, Any]
):
    context, mention = case.read()
    assert rule(context, mention) == verdict
    assert next(r for r in MENTION_RULES if r(context, mention) is not None) is rule  # the rule that decides
    assert first_rejection(context, mention) == verdict
    assert rule(*replace(case, **plain).read()) is None


def test_a_plain_mention_passes_every_rule():
    assert first_rejection(*Case("Navy Blue Shirt", NAVY_BLUE, reads_shades=True).read()) is None


@pytest.mark.parametrize(
    ("text", "rejected"),
    [
        ("Iron On Letters for Fabric, 2 Inch", True),  # title case writes the phrasal verb apart
        ("iron on transfer paper for t-shirts", True),
        ("Iron Off Cuts for Welding Practice", False),  # offcuts of iron are iron
        ("Cotton Off Shoulder Top", False),  # "off" apart opens the garment's shape
        ("Cotton Out Seam Gloves", False),
        ("Iron on Steel Plate Sign", False),  # "on" before another material: a preposition
        ("Cast Iron Up to 30cm Pans", False),  # "up to": a phrase of its own
        ("Plastic Off White Storage Box", False),  # "off white": a colour
        ("Iron Door Stop", False),
        ("Cotton Down Comforter, King", False),  # "down" is a material here (the fill), not a particle
        ("Silk On Skin Pillowcase, Ivory", False),  # English makes no verb of silk: "on" is no particle of it
        ("Silk-On Skin Pillowcase", True),  # joined by a hyphen, any word is made a verb
    ],
)
def test_a_material_written_apart_before_a_particle_and_the_products_word_is_a_verb(text: str, rejected: bool):
    value = {"Plastic": PLASTIC, "Cotton": COTTON, "Silk": SILK, "Silk-On": SILK}.get(text.split()[0], IRON)
    verdict = verb_with_particle(*Case(text, value, is_material=True).read())
    assert (verdict == REJECTED) is rejected


def test_two_metals_name_an_alloy_unless_the_second_is_a_value_of_the_facet():
    kinds = [("vanadium", METAL), ("titanium", METAL)]
    assert alloy(*Case("Iron Cotton Bag", IRON, is_material=True, kinds=kinds).read()) is None  # no metal after
    assert alloy(*Case("Chrome Titanium Ring", CHROME, is_material=True, kinds=kinds).read()) == Rejection(
        by_kind=frozenset({METAL})
    )
    assert alloy(*Case("Chrome Brass Door Handle", CHROME, is_material=True, kinds=kinds).read()) is None
    assert alloy(*Case("Chrome Chrome Tap", CHROME, is_material=True, kinds=kinds).read()) is None  # one metal
