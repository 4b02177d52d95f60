"""With no examples: one name on several branches (a plain shirt is not a maternity or a baby shirt unless the title
says so) and a brand that is another category's word (a "Locomotive" shirt is a shirt)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from tagllm import Tagger
from tagllm.candidates.branches import Branches, modifiers, words_of
from tagllm.candidates.head import FULL, HALF, HeadNoun
from tagllm.candidates.zero import keep_branches
from tagllm.config import TaggerConfig
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A clothing shop's tree, written for these tests: shirts and jeans filed under a plain branch, a
# maternity branch and a baby and toddler branch, and a toy branch whose locomotives share a word with a brand.
SHOP = """
name: test-clothes
facets:
  - name: category
    hierarchical: true
    values:
      - id: apparel
        name: Apparel & Accessories
        children:
          - id: clothing
            name: Clothing
            children:
              - id: tops
                name: Clothing Tops
                children:
                  - {id: shirts, name: Shirts}
              - id: pants
                name: Pants
                children:
                  - {id: jeans, name: Jeans}
              - id: maternity
                name: Maternity Clothing
                children:
                  - id: maternity-tops
                    name: Maternity Tops
                    children:
                      - {id: maternity-shirts, name: Shirts}
                  - id: maternity-pants
                    name: Maternity Pants
                    children:
                      - {id: maternity-jeans, name: Jeans}
              - id: baby
                name: Baby & Toddler Clothing
                children:
                  - id: baby-tops
                    name: Baby & Toddler Tops
                    children:
                      - {id: baby-shirts, name: Shirts}
      - id: hobbies
        name: Hobbies & Creative Arts
        children:
          - id: trains
            name: Model Trains
            children:
              - {id: locomotives, name: Steam Locomotives}
              - {id: wagons, name: Freight Wagons}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path: Path = tmp_path_factory.mktemp("shop") / "shop.yaml"
    path.write_text(textwrap.dedent(SHOP))
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def tagger(shop: Taxonomy, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    return Tagger(shop, embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))


def best(tagger: Tagger, title: str) -> str:
    tag = tagger.tag([{"id": "p", "title": title}])[0].best(CATEGORY)
    assert tag is not None
    return tag.id


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Women White Printed Shirt", "shirts"),
        ("Jealous 21 Women Washed Blue Jeans", "jeans"),
        ("Maternity Shirt, Stretch Cotton, Navy", "maternity-shirts"),
        ("Maternity Over-the-Bump Jeans, Dark Wash", "maternity-jeans"),
        ("Toddler Boys Flannel Shirt with Pocket, 3T", "baby-shirts"),
    ],
)
def test_a_name_on_several_branches_is_read_on_the_branch_the_title_states(
    tagger: Tagger, title: str, expected: str
) -> None:
    assert best(tagger, title) == expected


@pytest.mark.parametrize("title", ["Locomotive Men Check White Shirt", "Locomotive Men Solid Poplin Black Shirts"])
def test_a_brand_that_heads_another_categorys_name_is_not_the_product(tagger: Tagger, title: str) -> None:
    assert best(tagger, title) == "shirts"


def test_a_branch_loses_to_a_namesake_only_when_the_title_leaves_it_unstated(shop: Taxonomy) -> None:
    values = shop.facet_values(CATEGORY)
    position = {v.id: i for i, v in enumerate(values)}
    branches = Branches(shop, values)
    shirts = {position[v]: 0.5 for v in ("shirts", "maternity-shirts", "baby-shirts")}
    named = {v.id for v in values if position[v.id] in branches.off(shirts, words_of("Women White Printed Shirt"))}
    assert named == {"maternity-shirts", "baby-shirts"}
    named = {v.id for v in values if position[v.id] in branches.off(shirts, words_of("Maternity Shirt"))}
    assert named == {"shirts", "baby-shirts"}
    # two values of one name compare only at one head score: a kind the title does not name already scores less
    assert branches.off({position["shirts"]: 0.5, position["maternity-shirts"]: 0.375}, words_of("Shirt")) == []


def test_a_value_on_an_unstated_branch_never_outranks_its_namesake() -> None:
    # whatever the stacker's weights: keys 3 and 8 lose to 5 and 9; 8's namesake 9 is no candidate of the product
    keys = np.array([5, 3, 7, 8])
    probs = np.array([0.1, 0.6, 0.2, 0.4])
    kept = keep_branches(probs, keys, (np.array([3, 8]), np.array([5, 9])))
    assert kept.tolist() == [0.6, 0.1, 0.2, 0.4]  # the probability the product is a shirt goes to the plain branch
    assert keep_branches(kept, keys, (np.array([3]), np.array([5]))).tolist() == kept.tolist()


def test_a_names_modifiers_leave_out_the_heads_of_its_conjuncts() -> None:
    assert modifiers("Maternity Tops") == {"maternity"}
    assert modifiers("Baby & Toddler Clothing") == {"baby", "toddler"}
    assert modifiers("Handbags, Wallets & Cases") == set()


# Hair clips filed twice: as a hair accessory under a fuller name, and bare under the curlers' clips; and shirts of
# two audiences, the men's under a fuller name
CLIPS = """
name: test-clips
facets:
  - name: category
    hierarchical: true
    values:
      - id: accessories
        name: Hair Accessories
        children:
          - {id: hair-clips, name: "Hair Pins, Claws & Clips"}
      - id: curlers
        name: Hair Curler Clips & Pins
        children:
          - {id: clips, name: Clips}
      - id: men
        name: Men's Clothing
        children:
          - {id: casual-shirts, name: Casual & Party Wear Shirts}
      - id: women
        name: Women's Clothing
        children:
          - {id: shirts, name: Shirts}
"""


def test_a_bare_name_gives_way_to_the_fuller_name_of_the_compound_the_title_states(tmp_path: Path) -> None:
    path = tmp_path / "clips.yaml"
    path.write_text(textwrap.dedent(CLIPS))
    taxonomy = load_taxonomy(path)
    values = taxonomy.facet_values(CATEGORY)
    at = {v.id: i for i, v in enumerate(values)}
    noun = HeadNoun.__new__(HeadNoun)  # only its bare names and branches are read
    noun.bare = [len(v.name.split()) == 1 for v in values]
    noun.branches = Branches(taxonomy, values)
    clips = {at["hair-clips"]: FULL, at["clips"]: HALF}
    assert noun.bare_beaten(clips, words_of("Girls Hair Clips 20 Pcs")) == [(at["clips"], at["hair-clips"])]
    # the fuller name sits on a branch the title does not state, where the bare one's is stated: no trade
    shirts = {at["casual-shirts"]: FULL, at["shirts"]: HALF}
    assert noun.bare_beaten(shirts, words_of("Ethna Women's Solid Casual Shirt")) == []
