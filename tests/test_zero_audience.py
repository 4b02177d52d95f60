"""With no examples: a category filed under a branch for an audience (babies, toddlers) takes a product only when its
title names whom the product is for (``tagllm.candidates.audience``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm.candidates.audience import AudienceBranches
from tagllm.candidates.branches import words_of
from tagllm.candidates.head_beaten import FULL, HALF, SPECIFIC
from tagllm.candidates.noun_senses import person_words
from tagllm.taxonomy import CATEGORY, Taxonomy, load_taxonomy

# A home and baby shop's tree, written for these tests: blankets for anyone and for babies, and baby rockers (a
# person's word ending the name of a category with none below it is a thing sold: chairs, not an audience).
SHOP = """
name: test-blankets
facets:
  - name: category
    hierarchical: true
    values:
      - id: home
        name: Home & Garden
        children:
          - id: bedding
            name: Bedding
            children:
              - {id: blankets, name: Blankets}
      - id: baby
        name: Baby & Toddler
        children:
          - id: swaddling
            name: Swaddling & Receiving Blankets
            children:
              - {id: receiving, name: Receiving Blankets}
          - {id: rockers, name: Baby Rockers}
      - id: chairs
        name: Rocker Chairs
        children:
          - {id: gliders, name: Gliders}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path: Path = tmp_path_factory.mktemp("blankets") / "shop.yaml"
    path.write_text(textwrap.dedent(SHOP))
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def audiences(shop: Taxonomy) -> tuple[AudienceBranches, dict[str, int]]:
    values = shop.facet_values(CATEGORY)
    return AudienceBranches(shop, values), {v.id: i for i, v in enumerate(values)}


def test_person_words_are_wordnet_s_usual_persons() -> None:
    words = person_words()
    assert {"baby", "toddler", "woman", "kid"} <= words
    assert not {"blanket", "cotton", "sleeve", "maternity", "driver", "professional"} & words


def test_a_path_names_its_audience_but_not_a_value_s_own_head(audiences) -> None:  # type: ignore[no-untyped-def]
    branches, at = audiences
    assert branches.audience(at["receiving"]) == {"baby", "toddler"}
    assert branches.audience(at["blankets"]) == frozenset()
    assert "rocker" in person_words()
    assert branches.audience(at["gliders"]) == frozenset()  # "Baby Rockers" are chairs here


def test_a_title_naming_no_person_takes_the_plain_branch(audiences) -> None:  # type: ignore[no-untyped-def]
    branches, at = audiences
    scores = {at["receiving"]: SPECIFIC, at["blankets"]: HALF}
    said = words_of("Knitted Throw Blanket Chunky Cream")
    assert branches.beaten(scores, said) == [(at["receiving"], at["blankets"])]
    # a title naming a person is left to the other evidence; so is a baby value the plain one's score falls below
    assert branches.beaten(scores, words_of("Baby Throw Blanket")) == []
    # a possessive written without its apostrophe names its person too ("Womens" was read as 'women', no person)
    assert words_of("Womens Throw Blanket") == words_of("Women's Throw Blanket") == {"woman", "throw", "blanket"}
    assert branches.beaten(scores, words_of("Womens Throw Blanket")) == []
    assert branches.beaten({at["receiving"]: FULL, at["blankets"]: HALF}, said) == []
    assert branches.beaten({at["receiving"]: SPECIFIC}, said) == []
