"""Words that tell kinds apart in the modifier stage: a head that is only a modifier in the value's name ("bed pillow"
is no Pillow Beds), a dropped word that shares its root with a word of another value's name beside the head ("draining
rack": Dish Racks & Drain Boards, not oven Racks), a look-alike word after a material's name ("gold tone")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.compounds import head_modifies
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.testing import category_values

pytest.importorskip("wn", reason="the modifier stage reads WordNet (tagllm[lexicon])")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def shop() -> Taxonomy:
    tree = [
        ("pets", "Pet Supplies", None),
        ("pet-beds", "Pet Beds", "pets"),
        ("pillow-beds", "Pillow Beds", "pet-beds"),
        ("home", "Home", None),
        ("bedding", "Bedding", "home"),
        ("pillows", "Pillows", "bedding"),
        ("kitchen", "Kitchen Tools", "home"),
        ("dish-racks", "Dish Racks & Drain Boards", "kitchen"),
        ("oven", "Oven Accessories", "home"),
        ("racks", "Racks", "oven"),
        ("food", "Food Carriers", "home"),
        ("lunch-boxes", "Lunch Boxes & Totes", "food"),
    ]
    values = [
        *category_values(tree),
        *(Value(f"m-{n.lower()}", n, "material") for n in ["Gold", "Leather", "Faux leather", "Wood"]),
        *(Value(f"k-{n.lower()}", n, "color") for n in ["Gold", "Silver", "Black"]),
    ]
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "material": Facet("material", "Material"),
        "color": Facet("color", "Color"),
    }
    return Taxonomy("kinds", facets, {v.id: v for v in values})


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(shop(), use_embeddings=False)


def outcome(m: Mapped) -> tuple[str, str | None] | None:
    return (m.value.id, m.method) if m.value else None


def test_a_head_that_only_modifies_the_values_name() -> None:
    [pillow_beds] = [v for v in shop().values.values() if v.name == "Pillow Beds"]
    [lunch] = [v for v in shop().values.values() if v.name == "Lunch Boxes & Totes"]
    assert head_modifies("pillow", pillow_beds)  # a pillow bed is a bed
    assert not head_modifies("bed", pillow_beds)
    assert not head_modifies("box", lunch)  # the head ends the part "Lunch Boxes"
    assert not head_modifies("cushion", pillow_beds)  # no word of the name: says nothing


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("category", "soft bed pillow", None),  # "bed pillow" reordered is Pillow Beds: another thing
        ("category", "draining rack", None),  # "drain" names Dish Racks & Drain Boards beside "racks": not oven Racks
        ("category", "kids lunch box", ("lunch-boxes", "modifier")),  # the head ends a part of the name
        ("material", "gold tone", None),  # only looks like gold, and the facet has no faux gold
        ("material", "gold toned", None),
        ("material", "two tone gold", ("m-gold", "modifier")),  # the look word is not after the name
        ("color", "gold tone", ("k-gold", "modifier")),  # a colour facet: a tone of gold is gold
    ],
)
def test_words_that_tell_kinds_apart(mapper: Mapper, facet: str, text: str, expected: object) -> None:
    assert outcome(mapper.map([text], facet)[0]) == expected


def test_a_modifier_that_names_a_kind_beside_the_heads_value_leaves_the_landing() -> None:
    # WordNet's polo shirt is a shirt, but "polo" names Polos beside Shirts: the compound is no plain Shirts
    tree = [
        ("clothing", "Clothing", None),
        ("tops", "Clothing Tops", "clothing"),
        ("shirts", "Shirts", "tops"),
        ("polos", "Polos", "tops"),
        ("games", "Sports", None),
        ("polo", "Polo", "games"),
    ]
    values = category_values(tree)
    taxonomy = Taxonomy(
        "tops", {"category": Facet("category", "Category", hierarchical=True)}, {v.id: v for v in values}
    )
    mapper = Mapper(taxonomy, use_embeddings=False)
    polo_shirt, dress_shirt = mapper.map(["polo shirt", "dress shirt"], "category")
    assert polo_shirt.value is None
    assert outcome(dress_shirt) == ("shirts", "lexical")  # "dress" names no kind beside or under Shirts


def test_a_dropped_word_that_names_a_kind_under_the_head_value_names_the_kind() -> None:
    # "beanie" is a hat style, stripped like a material before the head, but it also names Beanies under Hats
    tree = [("apparel", "Apparel", None), ("hats", "Hats", "apparel"), ("beanies", "Beanies", "hats")]
    values = [
        *category_values(tree),
        Value("st-beanie", "Beanie", "hat-style"),
        Value("st-bucket", "Bucket", "hat-style"),
        Value("m-wool", "Wool", "material"),
    ]
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        "hat-style": Facet("hat-style", "Hat style"),
        "material": Facet("material", "Material"),
    }
    mapper = Mapper(Taxonomy("hats", facets, {v.id: v for v in values}), use_embeddings=False)
    beanie_hat, wool_hat = mapper.map(["wool beanie hat", "wool hat"], "category")
    assert outcome(beanie_hat) == ("beanies", "modifier")
    assert outcome(wool_hat) == ("hats", "modifier")  # a material names no kind of hat
