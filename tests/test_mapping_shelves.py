"""Stricter checks on what the modifier stage takes: a phrase left after stripping that WordNet reads as a shelf
("fizzy drinks": Beverages; a material says no kind: "leather couch" is Sofas), a material said only to look or feel
like one ("cotton feel", "leather look"), and two materials named together ("PU leather")."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the lexical stage needs tagllm[lexicon]")

CACHE = Path(tempfile.mkdtemp(prefix="tagllm-shelves-"))


def shop() -> Taxonomy:
    tree = [
        ("food", "Food, Beverages & Tobacco", None),
        ("beverages", "Beverages", "food"),
        ("soda", "Soda", "beverages"),
        ("juice", "Juice", "beverages"),
        ("apparel", "Apparel & Accessories", None),
        ("shoes", "Shoes", "apparel"),
        ("boots", "Boots", "shoes"),
        ("furniture", "Furniture", None),
        ("sofas", "Sofas", "furniture"),
    ]
    materials = [Value(f"m-{n.lower()}", n, "fabric") for n in ["Cotton", "Silk", "Leather", "Faux leather", "Wool"]]
    # a second facet of materials, with a material the first lacks (written with its abbreviation)
    bags = [Value(f"b-{n.lower()}", n, "material") for n in ["Polyurethane (PU)", "Leather", "Faux leather"]]
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "fabric": Facet("fabric", "Fabric"),
        "material": Facet("material", "Material"),
    }
    values = [*category_values(tree), *materials, *bags]
    return Taxonomy("shelves", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), use_embeddings=False, cache_dir=CACHE)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("drinks", ("beverages", "lexical")),  # the word alone is WordNet's beverage: the shelf is what it says
        ("fizzy drinks", None),  # a kind of drink the words stripped named: not the shelf of every drink
        ("sparkling drinks", None),
        ("mens shoes", ("shoes", "modifier")),  # a name, not a WordNet reading: the shelf is what the string names
        ("leather boots", ("boots", "modifier")),
        ("leather couch", ("sofas", "modifier")),  # WordNet's couch is a sofa; a material says no kind of sofa
    ],
)
def test_a_stripped_phrase_read_by_wordnet_is_no_shelf(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], "category")[0]) == expected


@pytest.mark.parametrize("text", ["cotton feel", "silk feel", "leather look", "wool touch", "silk feeling"])
def test_a_material_that_only_looks_or_feels_like_one_is_rejected(mapper: Mapper, text: str) -> None:
    [m] = mapper.map([text], "fabric")
    assert m.value is None
    assert m.reason is not None and "only looks like" in m.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cotton", "m-cotton"),
        ("pure silk", "m-silk"),
        ("faux leather", "m-faux leather"),
        ("vegan leather", "m-faux leather"),
        ("genuine leather", "m-leather"),
    ],
)
def test_materials_without_a_lookalike_word_still_map(mapper: Mapper, text: str, expected: str | None) -> None:
    [m] = mapper.map([text], "fabric")
    assert (m.value.id if m.value else None) == expected


def test_two_materials_named_together_are_no_one_of_them(mapper: Mapper) -> None:
    # polyurethane made to look like leather: where the facet has no PU it is the facet's imitation of leather (the
    # imitation stage, as the stated finder reads a title), never Leather itself; with no imitation value, nothing
    [m] = mapper.map(["PU leather"], "fabric")
    assert m.value is not None and m.value.name == "Faux leather"
    [m] = mapper.map(["PU cotton"], "fabric")  # no imitation of cotton: two materials named, no one of them
    assert m.value is None
    assert outcome(mapper.map(["PU"], "material")[0]) == ("b-polyurethane (pu)", "alias")
