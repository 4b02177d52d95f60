"""The modifier stage's sense check: a head and the word before it that WordNet knows as one thing far from the value's
path name that value only as a homonym (``modifier_checks.sense_disagrees``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.modifier_checks import sense_disagrees
from tagllm.taxonomy import Facet, Taxonomy, Value


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    """A small tree with WordNet read (no embedder): trees, horses, boots, dinner plates."""
    rows = [
        ("home", "Home & Garden", None),
        ("plants", "Plants", "home"),
        ("trees", "Trees", "plants"),
        ("animals", "Animals", None),
        ("livestock", "Livestock", "animals"),
        ("horses", "Horses", "livestock"),
        ("apparel", "Apparel", None),
        ("shoes", "Shoes", "apparel"),
        ("boots", "Boots", "shoes"),
        ("kitchen", "Kitchen & Dining", "home"),
        ("tableware", "Tableware", "kitchen"),
        ("dinnerware", "Dinnerware", "tableware"),
        ("plates", "Plates", "dinnerware"),
    ]
    values: dict[str, Value] = {}
    for vid, name, parent in rows:
        path = f"{values[parent].path} > {name}" if parent else name
        values[vid] = Value(vid, name, "category", parent, path)
    taxonomy = Taxonomy("senses", {"category": Facet("category", "Category", hierarchical=True)}, values)
    return Mapper(taxonomy, use_embeddings=False, cache_dir=Path(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize(
    ("modifier", "head", "value", "disagrees"),
    [
        ("shoe", "tree", "trees", True),  # WordNet's shoe tree is a device kept in a shoe, no plant
        ("clothes", "horse", "horses", True),  # a clothes horse is a frame for drying clothes
        ("rubber", "boots", "boots", False),  # a rubber boot is a boot: the head names it
        ("leather", "boots", "boots", False),  # WordNet knows no "leather boot": nothing to disagree with
        ("apple", "tree", "trees", False),  # an apple tree is a tree
        ("wellington", "boots", "boots", False),  # a boot in the word's first sense, though footwear is not on the path
        ("number", "plate", "plates", True),  # a plate of metal, a rarer sense of "plate" that reaches no tableware
        ("dinner", "plate", "plates", False),  # a plate in the sense of a dish: Tableware is on the path
    ],
)
def test_a_compound_wordnet_knows_must_agree_with_the_values_path(
    mapper: Mapper, modifier: str, head: str, value: str, disagrees: bool
) -> None:
    assert sense_disagrees(mapper, modifier, head, value) is disagrees
