"""The modifier stage's homonym check: in a two-word phrase whose head WordNet files under several kinds of noun, a noun
before it far from the value's path says the phrase means another thing of that name
(``modifier_checks.homonym_far_from_path``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.modifier_checks import homonym_far_from_path
from tagllm.taxonomy import Facet, Taxonomy, Value

ROWS = [
    ("food", "Food", None),
    ("dairy", "Dairy Products", "food"),
    ("cream", "Cream", "dairy"),
    ("apparel", "Apparel & Accessories", None),
    ("jewelry", "Jewelry", "apparel"),
    ("rings", "Rings", "jewelry"),
    ("home", "Home & Garden", None),
    ("kitchen", "Kitchen & Dining", "home"),
    ("carriers", "Food & Beverage Carriers", "kitchen"),
    ("coolers", "Coolers", "carriers"),
    ("teapots", "Teapots", "kitchen"),
    ("hardware", "Hardware", None),
    ("tools", "Tools", "hardware"),
    ("grips", "Grips", "tools"),
]


def _taxonomy() -> Taxonomy:
    values: dict[str, Value] = {}
    for vid, name, parent in ROWS:
        path = f"{values[parent].path} > {name}" if parent else name
        values[vid] = Value(vid, name, "category", parent, path)
    return Taxonomy("homonyms", {"category": Facet("category", "Category", hierarchical=True)}, values)


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    """A small tree with WordNet read (no embedder): dairy cream, jewellery rings, picnic coolers, tool grips."""
    return Mapper(_taxonomy(), use_embeddings=False, cache_dir=Path(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(
    ("modifier", "head", "value", "far"),
    [
        ("foot", "cream", "cream", True),  # a body part's cream is a lotion, not a dairy product
        ("onion", "rings", "rings", True),  # a vegetable says the rings are food, not jewellery
        ("garage", "cooler", "coolers", True),  # a building's cooler cools air, no food carrier
        ("bicycle", "grips", "grips", True),  # a bicycle's grips are handlebar parts, no tool's
        ("beer", "cooler", "coolers", False),  # beer is a beverage, and the path holds Food & Beverage Carriers
        ("picnic", "cooler", "coolers", False),  # a picnic is a meal: the path's Food
        ("sour", "cream", "cream", False),  # an adjective describes the cream, it picks no other thing
        ("wedding", "ring", "rings", False),  # WordNet knows the wedding ring as one thing: sense_disagrees reads it
        ("hotel", "teapot", "teapots", False),  # a teapot is one kind of thing: no homonym to mistake
    ],
)
def test_a_noun_far_from_the_path_before_a_homonym_head(
    mapper: Mapper, modifier: str, head: str, value: str, far: bool
) -> None:
    assert homonym_far_from_path(mapper, modifier, head, value) is far


def test_the_modifier_stage_leaves_another_thing_of_the_heads_name_unmapped(embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With the embedder judging heads (it takes each of these heads without the check), "onion rings", "garage
    cooler" and "foot cream" are not taken for jewellery Rings, picnic Coolers and dairy Cream, while a plain "rings"
    still is, and a "beer cooler" (a beverage's) is a Cooler."""
    mapper = Mapper(_taxonomy(), embedder=embedder, cache_dir=tmp_path)
    texts = ["onion rings", "garage cooler", "foot cream", "rings", "beer cooler"]
    got = {text: m.value.id if m.value else None for text, m in zip(texts, mapper.map(texts, "category"), strict=True)}
    assert got == {
        "onion rings": None,
        "garage cooler": None,
        "foot cream": None,
        "rings": "rings",
        "beer cooler": "coolers",
    }
