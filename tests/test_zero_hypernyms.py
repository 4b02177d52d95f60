"""With no examples: a title's noun that no category's name holds, and that WordNet knows by no other name, is read as
the thing it is a kind of ("Sundress" is a dress, "Rabbit Hutch" a cage, "Bookshelf" a shelf), where the
word is no adjective; a word that has other names keeps them alone ("Jumper" is a sweater)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm.candidates.head_words import head_finder
from tagllm.candidates.synonyms import synonyms, usual
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A small shop's tree, written for these tests.
SHOP = """
name: test-hypernyms
facets:
  - name: category
    hierarchical: true
    values:
      - id: apparel
        name: Apparel
        children:
          - {id: dresses, name: Dresses}
          - {id: cup-sleeves, name: Cup Sleeves}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path: Path = tmp_path_factory.mktemp("hypernyms") / "shop.yaml"
    path.write_text(textwrap.dedent(SHOP))
    return load_taxonomy(path)


def test_a_noun_with_no_other_name_is_read_as_what_it_is_a_kind_of() -> None:
    table = synonyms()
    assert "dress" in table["sundress"] and "sundress" in usual()
    assert "cage" in table["hutch"]
    assert table["jumper"] == ("sweater",)  # its own other name, no kind added beside it


def test_an_adjective_is_read_through_no_kind() -> None:
    # WordNet's "portable" is a typewriter as a noun: read through its kind, "… SSD Portable" was a typewriter
    assert "portable" not in synonyms()


def test_the_kind_makes_the_noun_the_title_s_head(shop: Taxonomy) -> None:
    # before: "sundress" headed no name, and the title's head was the sleeve of "Ruffle Sleeve"
    find = head_finder(shop, CATEGORY)
    assert find("Girls' Ruffle Sleeve Cotton Sundress, Floral Print, Ages 4-5").word == "sundress"
