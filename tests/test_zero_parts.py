"""With no examples: a value whose name holds the title's head word as a modifier (a part of the product or what
goes with it: "Yoga Mat Straps", "Tent Footprints", "Knife Sharpeners"), or another word of the title while none of
its words heads it ("Men's Undershirts" for a men's T-shirt), is not the product when a value headed by the head word
sits on the same top-level branch ("Yoga & Pilates Mats", "Tents", "Knives", "T-Shirts")."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm import Tagger
from tagllm.candidates.branches import words_of
from tagllm.candidates.head import HeadNoun
from tagllm.config import TaggerConfig
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A small shop's tree, written for these tests: each product filed next to the accessories named after it.
SHOP = """
name: test-parts
facets:
  - name: category
    hierarchical: true
    values:
      - id: sport
        name: Sporting Goods
        children:
          - id: yoga
            name: Yoga & Pilates
            children:
              - {id: yoga-mats, name: Yoga & Pilates Mats}
              - id: mat-accessories
                name: Yoga Mat Bags & Straps
                children:
                  - {id: mat-bags, name: Yoga Mat Bags}
                  - {id: mat-straps, name: Yoga Mat Straps}
          - id: camping
            name: Camping & Hiking
            children:
              - {id: tents, name: Tents}
              - id: tent-accessories
                name: Tent Accessories
                children:
                  - {id: footprints, name: Tent Footprints}
                  - {id: stakes, name: Tent Stakes}
          - id: cycling
            name: Cycling
            children:
              - {id: bicycles, name: Bicycles}
              - {id: bicycle-helmets, name: Bicycle Helmets}
              - {id: bicycle-locks, name: Bicycle Locks}
      - id: kitchen
        name: Kitchen & Dining
        children:
          - id: kitchen-tools
            name: Kitchen Tools & Utensils
            children:
              - {id: knives, name: Knives}
              - {id: sharpeners, name: Knife Sharpeners}
              - {id: knife-blocks, name: Knife Blocks}
      - id: apparel
        name: Apparel & Accessories
        children:
          - id: clothing
            name: Clothing
            children:
              - id: tops
                name: Clothing Tops
                children:
                  - {id: t-shirts, name: T-Shirts}
                  - {id: polos, name: Polos}
              - id: mens-undergarments
                name: Men's Undergarments
                children:
                  - {id: mens-undershirts, name: Men's Undershirts}
                  - {id: mens-boxers, name: Men's Boxer Shorts}
          - id: handbags
            name: Handbags
            children:
              - {id: clutch-bags, name: Clutch Bags}
              - {id: envelope-clutches, name: Envelope Clutches}
              - {id: tote-bags, name: Tote Bags}
      - id: vehicles
        name: Vehicles & Parts
        children:
          - id: drivetrain
            name: Transmission & Drivetrain Parts
            children:
              - {id: clutches, name: Clutches}
              - {id: gearboxes, name: Gearboxes}
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("parts") / "parts.yaml"
    path.write_text(textwrap.dedent(SHOP))
    shop: Taxonomy = load_taxonomy(path)
    return Tagger(shop, embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))


def best(tagger: Tagger, title: str) -> str:
    tag = tagger.tag([{"id": "p", "title": title}])[0].best(CATEGORY)
    assert tag is not None
    return tag.id


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Extra Thick Yoga Mat, Eco TPE, Blue", "yoga-mats"),
        ("Ultralight Backpacking Tent 2 Person Green", "tents"),
        ("Kids Bicycle 16 Inch with Training Wheels", "bicycles"),
        ("Men Slim Fit Crew Neck Navy T-Shirt", "t-shirts"),
        ("Men's Graphic Print Tshirt, Black", "t-shirts"),
    ],
)
def test_a_value_that_holds_the_head_as_a_modifier_is_not_the_product(
    tagger: Tagger, title: str, expected: str
) -> None:
    assert best(tagger, title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Yoga Mat Carry Strap, Adjustable Cotton", "mat-straps"),
        ("Tent Footprint for 2 Person Tent, Waterproof", "footprints"),
        ("Electric Knife Sharpener 3 Stage", "sharpeners"),
        ("Men's Cotton Undershirt V-Neck White", "mens-undershirts"),
    ],
)
def test_an_accessory_named_after_the_product_is_still_read_as_the_accessory(
    tagger: Tagger, title: str, expected: str
) -> None:
    assert best(tagger, title) == expected


def set_aside(tagger: Tagger, title: str) -> set[str]:
    """The values the head family sets aside as parts of, or what goes with, the title's product."""
    facet = tagger.scorer._facet(CATEGORY)
    head = next(f for f in facet.families if isinstance(f, HeadNoun))
    found = head.find(title)
    return {facet.data.space.ids[p] for p in head.parts(found.word, head.headed(found), words_of(title))}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Damascus Chef Knife 8 Inch", {"sharpeners", "knife-blocks"}),
        ("Extra Thick Yoga Mat, Eco TPE, Blue", {"mat-bags", "mat-straps", "mat-accessories"}),
        # "clutch" heads a car part, on another top-level branch (another sense of the word), and a kind of clutch
        # the title does not name: neither is plainly the product
        ("Women Bronze Evening Clutch", set()),
        # a value of the title's kind of buyer headed by no word of the title is another product
        ("Men Slim Fit Crew Neck Navy T-Shirt", {"mens-undergarments", "mens-undershirts", "mens-boxers"}),
    ],
)
def test_parts_are_set_aside_only_next_to_the_product_they_are_named_after(
    tagger: Tagger, title: str, expected: set[str]
) -> None:
    assert set_aside(tagger, title) == expected
