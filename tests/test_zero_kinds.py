"""With no examples: the word before a title's head names the product when it heads a value filed under one the head
names ("Beanie Hat" is a beanie, "Fedora Hat" a fedora: kinds of hat) or named by it alone and shelved beside that
value ("Polo Shirt": "Clothing Tops > Polos" beside "Shirts"), and a modifier anywhere else ("Knife Block" is no
knife); a name's two words before its head are met written as one ("Crossbody Bag": "Cross Body Bags"); a value named
by the head alone yields to its kind of that head nearest the title ("Running Shoes" are Shoes > Athletic Shoes)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from tagllm import Tagger
from tagllm.candidates.features import COLUMN
from tagllm.candidates.name_kinds import closed_modifiers
from tagllm.config import TaggerConfig
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A small shop's tree, written for these tests.
SHOP = """
name: test-kinds
facets:
  - name: category
    hierarchical: true
    values:
      - id: apparel
        name: Apparel & Accessories
        children:
          - id: hats
            name: Hats
            children:
              - {id: beanies, name: Beanies}
              - {id: fedoras, name: Fedoras}
              - {id: sun-hats, name: Sun Hats}
          - {id: scarves, name: Scarves}
          - id: tops
            name: Clothing Tops
            children:
              - {id: polos, name: Polos}
              - {id: shirts, name: Shirts}
          - {id: water-polo, name: Water Polo}
          - id: handbags
            name: Handbags
            children:
              - {id: cross-body-bags, name: Cross Body Bags}
              - {id: saddle-bags, name: Saddle Bags}
      - id: shoes
        name: Shoes
        children:
          - {id: athletic-shoes, name: Athletic Shoes}
          - {id: baby-shoes, name: Baby & Toddler Shoes}
          - {id: boots, name: Boots}
      - id: kitchen
        name: Kitchen & Dining
        children:
          - {id: knives, name: Kitchen Knives}
          - id: knife-storage
            name: Knife Storage
            children:
              - {id: knife-blocks, name: Knife Blocks}
              - {id: magnetic-strips, name: Magnetic Knife Strips}
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("kinds") / "kinds.yaml"
    path.write_text(textwrap.dedent(SHOP))
    shop: Taxonomy = load_taxonomy(path)
    return Tagger(shop, embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))


def head_columns(tagger: Tagger, title: str) -> dict[str, tuple[float, float]]:
    """Per candidate value id: its head score and whether it is set aside."""
    scorer = tagger.scorer
    features = scorer.features(scorer.prepare([title], tagger.embedder.encode([title])), CATEGORY)
    head, aside = features.matrix[:, COLUMN["head"]], features.matrix[:, COLUMN["aside"]]
    return {features.ids[v]: (float(h), float(a)) for v, h, a in zip(features.values, head, aside, strict=True)}


@pytest.mark.parametrize(
    ("title", "kind"),
    [("Chunky Knit Beanie Hat Cream", "beanies"), ("Wool Felt Fedora Hat Wide Brim, Camel", "fedoras")],
)
def test_a_kind_of_the_product_named_before_its_head_is_the_product(tagger: Tagger, title: str, kind: str) -> None:
    columns = head_columns(tagger, title)
    assert columns[kind] == (1.0, 0.0)  # as fully named as "Sun Hats" would be by "Sun Hat", and not set aside
    assert columns["hats"][0] == 0.5
    best = tagger.tag([{"id": "p", "title": title}])[0].best(CATEGORY)
    assert best is not None and best.id == kind


def test_a_kind_shelved_beside_the_products_value_is_the_product(tagger: Tagger) -> None:
    columns = head_columns(tagger, "Men's Pique Polo Shirt Short Sleeve, Navy")
    assert columns["polos"] == (1.0, 0.0)  # "Polos" sits beside "Shirts" under "Clothing Tops"
    assert columns["shirts"][0] == 0.5
    assert columns.get("water-polo", (0.0, 1.0))[0] < 0.5  # another branch: "polo" stays a modifier there
    best = tagger.tag([{"id": "p", "title": "Men's Pique Polo Shirt Short Sleeve, Navy"}])[0].best(CATEGORY)
    assert best is not None and best.id == "polos"


def test_a_modifier_that_names_no_kind_of_the_product_stays_a_modifier(tagger: Tagger) -> None:
    columns = head_columns(tagger, "Knife Block Set, Bamboo")  # Kitchen Knives is not filed under Knife Blocks
    head, aside = columns["knives"]
    assert head < 0.5 and aside == 1.0
    assert np.isclose(columns["knife-blocks"][0], 1.0)


def test_a_names_modifier_of_two_words_is_met_written_as_one() -> None:
    assert closed_modifiers("Cross Body Bags") == {"crossbody"}
    assert closed_modifiers("Carry-On Suitcases & Garment Bags") == {"carryon"}  # "garment bags": one word before
    assert closed_modifiers("Saddle Bags") == set()


def test_a_kind_written_closed_in_the_title_is_named_fully(tagger: Tagger) -> None:
    columns = head_columns(tagger, "Women's Genuine Leather Crossbody Bag with Adjustable Strap - Tan")
    assert columns["cross-body-bags"][0] == 1.0
    assert columns["saddle-bags"][0] == 0.375  # a kind of bag the title does not name


def test_a_value_named_by_the_head_alone_yields_to_its_nearest_kind_of_that_head(tagger: Tagger) -> None:
    title = "Men's Trail Running Shoes Lightweight Breathable Mesh, Grey"
    columns = head_columns(tagger, title)
    assert columns["shoes"] == (0.5, 1.0)  # named whole, but set aside: the shoe is one of its kinds
    assert columns["athletic-shoes"] == (0.375, 0.0)
    best = tagger.tag([{"id": "p", "title": title}])[0].best(CATEGORY)
    assert best is not None and best.id == "athletic-shoes"


def test_a_shade_before_the_head_names_no_kind_of_it(tagger: Tagger) -> None:
    columns = head_columns(tagger, "Men Mushroom Brown Shoes")
    assert columns["shoes"] == (0.5, 0.0)  # the plain shoe keeps the bare name
