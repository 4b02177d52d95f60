"""With no examples, a word naming an attribute of the product, listed after its noun ("Ankle Boots Block Heel Tan"),
is not read as the product, while a product named after what it fits ("Car Phone Mount Black") still is."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from tagllm import Tagger
from tagllm.candidates.head_words import shade_words
from tagllm.candidates.title_head import HeadFinder
from tagllm.config import TaggerConfig
from tagllm.taxonomy import load_taxonomy

KNOWN = {"boot", "heel", "block", "shirt", "sleef", "backpack", "print", "car", "mount", "phone", "watch", "laptop",
         "cover", "stroller", "grip", "pen", "ink"}  # fmt: skip
PAIRS = {("cover", "rain"), ("grip", "heel")}

# Shoppers' and sellers' titles: the product's noun, an attribute phrase, then colours or sizes
TRAILING = [
    ("Women's Leather Ankle Boots Block Heel Tan", "boot"),
    ("Men's Oxford Shirt Long Sleeve White XL", "shirt"),
    ("Kids Backpack Dinosaur Print Blue", "backpack"),
]
# The same words naming the product: right after the noun, a two-word name, nothing listed after, a model's code
STAYS = [
    ("Laptop Sleeve 14 Inch Grey", "sleef"),
    ("Baby Stroller Rain Cover Clear", "cover"),
    ("Silicone Heel Grips Beige", "grip"),
    ("Women's Ankle Boots Block Heel", "heel"),
    ("Men Black Dial Chronograph Watch PL129-02", "watch"),
    ("Gel Ink Pens Black", "pen"),
]


@pytest.mark.parametrize(("title", "word"), TRAILING + STAYS)
def test_an_attribute_listed_after_the_noun_is_not_the_product(title: str, word: str) -> None:
    find = HeadFinder(KNOWN, pairs=PAIRS, describing={"leather"}, shades=shade_words())
    assert find(title).word == word


# an attribute phrase with more than colours and sizes after it: read as such when it holds a value of one of the
# noun's attributes and no product's noun follows (elastic: a boot's closure; waterproof: a shoe's feature)
ATTRIBUTES = {"elastic": [("closure", frozenset({"boot"}))], "waterproof": [("feature", frozenset({"sho", "shoe"}))]}


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Men's Leather Chelsea Boots Elastic Side Dark Brown UK 9", "boot"),  # a plural noun modifies no noun
        ("Trail Running Shoes Waterproof Grip Size 11", "sho"),
        ("Trail Running Shoes Grip Pads Size 11", "pad"),  # no attribute of shoes between; "pads" names a product
    ],
)
def test_an_attribute_phrase_with_more_after_it(title: str, word: str) -> None:
    known = KNOWN | {"sho", "pad", "elastic", "side"}
    find = HeadFinder(known, pairs=PAIRS, describing={"leather"}, shades=shade_words())
    find.attributes = ATTRIBUTES
    assert find(title).word == word


def test_the_head_phrase_ends_at_the_product_noun() -> None:
    find = HeadFinder(KNOWN, pairs=PAIRS, shades=shade_words())
    assert find("Kids Backpack Dinosaur Print Blue").phrase == "kids backpack"


def test_the_embedding_keeps_a_product_named_after_what_it_fits(embedder) -> None:  # type: ignore[no-untyped-def]
    # "car phone mount" is closer to "phone mount" than to "car"; "... boots block heel" to "... boots"
    find = HeadFinder(KNOWN, pairs=PAIRS, describing={"leather"}, shades=shade_words(), embed=embedder.encode)
    assert find("Car Phone Mount Black").word == "mount"
    assert find("Women's Leather Ankle Boots Block Heel Tan").word == "boot"


def test_without_the_embedding_the_rule_reads_structure_alone() -> None:
    def closer_to_the_rest(texts: list[str]) -> np.ndarray:  # the whole phrase meets "phone mount", not "car"
        return np.asarray([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)

    assert HeadFinder(KNOWN, pairs=PAIRS, shades=shade_words())("Car Phone Mount Black").word == "car"
    find = HeadFinder(KNOWN, pairs=PAIRS, shades=shade_words(), embed=closer_to_the_rest)
    assert find("Car Phone Mount Black").word == "mount"


TREE = """
name: apparel
facets:
  - name: category
    hierarchical: true
    values:
      - id: shoes
        name: Shoes
        children:
          - {id: boots, name: Boots}
          - {id: heels, name: Heels}
          - {id: sandals, name: Sandals}
      - id: clothing
        name: Clothing
        children:
          - {id: shirts, name: Shirts}
          - {id: sleeves, name: Arm Warmers & Sleeves}
      - id: decor
        name: Decor
        children:
          - {id: prints, name: Prints}
          - {id: blocks, name: Building Blocks}
      - id: vehicles
        name: Vehicle Accessories
        children:
          - {id: mounts, name: Phone Mounts}
          - {id: cars, name: Toy Cars}
  - name: color
    values: [{id: blue, name: Blue}, {id: black, name: Black}]
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("apparel") / "tree.yaml"
    path.write_text(textwrap.dedent(TREE))
    return Tagger(load_taxonomy(path), embedder=embedder, config=TaggerConfig(facets=["category"]))


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Women's Leather Ankle Boots Block Heel Tan", "boots"),
        ("Men's Oxford Shirt Long Sleeve White XL", "shirts"),
        ("Car Phone Mount Black", "mounts"),
    ],
)
def test_tagged_by_the_product_noun_not_the_attribute_after_it(tagger: Tagger, title: str, category: str) -> None:
    best = tagger.tag([{"id": "1", "title": title}])[0].best("category")
    assert best is not None and best.id == category


def test_the_products_noun_said_again_after_its_attributes_is_the_head() -> None:
    # sellers repeat the product's noun: the mat at both ends is the product, the litter only what it is for
    from tagllm.candidates.head_words import head_finder

    find = head_finder(load_taxonomy("shopify"), "category")
    assert find("Cat Litter Mat Double Layer Honeycomb Trapping Mat Waterproof").word == "mat"
