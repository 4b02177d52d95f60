"""A title's head is the product, not a part of it nor what it is made of: a part of a body or a garment after a
product's noun ("Pyjama Set Long Sleeve", "Braces Y-Back") and a substance before one ("Soy Wax Scented Candle"), by
WordNet's usual senses (``tagllm.candidates.noun_senses``)."""

from __future__ import annotations

import pytest

from tagllm.candidates.head_words import head_finder
from tagllm.candidates.noun_senses import part_words, substance_words
from tagllm.candidates.title_head import HeadFinder
from tagllm.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def find() -> HeadFinder:
    return head_finder(load_taxonomy("shopify"), "category")


def test_the_shipped_table_holds_parts_and_substances() -> None:
    assert {"sleef", "leg", "back", "toe", "neck"} <= part_words()  # head keys: "sleeve" is "sleef"
    assert {"wax", "oil", "steel"} <= substance_words()
    assert not {"shirt", "candle", "lamp"} & (part_words() | substance_words())


@pytest.mark.parametrize(
    ("title", "word"),
    [
        # the sleeve, leg and back were read as the product ("Long Johns", "Back Braces")
        ("Men's Brushed Cotton Pyjama Set Long Sleeve Tartan Red", "pyjama"),
        ("Men's Trouser Braces Y-Back 35mm Heavy Duty Clips Burgundy", "brace"),
        ("Men's Wool Blend Overcoat Single Breasted Knee Length, Camel", "overcoat"),
        # "Soy Wax" is a value's name, and was taken over the later candle
        ("Soy Wax Scented Candle Lavender 200g", "candle"),
        ("Soy Wax Tealight Candles Unscented 50 Count", "candle"),
    ],
)
def test_a_part_or_a_substance_beside_the_products_noun_is_not_the_head(
    find: HeadFinder, title: str, word: str
) -> None:
    assert find(title).word == word


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Laptop Sleeve 14 Inch, Water Repellent, Dark Grey", "sleef"),  # no product named before the modifier
        ("Refillable Gas Lighter Long Neck for Candles", "lighter"),  # a part after it is no product named
        ("Wine Glasses Set of 6", "glass"),  # a plural is no mass noun
    ],
)
def test_a_part_or_a_substance_alone_stays_the_head(find: HeadFinder, title: str, word: str) -> None:
    assert find(title).word == word
