"""Another catalogue's paths read by their leaf and chosen among by their ancestors (``foreign.py``), and a name several
values share read as its one plain sense (``repeats.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagllm.mapping import Mapped, Mapper
from tagllm.mapping.repeats import general_value, plain_whole
from tagllm.taxonomy import Facet, Taxonomy
from tagllm.testing import category_values


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGLLM_CACHE_DIR", str(tmp_path))


def shop() -> Taxonomy:
    """Jeans for everyone, babies and mothers-to-be; socks and caps for fans, and caps for pipes; clutch bags and car
    clutches; briefs for men and for women; jackets only for sport, but coats & jackets for all; sleds for winter
    sports, and football sleds; sofas and rocking chairs indoors and outdoors; rain coats for people and for pets."""
    tree = [
        ("apparel", "Apparel & Accessories", None),
        ("clothing", "Clothing", "apparel"),
        ("pants", "Pants", "clothing"),
        ("jeans", "Jeans", "pants"),
        ("baby", "Baby & Toddler Clothing", "clothing"),
        ("baby-bottoms", "Baby & Toddler Bottoms", "baby"),
        ("baby-jeans", "Jeans", "baby-bottoms"),
        ("maternity", "Maternity Clothing", "clothing"),
        ("maternity-pants", "Maternity Pants", "maternity"),
        ("maternity-jeans", "Jeans", "maternity-pants"),
        ("socks", "Socks", "clothing"),
        ("tops", "Clothing Tops", "clothing"),
        ("t-shirts", "T-Shirts", "tops"),
        ("hats", "Hats", "apparel"),
        ("men-underwear", "Men's Underwear", "clothing"),
        ("men-briefs", "Briefs", "men-underwear"),
        ("women-underwear", "Women's Underpants", "clothing"),
        ("women-briefs", "Briefs", "women-underwear"),
        ("handbags", "Handbags", "apparel"),
        ("clutch-bags", "Clutch Bags", "handbags"),
        ("arts", "Arts & Entertainment", None),
        ("collectibles", "Collectibles", "arts"),
        ("fan", "Sports Fan Accessories", "collectibles"),
        ("fan-socks", "Socks", "fan"),
        ("fan-t-shirts", "T-Shirts", "fan"),
        ("fan-hats", "Hats", "fan"),
        ("fan-caps", "Caps", "fan"),
        ("hardware", "Hardware", None),
        ("plumbing", "Plumbing Fittings", "hardware"),
        ("pipe-caps", "Caps", "plumbing"),
        ("outerwear", "Outerwear", "clothing"),
        ("coats", "Coats & Jackets", "outerwear"),
        ("activewear", "Activewear", "clothing"),
        ("active-jackets", "Jackets", "activewear"),
        ("sports", "Sporting Goods", None),
        ("winter", "Winter Sports", "sports"),
        ("sleds", "Sleds", "winter"),
        ("dummies", "Football Dummies & Sleds", "sports"),
        ("vehicles", "Vehicles & Parts", None),
        ("transmission", "Transmission Parts", "vehicles"),
        ("clutches", "Clutches", "transmission"),
        ("dresses", "Dresses", "clothing"),
        ("rain-coats", "Rain Coats", "coats"),
        ("pets", "Animals & Pet Supplies", None),
        ("pet-apparel", "Pet Apparel", "pets"),
        ("pet-rain-coats", "Pet Rain Coats", "pet-apparel"),
        ("furniture", "Furniture", None),
        ("sofas", "Sofas", "furniture"),
        ("chairs", "Chairs", "furniture"),
        ("rocking-chairs", "Rocking Chairs", "chairs"),
        ("outdoor-furniture", "Outdoor Furniture", "furniture"),
        ("outdoor-sofas", "Outdoor Sofas", "outdoor-furniture"),
        ("outdoor-chairs", "Outdoor Chairs", "outdoor-furniture"),
        ("outdoor-rocking-chairs", "Rocking Chairs", "outdoor-chairs"),
        ("beds", "Beds & Bed Frames", "furniture"),
        ("pet-beds", "Pet Beds", "pets"),
    ]
    values = category_values(tree)
    return Taxonomy("shop", {"category": Facet("category", "Category", hierarchical=True)}, {v.id: v for v in values})


def outcome(m: Mapped) -> tuple[str | None, str | None] | str:
    return (m.value.id, m.method) if m.value else str(m.reason)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["jeans", "baby-jeans", "maternity-jeans"], "jeans"),  # the others add an audience
        (["fan-socks", "socks"], "socks"),  # the fans' branch copies clothing's names (T-Shirts, Hats)
        (["fan-caps", "pipe-caps"], None),  # the fans' branch copies no plumbing: a fan's cap or a pipe's
        (["men-briefs", "women-briefs"], None),  # both narrowed: no plain one
    ],
)
def test_a_shared_name_is_its_one_plain_sense(ids: list[str], expected: str | None) -> None:
    assert general_value(shop(), ids) == expected


def test_a_name_only_a_narrowed_value_carries_is_the_plain_value_it_is_part_of() -> None:
    taxonomy = shop()
    assert plain_whole(taxonomy, "active-jackets") == "coats"  # "Jackets": one kind of Coats & Jackets
    assert plain_whole(taxonomy, "sleds") is None  # "Football Dummies & Sleds": the short part borrows "Football"
    assert plain_whole(taxonomy, "coats") is None  # not narrowed
    m = Mapper(taxonomy, use_embeddings=False, use_lexicon=False)
    assert outcome(m.map_one("Jackets", "category")) == ("coats", "exact")
    answer = m.map_answer('{"category": "Jackets"}', ["category"], allowed={"category": {"active-jackets"}})
    assert [v.id for v, _ in answer.tags["category"]] == ["active-jackets"]  # a product's candidates still choose


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Mapper:
    return Mapper(shop(), use_embeddings=False, use_lexicon=False, cache_dir=tmp_path_factory.mktemp("foreign"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jeans", ("jeans", "exact")),
        ("Socks", ("socks", "exact")),
        ("Apparel > Bottomwear > Jeans", ("jeans", "foreign_path")),  # "Bottomwear" is no value: the leaf places
        ("Maternity > Jeans", ("maternity-jeans", "foreign_path")),  # the path says the qualifier
        ("Men > Underwear > Briefs", ("men-briefs", "foreign_path")),
        ("Accessories | Bags | Clutches", ("clutch-bags", "foreign_path")),  # not the car's, the bag the parent names
        ("Auto Parts > Transmission > Clutches", ("clutches", "foreign_path")),  # "vehicle" narrows no branch
        ("Fan Shop > Hats", ("fan-hats", "foreign_path")),  # the qualifier the path writes
    ],
)
def test_a_foreign_path_is_read_by_its_leaf_and_its_ancestors(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map_one(text, "category")) == expected


def test_a_path_that_does_not_say_the_qualifier_is_rejected(mapper: Mapper) -> None:
    reason = str(outcome(mapper.map_one("Clothing > Underwear > Briefs", "category")))
    assert reason == (
        "the path's leaf names Apparel & Accessories > Clothing > Men's Underwear > Briefs; Apparel & Accessories > "
        "Clothing > Women's Underpants > Briefs, but its ancestors 'Clothing > Underwear' do not say what narrows them"
    )
    assert outcome(mapper.map_one("Caps", "category")).startswith("ambiguous: 'Caps' names 2 values")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Home / Collections / Dresses", ("dresses", "foreign_path")),  # the storefront's root says no kind
        ("All Categories > Shop > Rocking Chairs", ("rocking-chairs", "foreign_path")),  # a bare name: the plain one
        ("Home > Furniture > Sofas", ("sofas", "foreign_path")),
    ],
)
def test_a_storefront_root_is_no_ancestor(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map_one(text, "category")) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Garden Furniture > Rocking Chairs", ("outdoor-rocking-chairs", "foreign_path")),  # a garden's is outdoor
        ("Patio > Rocking Chairs", ("outdoor-rocking-chairs", "foreign_path")),
        ("Home & Garden > Furniture > Chairs > Rocking Chairs", ("rocking-chairs", "foreign_path")),  # a whole store
        ("Furniture / Outdoor / Sofas", ("outdoor-sofas", "foreign_path")),  # the qualifier and the leaf's name
        ("Pets > Apparel > Rain Coats", ("pet-rain-coats", "foreign_path")),
        ("Furniture > Living > Sofas", ("sofas", "foreign_path")),  # no qualifier said: the leaf's value
        # the leaf a part of Beds & Bed Frames: the qualifier and the leaf name Pet Beds
        ("Pets > Furniture > Beds", ("pet-beds", "foreign_path")),
        ("Furniture > Bedroom > Beds", ("beds", "foreign_path")),
    ],
)
def test_a_qualifier_the_path_says_chooses_the_qualified_value(mapper: Mapper, text: str, expected: object) -> None:
    assert outcome(mapper.map_one(text, "category")) == expected


def test_the_first_segment_is_never_read_alone(mapper: Mapper) -> None:
    assert outcome(mapper.map_one("Clothing > New Arrivals", "category")) == (
        "no value of facet 'category' is close enough"
    )


def test_with_no_facet_named_a_foreign_path_is_read_in_the_taxonomy_tree(mapper: Mapper) -> None:
    # `tagllm taxonomy map` without --facet: a path belongs to the one hierarchical facet
    assert outcome(mapper.map_one("Apparel > Bottomwear > Jeans")) == ("jeans", "foreign_path")
    assert outcome(mapper.map_one("Accessories > Bags > Clutches")) == ("clutch-bags", "foreign_path")
    assert "do not say what narrows them" in str(outcome(mapper.map_one("Clothing > Underwear > Briefs")))
