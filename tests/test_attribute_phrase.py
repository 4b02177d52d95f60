"""With no examples, a title's attribute phrase, a value followed by its attribute's own word ("Long Sleeve", "High
Waist"), describes the product named before it and is not read as the product, as far as the taxonomy's attributes
apply to that product; a category's own two-word name ("Wine Glass") still names the product."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tagllm import Tagger
from tagllm.candidates.head_words import attribute_words, head_finder
from tagllm.candidates.title_head import HeadFinder
from tagllm.config import TaggerConfig
from tagllm.taxonomy import Taxonomy, load_taxonomy

TREE = """
name: apparel
facets:
  - name: category
    hierarchical: true
    values:
      - id: clothing
        name: Clothing
        children:
          - {id: shirts, name: Shirts}
          - {id: shorts, name: Shorts}
          - {id: leggings, name: Leggings}
          - {id: sleeves, name: Arm Warmers & Sleeves}
          - {id: waist-packs, name: Waist Packs}
      - id: kitchen
        name: Kitchen
        children:
          - {id: wine-glasses, name: Wine Glasses}
          - {id: decanters, name: Decanters}
      - {id: crystals, name: Crystals}
  - name: sleeve-length-type
    applies_to: [shirts]
    values: [{id: long, name: Long}, {id: short, name: Short}]
  - name: waist-rise
    applies_to: [leggings, shorts]
    values: [{id: high, name: High}, {id: low, name: Low}]
  - name: wine-type
    applies_to: [decanters]
    values: [{id: red, name: Red}, {id: white, name: White}]
"""


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    path: Path = tmp_path_factory.mktemp("apparel") / "tree.yaml"
    path.write_text(textwrap.dedent(TREE))
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def find(taxonomy: Taxonomy) -> HeadFinder:
    return head_finder(taxonomy, "category")  # the tagger's own, without an embedder


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Mens Oxford Shirt Long Sleeve Slim Fit Blue", "shirt"),  # after the noun, with more words after it
        ("Polo Shirt Short Sleeve White XL", "shirt"),  # the value is a product's noun too: "Short(s)"
        ("Yoga Leggings High Waist Black", "legging"),
        ("Short Sleeve Shirt", "shirt"),
        ("Crystal Wine Glass Set", "glass"),  # a category's own name; "glass" is no material here
        ("Laptop Sleeve Grey", "sleef"),  # no value of an attribute before it: the product
        ("Leather Belt Waist Pack", "pack"),  # "Belt" is no value of waist-rise
        # sleeve-length-type applies to shirts, not to leggings, so the attribute phrase rule leaves "sleeve"; since
        # 49f69e4 a garment's part after a modifier, with the product's noun before it, gives way to that noun
        ("Leggings Long Sleeve", "legging"),
    ],
)
def test_an_attribute_phrase_gives_way_to_the_product_it_describes(find: HeadFinder, title: str, word: str) -> None:
    assert find(title).word == word


def test_attribute_words_hold_each_value_with_its_attribute_and_where_it_applies(taxonomy: Taxonomy) -> None:
    words = attribute_words(taxonomy, "category")
    assert ("sleef", frozenset({"shirt"})) in words["long"]
    assert ("rise", frozenset({"legging", "short"})) in words["high"]
    assert all(facet_word != "type" for facet_word, _ in words["red"])  # generic words of a name are left out


def test_tagged_by_the_product_not_by_its_sleeve(taxonomy: Taxonomy, embedder) -> None:  # type: ignore[no-untyped-def]
    tagger = Tagger(taxonomy, embedder=embedder, config=TaggerConfig(facets=["category"]))
    titles = ["Mens Oxford Shirt Long Sleeve Slim Fit Blue", "Polo Shirt Short Sleeve"]
    results = tagger.tag([{"id": str(i), "title": t} for i, t in enumerate(titles)])
    assert [r.best("category").id for r in results] == ["shirts", "shirts"]  # type: ignore[union-attr]
