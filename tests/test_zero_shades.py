"""With no examples: a colour the title states is not what the product is. A value headed by a shade written where a
title states a colour ("Teddy Coat, Cream", "Mustard Knit Jumper") yields to the value the head names
(``HeadNoun.shade_beaten``, through ``zero.keep_branches``); a shade inside the phrase may name the product or what it
holds ("Green Tea Bags")."""

from __future__ import annotations

import pytest
from zero_shop import beaten, shop_tagger

from tagllm import Tagger

# A small shop's tree, written for these tests.
SHOP = """
name: test-shades
facets:
  - name: category
    hierarchical: true
    values:
      - id: clothing
        name: Clothing
        children:
          - {id: coats, name: Coats}
      - id: food
        name: Food
        children:
          - {id: cream, name: Cream}
          - {id: oranges, name: Oranges}
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    return shop_tagger(tmp_path_factory, embedder, SHOP, "shades")


def test_a_shade_stating_the_colour_yields_to_the_product(tagger: Tagger) -> None:
    assert ("cream", "coats") in beaten(tagger, "Teddy Coat, Cream")
    assert ("cream", "coats") in beaten(tagger, "Cream Teddy Coat")
    assert ("cream", "coats") in beaten(tagger, "Teddy Coat in Cream")
    # inside the phrase a shade may name what the product is, is made of or holds
    assert ("cream", "coats") not in beaten(tagger, "Teddy Cream Coat Lining")


def test_the_head_word_itself_is_no_shade_to_beat(tagger: Tagger) -> None:
    assert not any(loser == "oranges" for loser, _ in beaten(tagger, "Sweet Oranges 1kg, Orange"))
