"""A shade between two colour values (the survey's colour near both, neither clearly nearer): where a title writes
it as the product's colour, the stated finder reads the one of the two whose own colour is nearer; the mapper still
rejects such a string. Titles written for this test."""

from __future__ import annotations

from tagllm.candidates.stated import StatedFinder
from tagllm.mapping import Mapper
from tagllm.mapping.colours import between_shades, placed_shades
from tagllm.taxonomy import Facet, Taxonomy, Value
from tagllm.text import normalize

COLOURS = ("Beige", "Black", "Blue", "Brown", "Gray", "Green", "Navy", "Orange", "Pink", "Purple", "Red", "White")
COLOURS += ("Yellow",)


def _colours() -> Taxonomy:
    values = [Value(n.lower(), n, "color") for n in COLOURS]
    return Taxonomy("colours", {"color": Facet("color", "Color", multi_valued=True)}, {v.id: v for v in values})


def _stated(title: str) -> list[tuple[str, str]]:
    tax = _colours()
    ids = [v.id for v in tax.facet_values("color")]
    finder = StatedFinder(tax, "color", {vid: i for i, vid in enumerate(ids)})
    return [(ids[s.value], s.how) for s in finder(normalize(title), title)]


def test_a_shade_between_two_values_is_the_one_whose_own_colour_is_nearer() -> None:
    values = tuple(_colours().facet_values("color"))
    between = between_shades(values)
    # "sand": a shade of Yellow ("sand yellow") is its nearest, but Beige's own colour is nearer than Yellow's
    assert between["sand"] == "beige"
    assert between["fuchsia"] == "pink" and between["khaki"] == "green" and between["terracotta"] == "orange"
    assert not between.keys() & placed_shades(values).keys()  # a clear call stays the placed value's
    assert Mapper(_colours(), use_embeddings=False).map(["fuchsia"], facet="color")[0].value is None


def test_a_title_writing_such_a_shade_as_its_colour_states_that_value() -> None:
    assert _stated("Girls Ruffle Swimsuit, Fuchsia, 7-8 Years") == [("pink", "sole, by a shade")]
    assert _stated("Suede Desert Boots - Sand") == [("beige", "sole, by a shade")]
    assert _stated("Waxed Cotton Field Jacket in Khaki") == [("green", "sole, by a shade")]


def test_a_value_named_after_such_a_shade_decides() -> None:
    """ "Chestnut Brown", "Taupe Grey" (the survey's spelling of Gray): the shade only says which brown, which grey."""
    assert _stated("Sheepskin Slippers, Chestnut Brown, UK 6") == [("brown", "sole")]
    assert _stated("Suede Ankle Boots, Taupe Grey, UK 5") == [("gray", "sole")]
