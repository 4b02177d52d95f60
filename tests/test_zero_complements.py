"""With no examples: what a product comes "with" is no product. A value named only in the title's "with" phrase
("A4 Laminator with 50 Laminating Pouches") trades probabilities with the value the head names, where the head word
stands right before "with" (``HeadNoun.complement_beaten``, through ``zero.keep_branches``)."""

from __future__ import annotations

import pytest
from zero_shop import beaten, shop_tagger

from tagllm import Tagger
from tagllm.taxonomy import CATEGORY

# A small office shop's tree, written for these tests.
SHOP = """
name: test-complements
facets:
  - name: category
    hierarchical: true
    values:
      - id: office
        name: Office Supplies
        children:
          - id: equipment
            name: Office Equipment
            children:
              - {id: laminators, name: Laminators}
          - id: laminating
            name: Laminating Film, Pouches & Sheets
            children:
              - {id: pouches, name: Laminating Pouches}
              - {id: sheets, name: Laminating Sheets}
      - id: furniture
        name: Furniture
        children:
          - {id: desks, name: Desks}
          - {id: lamps, name: Desk Lamps}
"""


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory, embedder) -> Tagger:  # type: ignore[no-untyped-def]
    return shop_tagger(tmp_path_factory, embedder, SHOP, "complements")


def test_a_value_named_in_the_with_phrase_yields_to_the_product(tagger: Tagger) -> None:
    title = "A4 Laminator with 50 Laminating Pouches"
    assert ("pouches", "laminators") in beaten(tagger, title)
    best = tagger.tag([{"id": "p", "title": title}])[0].best(CATEGORY)
    assert best is not None and best.id == "laminators"


def test_the_with_phrase_ends_at_the_titles_next_segment(tagger: Tagger) -> None:
    # after a comma a title may name the product again: the phrase's end keeps that name out
    assert not any(loser == "lamps" for loser, _ in beaten(tagger, "Writing Desk with Drawer, Desk Lamps Included"))
    assert ("lamps", "desks") in beaten(tagger, "Writing Desk with Desk Lamps and Drawer")


def test_only_a_with_phrase_right_after_the_head_is_what_the_product_comes_with(tagger: Tagger) -> None:
    # "with" after another word may belong to it, and a set's "with" says what the set holds
    assert not beaten(tagger, "A4 Laminator Thermal with 20 Laminating Pouches")
    assert not beaten(tagger, "Laminating Pouches Set with Laminating Sheets")
