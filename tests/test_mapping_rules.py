"""Facet rules of the mapper that give values more names or settle repeated names: general values among repeated
names, "A & B" parts, sizes with a half, numbers written out, "years old", "sz", adjectives made of nouns, "flavour",
words run together, gender words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.derived import noun_root, root
from tagllm.mapping.families import (
    half_spellings,
    number_spellings,
    part_aliases,
    qualifies_shared_head,
    range_spellings,
    shared_head_aliases,
)
from tagllm.mapping.paraphrase import agent_nouns
from tagllm.mapping.repeats import general_value
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.testing import category_values


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def _category(vid: str, name: str, parent: Value | None) -> Value:
    path = f"{parent.path} > {name}" if parent is not None else name
    return Value(vid, name, "category", parent.id if parent is not None else None, path)


def shop() -> Taxonomy:
    """Jumpers for adults and babies (one branch), brushes for pets and drums (two branches), joined names, sizes."""
    clothing = _category("clothing", "Clothing", None)
    tops = _category("tops", "Tops", clothing)
    baby = _category("baby", "Baby Clothing", clothing)
    baby_tops = _category("baby-tops", "Baby Tops", baby)
    pets = _category("pets", "Pet Supplies", None)
    music = _category("music", "Music", None)
    kitchen = _category("kitchen", "Kitchen", None)
    values = [
        clothing, tops, baby, baby_tops, pets, music, kitchen,
        _category("sweaters", "Sweaters", tops),
        _category("baby-sweaters", "Sweaters", baby_tops),
        _category("pet-brushes", "Brushes", pets),
        _category("drum-brushes", "Brushes", music),
        _category("coffee", "Coffee Makers & Espresso Machines", kitchen),
        _category("mitts", "Oven Mitts & Holders", kitchen),
        _category("toasters", "Toasters", kitchen),
        *(Value(f"s-{n}", n, "shoe-size") for n in ["7", "7.5", "8", "8.5"]),
        *(Value(f"a-{n}", n, "size") for n in ["2-3 years", "3-4 years", "10", "12"]),
        *(Value(f"sh-{n.lower()}", n, "shape") for n in ["Hexagonal", "Rectangular", "Round", "Animal"]),
        *(Value(f"f-{n.lower()}", n, "flavor") for n in ["Mango", "Vanilla", "Caramel", "Salted caramel"]),
        Value("c-hook", "Hook & eye", "closure-type"),
        *(Value(f"n-{n.lower()}", n, "neckline") for n in ["Turtle", "Crew", "V-neck"]),
        *(Value(f"j-{n.lower()}", n, "jewelry-material") for n in ["Silver", "Sterling silver", "Gold"]),
        *(Value(f"m-{n.lower()}", n, "material") for n in ["Leather", "Faux leather", "Fabric"]),
        *(Value(f"g-{n.lower()}", n, "target-gender") for n in ["Male", "Female", "Unisex"]),
        *(Value(f"fi-{n.lower()}", n, "finish") for n in ["Gloss", "Matte"]),
    ]  # fmt: skip
    facets = {
        "category": Facet("category", "Category", hierarchical=True),
        **{
            f: Facet(f, f.replace("-", " ").capitalize())
            for f in ("shoe-size", "size", "shape", "flavor", "neckline", "target-gender", "finish")
        },
        "closure-type": Facet("closure-type", "Closure type"),
        "jewelry-material": Facet("jewelry-material", "Jewelry material"),
        "material": Facet("material", "Material"),
    }
    return Taxonomy("shop", facets, {v.id: v for v in values})


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


def test_a_repeated_name_is_the_general_value_in_one_branch_only() -> None:
    taxonomy = shop()
    assert general_value(taxonomy, ["baby-sweaters", "sweaters"]) == "sweaters"  # the baby one adds a qualifier
    assert general_value(taxonomy, ["pet-brushes", "drum-brushes"]) is None  # two branches: no general one
    assert general_value(taxonomy, ["sweaters", "toasters"]) is None  # two names
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map_one("Sweaters", "category")) == ("sweaters", "exact")
    assert str(outcome(m.map_one("Brushes", "category"))).startswith("ambiguous: 'Brushes' names 2 values")


def test_allowed_values_still_choose_among_a_repeated_name() -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    answer = m.map_answer('{"category": "Sweaters"}', ["category"], allowed={"category": {"baby-sweaters"}})
    assert [v.id for v, _ in answer.tags["category"]] == ["baby-sweaters"]
    assert answer.rejected == []


def test_parts_of_a_joined_name_of_two_words_or_more_name_the_value() -> None:
    values = list(shop().values.values())
    found = {alias: v.id for alias, v in part_aliases(values)}
    assert found == {
        "Coffee Makers": "coffee", "Espresso Machines": "coffee", "Oven Mitts": "mitts",
    }  # fmt: skip
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map_one("coffee maker", "category")) == ("coffee", "alias")


def test_a_qualifier_joined_before_a_shared_head_names_the_value_with_that_head() -> None:
    tree = [
        ("electronics", "Electronics", None),
        ("phones", "Mobile & Smart Phones", "electronics"),
        ("tripods", "Mobile Phone & Tablet Tripods", "electronics"),
        ("collars", "Training, Choke & Pinch Collars", None),
        ("charms", "Charms & Pendants", None),
    ]
    facets = {"category": Facet("category", "Category", hierarchical=True)}
    taxonomy = Taxonomy("t", facets, {v.id: v for v in category_values(tree)})
    found = {alias: v.id for alias, v in shared_head_aliases(list(taxonomy.values.values()))}
    # "Charms" names a kind of its own; "Mobile Phone & Tablet Tripods" gives "Mobile Phone Tripods", no phone
    assert found == {
        "Mobile Phones": "phones", "Mobile Phone Tripods": "tripods", "Training Collars": "collars",
        "Choke Collars": "collars",
    }  # fmt: skip
    assert qualifies_shared_head("Mobile Phone", "Mobile Phone & Tablet Tripods")
    assert not qualifies_shared_head("Tablet Tripods", "Mobile Phone & Tablet Tripods")
    assert not qualifies_shared_head("Charms", "Charms & Pendants")
    assert not qualifies_shared_head("Shampoo", "Shampoo & Conditioner")  # no head shared: two kinds
    m = Mapper(taxonomy, use_embeddings=False, use_lexicon=False)
    assert outcome(m.map_one("mobile phone", "category")) == ("phones", "alias")
    assert outcome(m.map_one("choke collar", "category")) == ("collars", "alias")
    assert outcome(m.map_one("Electronics > Telephony > Mobile Phones", "category")) == ("phones", "foreign_path")
    # without a phones value, another catalogue's phones are still no tripods: "Mobile Phone" qualifies their head
    no_phones = Taxonomy("t2", facets, {v.id: v for v in category_values(tree[:1] + tree[2:3])})
    m = Mapper(no_phones, use_embeddings=False, use_lexicon=False)
    assert m.map_one("Electronics > Telephony > Mobile Phones", "category").value is None


@pytest.mark.parametrize(
    ("facet", "text", "expected"),
    [
        ("shoe-size", "7 ½", ("s-7.5", "alias")),
        ("shoe-size", "8 1/2", ("s-8.5", "alias")),
        ("shoe-size", "sz. 8", ("s-8", "modifier")),
        ("shoe-size", "eight and a half", ("s-8.5", "alias")),  # a number written out
        ("shoe-size", "size seven", ("s-7", "modifier")),
        ("size", "size 100", "no value of facet 'size' is close enough"),  # no "10.0" alias: it would read as 100
        ("size", "twelve", ("a-12", "alias")),
        ("size", "2-3 years old", ("a-2-3 years", "alias")),
        ("size", "sz 12", ("a-12", "modifier")),
        ("shape", "hexagon", ("sh-hexagonal", "derived")),
        ("shape", "rectangle", ("sh-rectangular", "derived")),
        ("flavor", "mango flavoured", ("f-mango", "modifier")),
        ("flavor", "rich caramel", ("f-caramel", "modifier")),
        ("neckline", "turtleneck", ("n-turtle", "modifier")),  # a value's name run together with the facet's word
        ("neckline", "crewneck", ("n-crew", "modifier")),
        ("neckline", "redneck", "no value of facet 'neckline' is close enough"),  # "red" names no neckline
        ("finish", "glossy", ("fi-gloss", "derived")),  # "gloss" is no plural
        ("target-gender", "girls", ("g-female", "alias")),
        ("target-gender", "male and female", ("g-unisex", "alias")),
        ("size", "12R", ("a-12", "modifier")),  # a size with its fit letter: regular
        ("size", "12W x 30L", ("a-12", "modifier")),  # waist and inseam: size facets name the waist
        ("size", "W12 L32", ("a-12", "modifier")),
        ("shoe-size", "toddler 8C", ("s-8", "modifier")),  # the range and its letter
        ("shoe-size", "youth 7.5Y", ("s-7.5", "modifier")),
        ("size", "6M", "no value of facet 'size' is close enough"),  # M is months, not a fit
        ("jewelry-material", "925 silver", ("j-sterling silver", "modifier")),  # the sterling mark names the alloy
        ("jewelry-material", "S925", ("j-sterling silver", "modifier")),
        ("jewelry-material", "925 sterling", ("j-sterling silver", "modifier")),
        ("jewelry-material", "18k gold", ("j-gold", "modifier")),  # a gold's karat is no other alloy's name
        ("material", "leatherette", ("m-faux leather", "derived")),  # an imitation word made of a material's name
        ("material", "pleather", ("m-faux leather", "derived")),  # ... is its Faux value, never the material
        # a value written first, a clause after it
        ("neckline", "crew neckline with ribbed trim", ("n-crew", "clause")),
        ("flavor", "Mango - no added sugar", ("f-mango", "clause")),
        ("flavor", "vanilla (Madagascan)", ("f-vanilla", "clause")),
    ],
)
def test_attribute_values_written_by_hand(facet: str, text: str, expected: tuple[str, str] | str) -> None:
    m = Mapper(shop(), use_embeddings=False, use_lexicon=False)
    assert outcome(m.map_one(text, facet)) == expected


def test_a_word_beside_the_head_sharing_a_root_with_another_value_leaves_the_head() -> None:
    from test_mapping_stages import FakeEmbedder

    m = Mapper(shop(), embedder=FakeEmbedder({"caramel": 0}), use_lexicon=False)
    assert outcome(m.map_one("toffee caramel", "flavor")) == ("f-caramel", "modifier")  # the embedder agrees
    # "salt" and "salted" share a root: the phrase may be Salted caramel written another way, not a kind of Caramel
    assert m.map_one("sea salt caramel", "flavor").value is None


def test_spellings_and_roots() -> None:
    assert half_spellings("9.5") == ["9 1/2", "9½", "9 ½"]
    assert half_spellings("9") == []
    assert number_spellings("8") == ["eight"]
    assert number_spellings("9.5") == ["nine and a half"]
    assert number_spellings("1") == []  # "one" alone says One size as often as size 1
    assert number_spellings("XL") == []
    assert "4-5 years old" in range_spellings("4-5 years")
    assert noun_root("hexagonal") == root("hexagon") == "hexagon"
    assert noun_root("rectangular") == root("rectangle") == "rectangl"
    assert noun_root("animal") is None  # "anim": too short to meet a noun ("anime")


def test_agent_nouns_of_a_description() -> None:
    assert agent_nouns("machine that toasts bread") == ["toaster"]
    assert agent_nouns("device for drying hair") == ["dryer", "drier"]
    assert agent_nouns("chair that rocks") == []  # no object: the compound rewrites read it
