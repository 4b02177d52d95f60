"""The two readings of a title's head phrase with no examples: the rightmost word heading a category's name
(English puts the head last) and the first word naming a product (sellers list features after the product); the
one whose categories' labels are closer to the whole title is what the product is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm import Tagger
from tagllm.candidates.title_head import HeadFinder
from tagllm.config import TaggerConfig
from tagllm.taxonomy import load_taxonomy

# A small shop's tree, written for these tests: a sofa next to the room sets it is sold for, a coffee table next to
# the glasses its top may be made of, a lawn sprinkler next to the valves of a watering system, candles and boards next
# to the wax and glass sold to make such things.
SHOP = """
name: head-readings
facets:
  - name: category
    hierarchical: true
    values:
      - id: furniture
        name: Furniture
        children:
          - {id: sofas, name: Sofas}
          - {id: coffee-tables, name: Coffee Tables}
          - {id: room-sets, name: Living Room Furniture Sets}
      - id: kitchen
        name: Kitchen & Dining
        children:
          - {id: glasses, name: Drinking Glasses}
          - {id: mugs, name: Mugs}
      - id: garden
        name: Garden
        children:
          - {id: sprinklers, name: Sprinklers}
          - {id: valves, name: Sprinkler Valves}
          - {id: ranges, name: Outdoor Cooking Ranges}
      - id: home
        name: Home Fragrance
        children:
          - {id: candles, name: Candles}
          - {id: boards, name: Cutting Boards}
      - id: crafts
        name: Craft Supplies
        children:
          - {id: paraffin, name: Paraffin Wax}
          - {id: toughened, name: Toughened Glass}
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("shop") / "shop.yaml"
    path.write_text(textwrap.dedent(SHOP))
    return Tagger(load_taxonomy(path), embedder=embedder, config=TaggerConfig(facets=["category"]))


def best(tagger: Tagger, title: str) -> str:
    tag = tagger.tag([{"id": "p", "title": title}])[0].best("category")
    assert tag is not None
    return tag.id


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # the product first, its features after it: the last word heading a name is a feature's
        ("3 Seater Velvet Sofa Grey Modern Living Room", "sofas"),
        ("Oscillating Lawn Sprinkler 20 Nozzles Adjustable Range", "sprinklers"),
        # the head last, a modifier first that names another product: the rightmost reading stays
        ("Glass Coffee Table with Storage Shelf", "coffee-tables"),
        ("Sprinkler Valve Replacement Kit", "valves"),
    ],
)
def test_the_reading_closer_to_the_whole_title_names_the_product(tagger: Tagger, title: str, expected: str) -> None:
    assert best(tagger, title) == expected


def test_the_first_reading_is_the_first_product_noun_with_the_nouns_right_after_it() -> None:
    find = HeadFinder({"sofa", "room", "pillow", "cover", "washer", "bar"}, pairs={("washer", "pressure")})
    head = find("Velvet Sofa Grey Modern Living Room")
    assert head.word == "room"
    other = find.first_reading(head)
    assert other is not None and (other.phrase, other.word) == ("velvet sofa", "sofa")
    # nouns written one after another are one name: "Pillow Cover" has no other reading than its last word
    assert find.first_reading(find("Linen Throw Pillow Cover")) is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # a substance's value, named whole before the product's noun, is what the product is made of
        ("Paraffin Wax Pillar Candle Unscented Ivory 15cm", "candles"),
        ("Toughened Glass Cutting Board for Worktops, 40 x 30 cm", "boards"),
        # named alone, the substance is the product
        ("Paraffin Wax Pellets 1kg for Candle Making", "paraffin"),
    ],
)
def test_what_the_product_is_made_of_does_not_outrank_the_product(tagger: Tagger, title: str, expected: str) -> None:
    assert best(tagger, title) == expected


def test_a_substance_before_a_product_noun_is_no_first_reading() -> None:
    title = "Beeswax Blend Wax Scented Pillar Candle"
    plain = HeadFinder({"wax", "candle"})
    other = plain.first_reading(plain(title))
    assert other is not None and other.word == "wax"  # where wax is not known as a substance
    find = HeadFinder({"wax", "candle"}, substances=frozenset({"wax"}))
    assert find(title).word == "candle"
    assert find.first_reading(find(title)) is None  # the wax is what the candle is made of
