"""With no examples: a title's noun that no category's name holds, and that WordNet knows by no other name, is read as
the thing it is a kind of ("Sundress" is a dress, "Rabbit Hutch" a cage, "Bookshelf" a shelf), where the
word is no adjective; a word that has other names keeps them alone ("Jumper" is a sweater); another name written closed
from a category's two-word name is read as those two words (WordNet's "watchband", for a "Watch Strap", is "Watch
Bands")."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm import Tagger
from tagllm.candidates.features import COLUMN
from tagllm.candidates.head_words import head_finder
from tagllm.candidates.synonyms import synonyms, usual
from tagllm.config import TaggerConfig
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
          - id: jewelry
            name: Jewelry
            children:
              - {id: watch-bands, name: Watch Bands}
              - {id: watches, name: Watches}
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


def test_another_name_written_closed_is_read_as_the_category_s_two_words(shop: Taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    # "Watch Strap" closes to WordNet's watchstrap, whose other name "watchband" no name heads as one word
    assert "watchband" in synonyms()["watchstrap"]
    tagger = Tagger(shop, embedder=embedder, config=TaggerConfig(facets=[CATEGORY]))
    title = "Replacement Watch Strap 20mm Quick Release"
    scorer = tagger.scorer
    features = scorer.features(scorer.prepare([title], tagger.embedder.encode([title])), CATEGORY)
    head = {features.ids[v]: float(h) for v, h in zip(features.values, features.matrix[:, COLUMN["head"]], strict=True)}
    assert head["watch-bands"] == 1.0  # before: no head score
    assert head.get("watches", 0.0) < 0.5
