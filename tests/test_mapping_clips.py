"""The clip stage (``clips.py``): a flat facet's value written by the start of its name, a word clipped or the last
words left off."""

from __future__ import annotations

import pytest

from tagllm.mapping import Mapper
from tagllm.mapping.clips import begins, split
from tagllm.taxonomy import Facet, Taxonomy, Value

FACETS = {
    "solar-cell-type": ["Monocrystalline silicon", "Polycrystalline silicon", "Thin-film"],
    "material": ["Aluminum", "Polyester", "Polyurethane", "Cotton"],
    "print-technology": ["Dye sublimation", "Inkjet", "Laser"],
    "fit": ["Skinny leg", "Straight leg", "Slim"],
}


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    values = [Value(f"{f}-{i}", name, f, None, name) for f, names in FACETS.items() for i, name in enumerate(names)]
    category = Value("c1", "Polo Shirts", "category", None, "Polo Shirts")
    facets = {f: Facet(f, f.replace("-", " ").capitalize()) for f in FACETS}
    facets["category"] = Facet("category", "Category", hierarchical=True)
    taxonomy = Taxonomy("clips", facets, {v.id: v for v in [*values, category]})
    return Mapper(taxonomy, use_embeddings=False, use_lexicon=False, cache_dir=tmp_path_factory.mktemp("clips"))


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("solar-cell-type", "mono", "Monocrystalline silicon"),
        ("solar-cell-type", "Poly", "Polycrystalline silicon"),
        ("solar-cell-type", "monocrystalline", "Monocrystalline silicon"),  # the last word left off
        ("material", "alu", "Aluminum"),
        ("print-technology", "dye-sub", "Dye sublimation"),
        ("fit", "skinny", "Skinny leg"),
    ],
)
def test_the_start_of_one_values_name_names_it(mapper: Mapper, facet: str, text: str, expected: str) -> None:
    m = mapper.map_one(text, facet)
    assert m.value is not None and m.value.name == expected and m.method == "clip"


@pytest.mark.parametrize(
    ("facet", "text"),
    [
        ("material", "poly"),  # Polyester and Polyurethane both begin so
        ("material", "al"),  # two letters are a code, not a clipped word
        ("solar-cell-type", "mono 2"),  # letters only
        ("category", "polo"),  # a category's names are read by their words
    ],
)
def test_a_start_that_names_no_one_value_is_rejected(mapper: Mapper, facet: str, text: str) -> None:
    assert mapper.map_one(text, facet).value is None


def test_a_clip_keeps_the_order_of_the_words() -> None:
    assert begins(split("dye sub"), split("Dye sublimation"))
    assert not begins(split("sub dye"), split("Dye sublimation"))
    assert not begins(split("dye sublimation"), split("Dye sublimation"))  # the whole name: the table stages'
    assert not begins(split("pin"), split("Pink"))  # one letter short: a typo or another word, not a clip
