"""A colour or material named as what the product works on, against the Shopify taxonomy tagllm ships: a material
before a word naming its care, treatment or glue or after "for" ("Leather Cleaner", "Wood Glue", "Detergent for
Wool"), a material named as a colour ("Stone Coloured"), a colour named
by a material so written ("Silver Cleaning Cloth"), and a colour that begins a food's compound written with the
tool's agent noun ("Orange Juicer"). Each beside the same word stated as the product's."""

from __future__ import annotations

from functools import cache

import pytest

from tagllm.candidates.stated import StatedFinder
from tagllm.taxonomy import load_taxonomy
from tagllm.text import normalize


@cache
def _finder(facet: str) -> tuple[StatedFinder, list[str]]:
    taxonomy = load_taxonomy("shopify")
    names = [v.name for v in taxonomy.facet_values(facet)]
    ids = [v.id for v in taxonomy.facet_values(facet)]
    return StatedFinder(taxonomy, facet, {vid: i for i, vid in enumerate(ids)}), names


def _stated(facet: str, title: str) -> list[str]:
    finder, names = _finder(facet)
    return [names[s.value] for s in finder(normalize(title), title)]


@pytest.mark.parametrize(
    ("title", "materials"),
    [
        ("Foaming Leather Cleaner for Car Interiors, 400ml", []),
        ("Suede and Nubuck Protector Spray, 300ml", []),
        ("Hand Wash Detergent for Wool and Silk, 1L", []),
        ("Cotton Drawstring Bag for Wool Yarn", ["Cotton"]),
        ("Extra Strong Wood Glue, Quick Drying, 250g", []),
        ("Glass Adhesive for Windows, Clear", []),
        ("Girls Stone Coloured Linen Trousers", ["Linen"]),
        ("Ceramic Tile Adhesive, 5kg", []),  # a substance applied to a thing named past its noun
        ("Leather Shoe Polish, Black", []),
        ("Leather Sofa Cleaner 500ml", []),
        ("Wooden Shoe Polish Brush", ["Wood"]),  # a tool for the substance is of its material
        ("Glass Screen Protector", ["Glass"]),  # a protector is not applied: it is glass
        ("Leather Ankle Boots for Women", ["Leather"]),
    ],
)
def test_a_material_the_product_treats_or_is_for_is_not_its_material(title: str, materials: list[str]) -> None:
    assert _stated("material", title) == materials


@pytest.mark.parametrize(
    ("title", "colours"),
    [
        ("Silver Cleaning Cloth for Jewellery, Pack of 2", []),
        ("Silver Polish Wadding, 75g", []),
        ("Silver Ankle Chain, Adjustable", ["Silver"]),
        ("Manual Orange Juicer with Lid", []),
        ("Orange Peelers, Pack of 4", []),
        ("Orange Kitchen Timer", ["Orange"]),
    ],
)
def test_a_colour_named_as_what_the_product_works_on_is_not_its_colour(title: str, colours: list[str]) -> None:
    assert _stated("color", title) == colours


def test_a_kind_of_wood_joined_to_another_after_for_is_what_the_product_treats() -> None:
    """``kinds_stated`` reads a segment's words as a list: "Teak" joined by "and" to "Oak" after "for" is what the
    cleaner is for, as it is where the words are a tuple (the join was missed on a list, and Teak stated Wood)."""
    from tagllm.candidates.stated.segments import names_treatment

    words = ["cleaner", "for", "oak", "and", "teak", "tables"]
    assert names_treatment(words, 4, 5) and names_treatment(tuple(words), 4, 5)
    assert not names_treatment(("and", "teak", "for", "sale"), 1, 2)  # no word three before: none wraps from the end
    assert _stated("material", "Cleaner for Oak and Teak Tables") == []
    assert _stated("material", "Oak and Teak Tables") == ["Wood"]


@pytest.mark.parametrize(
    ("title", "as_colour"),
    [
        ("Women's Suede Ankle Boots, Bronze, UK 5", {"Bronze"}),
        ("Bronze Hare Garden Sculpture, 40cm", set()),
        ("Men's Chino Shorts - Stone", {"Stone"}),
    ],
)
def test_a_material_named_by_a_colour_and_written_apart_is_marked_as_read_as_a_colour(
    title: str, as_colour: set[str]
) -> None:
    """``Statement.as_colour``: the category's neighbours do not make such a material the product's (the scorer's
    ``applies.beside_weights``): "Bronze" written on its own is as often the boots' colour."""
    finder, names = _finder("material")
    assert {names[s.value] for s in finder(normalize(title), title) if s.as_colour} == as_colour


@pytest.mark.parametrize(
    ("title", "materials"),
    [
        ("Rubber Plant Ficus Elastica, 17cm Pot", []),  # WordNet's "rubber plant": a plant
        ("Rubber Plants for Indoors, Set of 2", []),
        ("Copper Beech Hedging, 25 Bare Root Whips", []),  # not Copper, nor Wood by the beech
        ("Silver Birch Sapling 3ft in Pot", []),  # nor Metal by the silver
        ("Cork Oak Acorns for Planting", []),
        ("Paper Flower Backdrop, Blush, 12 Pieces", ["Paper"]),  # "paper flower" is no kind of flower: kept
        ("Rubber Door Stop Wedge, Grey", ["Rubber"]),
        ("Iron-On Letters for Clothing, Gold Glitter", []),  # "to iron on": a verb joined to its particle
        ("Iron Wall Hooks, Set of 3", ["Iron"]),
    ],
)
def test_a_material_naming_a_species_or_a_verb_is_not_the_products(title: str, materials: list[str]) -> None:
    assert _stated("material", title) == materials


def test_a_colour_named_by_a_metal_in_a_trees_name_is_no_colour() -> None:
    assert _stated("color", "Silver Birch Sapling 3ft in Pot") == []
    assert _stated("color", "Silver Christmas Tree 6ft") == ["Silver"]


@pytest.mark.parametrize(
    ("title", "materials"),
    [
        ("Kids Trainers, Synthetic Leather Upper, Navy", ["Faux leather", "Synthetic"]),
        ("Parka with Man-Made Fur Trim Hood, Khaki", ["Faux fur"]),
        ("Synthetic Rubber Door Mat, 60x40cm", ["Rubber", "Synthetic"]),  # no faux rubber: synthetic rubber is rubber
    ],
)
def test_a_man_made_material_named_after_one_with_an_imitation_is_that_imitation(
    title: str, materials: list[str]
) -> None:
    assert _stated("material", title) == materials
