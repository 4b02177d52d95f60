"""Whom a gift is for, against the Shopify taxonomy tagllm ships: a word for kin is the buyer's gender as the object
of "for" ("Gift for Grandad", "for my Nan") and nowhere else ("Mother of Pearl", a brand "Brother"); a baby's sex
("Baby Girl") names the buyer as well, and "His & Hers" both."""

from __future__ import annotations

from functools import cache

import pytest

from tagllm.candidates.stated import StatedFinder
from tagllm.taxonomy import load_taxonomy
from tagllm.text import normalize


@cache
def _finder() -> tuple[StatedFinder, list[str]]:
    values = load_taxonomy("shopify").facet_values("target-gender")
    return StatedFinder(load_taxonomy("shopify"), "target-gender", {v.id: i for i, v in enumerate(values)}), [
        v.name for v in values
    ]


def _for_buyer(title: str) -> list[tuple[str, bool]]:
    finder, names = _finder()
    return [(names[s.value], s.for_buyer) for s in finder(normalize(title), title)]


@pytest.mark.parametrize(
    ("title", "stated"),
    [
        ("Engraved Whisky Tumbler, Gift for Grandad", [("Male", True)]),
        ("Personalised Photo Cushion for my Nan", [("Female", True)]),
        ("Keyring Gift for Husband, Anniversary", [("Male", True)]),
        ("Baby Girl Knitted Cardigan, 6-12 Months", [("Female", True)]),
        ("Brother Label Printer Tape, 12mm", []),
        ("Mother of Pearl Cufflinks", []),
        ("Big Sister Picture Book", []),
        ("His & Hers Fleece Dressing Gowns", [("Female", True), ("Male", True)]),
        ("Birthday Card for His 40th", []),
        ("Photo Frame Gift for Mum and Dad", [("Female", True), ("Male", True)]),
        ("Matching Mugs for my Mum & Dad", [("Female", True), ("Male", True)]),
        ("Keepsake Box for Him or Her", [("Female", True), ("Male", True)]),
        ("Funny Golf Socks for Dads and Grandads", [("Male", True)]),
        ("Engraved Hip Flask, Gift for Husbands", [("Male", True)]),
        ("Pamper Hamper for Wives and Girlfriends", [("Female", True)]),
        ("Crossword Book for Grannies", [("Female", True)]),
        ("Big Sisters Colouring Book", []),
    ],
)
def test_kin_and_a_babys_sex_name_the_buyer_only_as_whom_the_product_is_for(
    title: str, stated: list[tuple[str, bool]]
) -> None:
    assert _for_buyer(title) == stated


@pytest.mark.parametrize(
    ("title", "stated"),
    [
        ("Winter Bobble Hat for Boys Girls, Mustard", [("Unisex", True)]),
        ("Light Up Trainers Hook and Loop, Girls Boys, UK 11", [("Unisex", True)]),
        ("Men's & Women's Merino Hiking Socks, Charcoal", [("Unisex", True)]),
        ("Running Cap Men Women, Adjustable, Navy", [("Unisex", True)]),
        ("Swim Goggles for Women or Men, Anti Fog", [("Unisex", True)]),
        ("Women's Pyjamas and Men's Lounge Shorts Bundle", [("Female", True), ("Male", True)]),
    ],
)
def test_groups_of_both_sexes_side_by_side_name_a_unisex_product(title: str, stated: list[tuple[str, bool]]) -> None:
    """Two groups of either sex written together, with no word or with "and" or "or" between ("for Boys Girls",
    "Men's & Women's"), name a product for either: Unisex, which Shopify's target gender has, not Male and Female
    (the newest hand-labelled sets, ``zero_cases_attributes12.yaml`` and ``13``, expect Unisex there); apart, each
    names its own."""
    assert _for_buyer(title) == stated
